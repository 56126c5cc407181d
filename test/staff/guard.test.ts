/**
 * The guard (issue 4 §4): every registered route is walked without a session and
 * must not be reachable unless it is on PUBLIC_PATHS.
 *
 * Without a session:
 *  - a read (GET/HEAD/OPTIONS) gets 401;
 *  - a state-changing request without Origin gets 403 bad_origin (the Origin check
 *    comes first, so a cross-site form cannot even probe); with a matching Origin, 401.
 * Routes outside /api are the page and /healthz: they must be GET-only (nothing that
 * changes state lives outside the guarded /api).
 */
import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { PUBLIC_PATHS, SESSION_COOKIE } from "../../src/staff/guard.ts";
import { StaffRepo } from "../../src/store/staff-repo.ts";
import { runtimePerTest } from "../helpers.ts";
import { ORIGIN, send, signIn } from "./session.ts";

const fresh = runtimePerTest();

function setup() {
  const h = fresh();
  return h;
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Every route's params filled in with something that would route. */
const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, "1");

/** Admin-only routes: a signed-in staff (non-admin) account gets 403 forbidden on exactly these. */
const ADMIN_ROUTES = [
  "GET /api/v1/staff",
  "POST /api/v1/staff",
  "PATCH /api/v1/staff/:id",
  "POST /api/v1/staff/:id/disable",
  "POST /api/v1/staff/:id/enable",
  "POST /api/v1/members/import",
  "DELETE /api/v1/members/:id",
  "GET /api/v1/audit",
  "GET /api/v1/audit/actors",
  "PUT /api/v1/gym",
  "PUT /api/v1/gym/logo",
  "DELETE /api/v1/gym/logo",
  // the staff page's settings (src/staff/web-support.ts)
  "GET /api/v1/settings",
  "PUT /api/v1/settings/:key",
].sort();

describe("route walk: nothing under /api is reachable without a session unless public", () => {
  test("every registered route, without a session, with and without Origin, and with bad cookies", async () => {
    const h = setup();
    const routes = h.app.routes.map((r) => ({ method: r.method.toUpperCase(), path: r.path }));
    const api = routes.filter((r) => r.path.startsWith("/api/"));
    expect(api.length).toBeGreaterThan(45);
    // A forged token (someone else's key), an expired one (right key), garbage.
    const forged = await new SignJWT({ ver: 0 }).setProtectedHeader({ alg: "HS256" }).setSubject("1").setAudience("bodydock-staff").setExpirationTime("1h").sign(new TextEncoder().encode("not the key not the key not the key"));
    const key = new TextEncoder().encode(h.rt.settings.get<string>("staff.sessionKey"));
    const expired = await new SignJWT({ ver: 0 }).setProtectedHeader({ alg: "HS256" }).setSubject("1").setAudience("bodydock-staff").setIssuedAt(1).setExpirationTime(2).sign(key);
    const none = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url") + "." + Buffer.from(JSON.stringify({ sub: "1", aud: "bodydock-staff", ver: 0 })).toString("base64url") + ".";
    const auditBefore = h.rt.db.query("SELECT COUNT(*) AS n FROM audit").get();
    const reached: string[] = [];
    for (const r of routes) {
      const path = concrete(r.path);
      const label = `${r.method} ${r.path}`;
      if (!r.path.startsWith("/api/")) {
        expect({ label, method: r.method }).toEqual({ label, method: "GET" });
        continue;
      }
      if (PUBLIC_PATHS.has(r.path)) continue;
      const bare = await send(h.app, r.method, path);
      const expected = STATE_CHANGING.has(r.method) ? [403, "bad_origin"] : [401, "unauthorized"];
      if (bare.status !== expected[0] || bare.body?.error?.code !== expected[1]) reached.push(`${label} (no session, no Origin) → ${bare.status}`);
      for (const cookie of [undefined, `${SESSION_COOKIE}=${forged}`, `${SESSION_COOKIE}=${expired}`, `${SESSION_COOKIE}=${none}`, `${SESSION_COOKIE}=garbage`]) {
        const res = await send(h.app, r.method, path, undefined, { origin: ORIGIN, ...(cookie ? { cookie } : {}) });
        if (res.status !== 401 || res.body?.error?.code !== "unauthorized") reached.push(`${label} (cookie ${cookie?.slice(0, 30)}) → ${res.status}`);
      }
    }
    expect(reached).toEqual([]);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM audit").get()).toEqual(auditBefore);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM staff").get()).toEqual({ n: 0 });
  });

  test("the public list is small and exactly what it says: sign-in, setup, status, the API description", async () => {
    const h = setup();
    expect([...PUBLIC_PATHS].sort()).toEqual(["/api/docs", "/api/docs/openapi.json", "/api/v1/auth/login", "/api/v1/auth/setup", "/api/v1/auth/status"]);
    const registered = new Set(h.app.routes.map((r) => r.path));
    for (const p of PUBLIC_PATHS) expect(registered.has(p)).toBe(true);
    expect((await send(h.app, "GET", "/api/v1/auth/status")).status).toBe(200);
    expect((await send(h.app, "GET", "/api/docs")).status).toBe(200);
  });

  test("unknown paths under /api and odd spellings of real ones are guarded too", async () => {
    const h = setup();
    for (const p of ["/api/v1/nope", "/api/v2/members", "/api", "/API/v1/members", "/api//v1/members", "/%61pi/v1/members", "/api/v1/auth/login/../../members", "/api/v1/auth%2flogin", "/api/v1/members/export.csv"]) {
      const r = await send(h.app, "GET", p);
      expect([p, r.status]).toEqual([p, 401]);
    }
    // Device routes stay public: they answer in onRequest, before the guard.
    expect((await send(h.app, "GET", "/healthz")).status).toBe(200);
  });

  test("a state-changing request needs an Origin matching the host, even with a valid session", async () => {
    const h = setup();
    const s = await signIn(h.rt, h.app);
    const body = { name: "Ada" };
    const post = (headers: Record<string, string>) => send(h.app, "POST", "/api/v1/members", body, { cookie: s.cookie, ...headers });
    expect((await post({})).status).toBe(403);
    expect((await post({ origin: "http://evil.example" })).body.error.code).toBe("bad_origin");
    expect((await post({ origin: "http://localhost:8080" })).status).toBe(403);
    expect((await post({ origin: "null" })).status).toBe(403);
    expect((await post({ origin: "http://LOCALHOST" })).status).toBe(201);
    // Behind a port: the Origin must carry the same host:port as Host.
    const res = await h.app.handle(
      new Request("http://10.0.0.5:8080/api/v1/members", { method: "POST", headers: { host: "10.0.0.5:8080", origin: "http://10.0.0.5:8080", cookie: s.cookie, "content-type": "application/json" }, body: JSON.stringify(body) }),
    );
    expect(res.status).toBe(201);
    // Reads need no Origin.
    expect((await send(h.app, "GET", "/api/v1/members", undefined, { cookie: s.cookie })).status).toBe(200);
    // An unusual method is treated as state-changing.
    expect((await send(h.app, "PROPFIND", "/api/v1/members", undefined, { cookie: s.cookie })).status).toBe(403);
  });

  test("admin-only routes answer 403 to staff, before validating anything; every other route lets staff through", async () => {
    const h = setup();
    const s = await signIn(h.rt, h.app, { role: "staff" });
    const forbidden: string[] = [];
    for (const r of h.app.routes) {
      const method = r.method.toUpperCase();
      if (!r.path.startsWith("/api/v1/") || r.path === "/api/v1/youjiu/events" || r.path === "/api/v1/auth/logout") continue;
      const res = await s.call(method, concrete(r.path));
      if (res.status === 403) {
        expect(res.body.error.code).toBe("forbidden");
        forbidden.push(`${method} ${r.path}`);
      }
      expect([`${method} ${r.path}`, res.status === 401]).toEqual([`${method} ${r.path}`, false]);
    }
    expect(forbidden.sort()).toEqual(ADMIN_ROUTES);
    const admin = await signIn(h.rt, h.app, { role: "admin" });
    expect((await admin.call("GET", "/api/v1/audit")).status).toBe(200);
  });

  test("a disabled account's sessions stop at once; so do they after a password change", async () => {
    const h = setup();
    const admin = await signIn(h.rt, h.app);
    const staff = await signIn(h.rt, h.app, { role: "staff" });
    expect((await staff.call("GET", "/api/v1/auth/me")).status).toBe(200);
    expect((await admin.call("POST", `/api/v1/staff/${staff.id}/disable`)).status).toBe(200);
    expect((await staff.call("GET", "/api/v1/auth/me")).status).toBe(401);
    expect((await admin.call("POST", `/api/v1/staff/${staff.id}/enable`)).status).toBe(200);
    // Old tokens stay dead after re-enabling: they carry the old token_version.
    expect((await staff.call("GET", "/api/v1/auth/me")).status).toBe(401);
    const again = await signIn(h.rt, h.app, { username: staff.username });
    expect((await again.call("GET", "/api/v1/auth/me")).status).toBe(200);
    expect((await admin.call("POST", `/api/v1/staff/${staff.id}/password`, { password: "a new long password" })).status).toBe(200);
    expect((await again.call("GET", "/api/v1/auth/me")).status).toBe(401);
    // A direct database change (the CLI) is seen by the next request.
    const third = await signIn(h.rt, h.app, { username: staff.username });
    new StaffRepo(h.rt.db).setDisabled(staff.id, true, h.rt.now());
    expect((await third.call("GET", "/api/v1/auth/me")).status).toBe(401);
  });

  test("sessions expire after staff.sessionTtlHours", async () => {
    const h = setup();
    const s = await signIn(h.rt, h.app);
    h.clock.advance(12 * 3600 * 1000 - 1000);
    expect((await s.call("GET", "/api/v1/auth/me")).status).toBe(200);
    h.clock.advance(2000);
    expect((await s.call("GET", "/api/v1/auth/me")).status).toBe(401);
  });
});
