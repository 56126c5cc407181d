/** Staff accounts, first-run setup and sessions (issue 4 §1–§3). */
import { describe, expect, test } from "bun:test";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { SESSION_COOKIE } from "../../src/staff/guard.ts";
import { runtimePerTest } from "../helpers.ts";
import { ORIGIN, TEST_PASSWORD, send, signIn } from "./session.ts";

const fresh = runtimePerTest();

function setup() {
  const h = fresh();
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => send(h.app, "POST", path, body, { origin: ORIGIN, ...headers });
  const login = (username: string, password: string, headers: Record<string, string> = {}) => post("/api/v1/auth/login", { username, password }, headers);
  return { ...h, post, login };
}

const cookieOf = (headers: Headers) => (headers.get("set-cookie") ?? "").split(";")[0]!;

describe("first run: setup creates the first admin once and never again", () => {
  test("status, a wrong token, a weak password, then the admin; afterwards setup is closed for good", async () => {
    const h = setup();
    expect((await send(h.app, "GET", "/api/v1/auth/status")).body).toEqual({ setupRequired: true });
    const token = h.rt.setupTokens.current()!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(h.rt.setupTokens.current()).toBe(token);
    expect((await h.post("/api/v1/auth/setup", { token: "wrong", username: "boss", password: TEST_PASSWORD })).status).toBe(403);
    expect((await h.post("/api/v1/auth/setup", { token: "ä".repeat(32), username: "boss", password: TEST_PASSWORD })).status).toBe(403);
    const weak = await h.post("/api/v1/auth/setup", { token, username: "boss", password: "short" });
    expect([weak.status, weak.body.error.field]).toEqual([422, "password"]);
    const badName = await h.post("/api/v1/auth/setup", { token, username: "b o s s", password: TEST_PASSWORD });
    expect([badName.status, badName.body.error.field]).toEqual([422, "username"]);
    const ok = await h.post("/api/v1/auth/setup", { token, username: "boss", password: TEST_PASSWORD });
    expect([ok.status, ok.body.username, ok.body.role]).toEqual([201, "boss", "admin"]);
    expect(ok.text).not.toContain("hash");
    // The new admin is signed in at once.
    expect((await send(h.app, "GET", "/api/v1/auth/me", undefined, { cookie: cookieOf(ok.headers) })).body).toEqual({ id: ok.body.id, username: "boss", role: "admin" });
    expect((await send(h.app, "GET", "/api/v1/auth/status")).body).toEqual({ setupRequired: false });
    expect(h.rt.setupTokens.current()).toBeNull();
    const again = await h.post("/api/v1/auth/setup", { token, username: "boss2", password: TEST_PASSWORD });
    expect([again.status, again.body.error.code]).toEqual([409, "setup_done"]);
    // Even with every admin disabled, setup stays closed (recover with the CLI).
    h.rt.db.run("UPDATE staff SET disabled = 1");
    expect(h.rt.setupTokens.current()).toBeNull();
    expect((await h.post("/api/v1/auth/setup", { token, username: "boss3", password: TEST_PASSWORD })).status).toBe(409);
    const audit = h.rt.db.query("SELECT actor, action FROM audit").all();
    expect(audit).toEqual([{ actor: "boss", action: "staff.setup" }]);
  });

  test("two setups at once: exactly one admin", async () => {
    const h = setup();
    const token = h.rt.setupTokens.current()!;
    const rs = await Promise.all(["a1", "a2", "a3"].map((u) => h.post("/api/v1/auth/setup", { token, username: u, password: TEST_PASSWORD })));
    expect(rs.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM staff").get()).toEqual({ n: 1 });
  });
});

describe("sessions", () => {
  test("login sets an HttpOnly SameSite=Strict cookie holding an HS256 token with the configured expiry; me and logout", async () => {
    const h = setup();
    await signIn(h.rt, h.app, { username: "alice" });
    const r = await h.login("Alice", TEST_PASSWORD);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ username: "alice", role: "admin", expiresInSeconds: 12 * 3600 });
    const set = r.headers.get("set-cookie")!;
    expect(set).toContain(`${SESSION_COOKIE}=`);
    expect(set).toContain("HttpOnly");
    expect(set).toContain("SameSite=Strict");
    expect(set).toContain("Path=/");
    expect(set).toContain(`Max-Age=${12 * 3600}`);
    const jwt = cookieOf(r.headers).slice(SESSION_COOKIE.length + 1);
    expect(decodeProtectedHeader(jwt).alg).toBe("HS256");
    const claims = decodeJwt(jwt);
    expect(claims.exp! - claims.iat!).toBe(12 * 3600);
    expect(claims.iat).toBe(h.rt.now() / 1000);
    const me = await send(h.app, "GET", "/api/v1/auth/me", undefined, { cookie: cookieOf(r.headers) });
    expect(me.body).toEqual({ id: 1, username: "alice", role: "admin" });
    const out = await h.post("/api/v1/auth/logout", undefined, { cookie: cookieOf(r.headers) });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
  });

  test("the expiry follows staff.sessionTtlHours; the key is generated once and kept in the database", async () => {
    const h = setup();
    await signIn(h.rt, h.app, { username: "alice" });
    const key = h.rt.settings.get("staff.sessionKey");
    expect(key.length).toBeGreaterThanOrEqual(43);
    expect((h.rt.db.query("SELECT value FROM settings WHERE key = 'staff.sessionKey'").get() as { value: string }).value).toBe(JSON.stringify(key));
    h.rt.settings.set("staff.sessionTtlHours", 1, "test");
    const r = await h.login("alice", TEST_PASSWORD);
    expect(r.body.expiresInSeconds).toBe(3600);
    const c = cookieOf(r.headers);
    h.clock.advance(3600 * 1000 + 1000);
    expect((await send(h.app, "GET", "/api/v1/auth/me", undefined, { cookie: c })).status).toBe(401);
  });

  test("wrong credentials: 401 with the same message for an unknown user, a wrong password and a disabled account", async () => {
    const h = setup();
    await signIn(h.rt, h.app, { username: "alice" });
    await signIn(h.rt, h.app, { username: "off", role: "staff" });
    h.rt.db.run("UPDATE staff SET disabled = 1 WHERE username = 'off'");
    const a = await h.login("nobody", TEST_PASSWORD);
    const b = await h.login("alice", "wrong password");
    const c = await h.login("off", TEST_PASSWORD);
    for (const r of [a, b, c]) {
      expect(r.status).toBe(401);
      expect(r.headers.get("set-cookie")).toBeNull();
    }
    expect(a.body).toEqual(b.body);
    expect(b.body).toEqual(c.body);
  });

  test("failed logins: a growing delay per username after 5, and 20 / 10 min per address: 429 with Retry-After", async () => {
    const h = setup();
    await signIn(h.rt, h.app, { username: "alice" });
    for (let i = 0; i < 5; i++) expect((await h.login("alice", "nope nope")).status).toBe(401);
    const limited = await h.login("alice", TEST_PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("too_many_attempts");
    // Not a 15-minute lock: a delay of 1 s after the fifth failure, doubling with each further one.
    expect(limited.headers.get("retry-after")).toBe("1");
    // The username is limited, whatever the case it is typed in.
    expect((await h.login("ALICE", TEST_PASSWORD)).status).toBe(429);
    h.clock.advance(1000);
    expect((await h.login("alice", "nope nope")).status).toBe(401);
    expect((await h.login("alice", TEST_PASSWORD)).headers.get("retry-after")).toBe("2");
    h.clock.advance(2000);
    expect((await h.login("alice", TEST_PASSWORD)).status).toBe(200);
    // Per address: 20 failures over any usernames (in tests every request has the same address).
    for (let i = 0; i < 14; i++) await h.login(`u${i}`, "nope nope");
    await h.login("alice", TEST_PASSWORD);
    for (let i = 0; i < 6; i++) await h.login(`v${i}`, "nope nope");
    const byAddress = await h.login("alice", TEST_PASSWORD);
    expect(byAddress.status).toBe(429);
    expect(Number(byAddress.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(byAddress.headers.get("retry-after"))).toBeLessThanOrEqual(600);
  }, 60_000);

  test("the limits hold under a burst: parallel guesses get no more password checks than the limits allow", async () => {
    const h = setup();
    await signIn(h.rt, h.app, { username: "alice" });
    // 30 guesses for one account at once: 5 are checked (401), the other 25 are refused unchecked.
    const one = await Promise.all(Array.from({ length: 30 }, () => h.login("alice", "wrong guess")));
    const count = (rs: Array<{ status: number }>, status: number) => rs.filter((r) => r.status === status).length;
    expect([count(one, 401), count(one, 429)]).toEqual([5, 25]);
    // 40 guesses over 40 usernames from one address: 15 more failures fill the address limit of 20.
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => h.login(`guess${i}`, "wrong guess")));
    expect([count(many, 401), count(many, 429)]).toEqual([15, 25]);
  }, 60_000);

  test("logout everywhere ends the account's other sessions", async () => {
    const h = setup();
    const one = await signIn(h.rt, h.app, { username: "alice" });
    const two = (await h.login("alice", TEST_PASSWORD)).headers;
    expect((await h.post("/api/v1/auth/logout?everywhere=true", undefined, { cookie: one.cookie })).status).toBe(200);
    expect((await send(h.app, "GET", "/api/v1/auth/me", undefined, { cookie: cookieOf(two) })).status).toBe(401);
  });
});

describe("staff accounts through the API (admin)", () => {
  test("create, list, change role, disable/enable, password; refusals; all audited", async () => {
    const h = setup();
    const admin = await signIn(h.rt, h.app, { username: "boss" });
    const made = await admin.call("POST", "/api/v1/staff", { username: "desk", password: TEST_PASSWORD, role: "staff" });
    expect([made.status, made.body.role]).toEqual([201, "staff"]);
    const dup = await admin.call("POST", "/api/v1/staff", { username: "DESK", password: TEST_PASSWORD, role: "staff" });
    expect([dup.status, dup.body.error.field]).toEqual([409, "username"]);
    expect((await admin.call("POST", "/api/v1/staff", { username: "x1", password: TEST_PASSWORD, role: "owner" })).status).toBe(422);
    expect((await admin.call("GET", "/api/v1/staff")).body.map((s: any) => [s.username, s.role, s.disabled])).toEqual([
      ["boss", "admin", false],
      ["desk", "staff", false],
    ]);
    const id = made.body.id;
    expect((await admin.call("PATCH", `/api/v1/staff/${id}`, { role: "admin" })).body.role).toBe("admin");
    expect((await admin.call("PATCH", `/api/v1/staff/${id}`, { role: "staff" })).body.role).toBe("staff");
    const last = await admin.call("PATCH", `/api/v1/staff/${admin.id}`, { role: "staff" });
    expect([last.status, last.body.error.code]).toEqual([409, "last_admin"]);
    expect((await admin.call("POST", `/api/v1/staff/${admin.id}/disable`)).status).toBe(409);
    expect((await admin.call("POST", `/api/v1/staff/999/disable`)).status).toBe(404);
    expect((await admin.call("POST", `/api/v1/staff/${id}/disable`)).body.disabled).toBe(true);
    expect((await h.login("desk", TEST_PASSWORD)).status).toBe(401);
    expect((await admin.call("POST", `/api/v1/staff/${id}/enable`)).body.disabled).toBe(false);
    expect((await admin.call("POST", `/api/v1/staff/${id}/password`, { password: "another long one" })).status).toBe(200);
    expect((await h.login("desk", "another long one")).status).toBe(200);
    const actions = h.rt.db.query("SELECT actor, action, entity_id FROM audit ORDER BY id").all();
    expect(actions).toEqual([
      { actor: "boss", action: "staff.create", entity_id: String(id) },
      { actor: "boss", action: "staff.update", entity_id: String(id) },
      { actor: "boss", action: "staff.update", entity_id: String(id) },
      { actor: "boss", action: "staff.disable", entity_id: String(id) },
      { actor: "boss", action: "staff.enable", entity_id: String(id) },
      { actor: "boss", action: "staff.password", entity_id: String(id) },
    ]);
    // No password hash anywhere in the audit log.
    expect(JSON.stringify(h.rt.db.query("SELECT * FROM audit").all())).not.toContain("argon2");
  });

  test("staff change their own password with the current one (and keep a fresh session); not anyone else's", async () => {
    const h = setup();
    const admin = await signIn(h.rt, h.app, { username: "boss" });
    const desk = await signIn(h.rt, h.app, { username: "desk", role: "staff" });
    expect((await desk.call("POST", `/api/v1/staff/${admin.id}/password`, { password: "hijacked password" })).status).toBe(403);
    const noCurrent = await desk.call("POST", `/api/v1/staff/${desk.id}/password`, { password: "my new password" });
    expect([noCurrent.status, noCurrent.body.error.field]).toEqual([422, "currentPassword"]);
    const ok = await desk.call("POST", `/api/v1/staff/${desk.id}/password`, { password: "my new password", currentPassword: TEST_PASSWORD });
    expect(ok.status).toBe(200);
    expect((await desk.call("GET", "/api/v1/auth/me")).status).toBe(401);
    expect((await send(h.app, "GET", "/api/v1/auth/me", undefined, { cookie: cookieOf(ok.headers) })).status).toBe(200);
    expect((await h.login("desk", "my new password")).status).toBe(200);
  });
});
