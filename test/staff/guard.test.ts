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
  "POST /api/v1/staff/:id/unlock",
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
  // device credentials and admission (security issue)
  "POST /api/v1/youjiu/devices/:sn/reset-secret",
  "POST /api/v1/device-join-requests/:id/approve",
  "PUT /api/v1/yolanda/scales/:mac/scale-key",
  "PUT /api/v1/yolanda/mini/secret",
  "DELETE /api/v1/yolanda/mini/secret-previous",
  // integrations (src/staff/integrations.ts, issue 17)
  "GET /api/v1/api-keys",
  "POST /api/v1/api-keys",
  "DELETE /api/v1/api-keys/:id",
  "GET /api/v1/webhooks",
  "POST /api/v1/webhooks",
  "GET /api/v1/webhooks/:id",
  "PATCH /api/v1/webhooks/:id",
  "DELETE /api/v1/webhooks/:id",
  "POST /api/v1/webhooks/:id/pause",
  "POST /api/v1/webhooks/:id/resume",
  "POST /api/v1/webhooks/:id/rotate",
  "POST /api/v1/webhooks/:id/test",
  "POST /api/v1/webhooks/:id/replay",
  // face login off + every template deleted (src/staff/faces.ts)
  "POST /api/v1/faces/purge",
].sort();

describe("route walk: nothing under /api is reachable without a session unless public", () => {
  test("every registered route, without a session, with and without Origin, and with bad cookies", async () => {
    const h = setup();
    const routes = h.app.routes.map((r) => ({ method: r.method.toUpperCase(), path: r.path }));
    const api = routes.filter((r) => r.path.startsWith("/api/"));
    expect(api.length).toBeGreaterThan(45);
    // The bad tokens name a real, enabled admin with its current token_version and a fresh jti, so only
    // the signature (or expiry, or algorithm) can refuse them: a guard that skipped the signature check
    // would let them in (tested below by the control token signed with the right key).
    const real = await signIn(h.rt, h.app);
    const row = h.rt.repos.staff.byId(real.id)!;
    const claims = () => ({ ver: row.token_version, usr: row.username });
    const base = () => new SignJWT(claims()).setSubject(String(row.id)).setAudience("bodydock-staff").setJti(crypto.randomUUID());
    const key = new TextEncoder().encode(h.rt.settings.get("staff.sessionKey"));
    const nowS = Math.floor(h.clock.now() / 1000);
    const forged = await base().setProtectedHeader({ alg: "HS256" }).setIssuedAt(nowS).setExpirationTime(nowS + 3600).sign(new TextEncoder().encode("not the key not the key not the key"));
    const expired = await base().setProtectedHeader({ alg: "HS256" }).setIssuedAt(nowS - 7200).setExpirationTime(nowS - 3600).sign(key);
    const hs512 = await base().setProtectedHeader({ alg: "HS512" }).setIssuedAt(nowS).setExpirationTime(nowS + 3600).sign(key);
    const none =
      Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url") + "." +
      Buffer.from(JSON.stringify({ ...claims(), sub: String(row.id), aud: "bodydock-staff", jti: "x", iat: nowS, exp: nowS + 3600 })).toString("base64url") + ".";
    const control = await base().setProtectedHeader({ alg: "HS256" }).setIssuedAt(nowS).setExpirationTime(nowS + 3600).sign(key);
    expect((await send(h.app, "GET", "/api/v1/auth/me", undefined, { cookie: `${SESSION_COOKIE}=${control}` })).status).toBe(200);
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
      for (const cookie of [undefined, `${SESSION_COOKIE}=${forged}`, `${SESSION_COOKIE}=${expired}`, `${SESSION_COOKIE}=${none}`, `${SESSION_COOKIE}=${hs512}`, `${SESSION_COOKIE}=garbage`]) {
        const res = await send(h.app, r.method, path, undefined, { origin: ORIGIN, ...(cookie ? { cookie } : {}) });
        if (res.status !== 401 || res.body?.error?.code !== "unauthorized") reached.push(`${label} (cookie ${cookie?.slice(0, 30)}) → ${res.status}`);
      }
    }
    expect(reached).toEqual([]);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM audit").get()).toEqual(auditBefore);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM staff").get()).toEqual({ n: 1 });
  });

  test("the public list is small and exactly what it says: sign-in, setup, status, the API description", async () => {
    const h = setup();
    expect([...PUBLIC_PATHS].sort()).toEqual(["/api/docs", "/api/docs/openapi.json", "/api/v1/auth/login", "/api/v1/auth/setup", "/api/v1/auth/status"]);
    const registered = new Set(h.app.routes.map((r) => r.path));
    for (const p of PUBLIC_PATHS) expect(registered.has(p)).toBe(true);
    expect((await send(h.app, "GET", "/api/v1/auth/status")).status).toBe(200);
    expect((await send(h.app, "GET", "/api/docs")).status).toBe(200);
  });

  test("unknown paths under /api and odd spellings of real ones never reach a staff handler", async () => {
    const h = setup();
    for (const p of ["/api/v1/nope", "/api/v2/members", "/api", "/API/v1/members", "/api//v1/members", "/%61pi/v1/members", "/api/v1/auth/login/../../members", "/api/v1/auth%2flogin", "/api/v1/members/export.csv"]) {
      const r = await send(h.app, "GET", p);
      // A route the router matches is refused by its own guard (401); anything else matches no route (404).
      expect([p, [401, 404].includes(r.status), r.text.includes("Ada")]).toEqual([p, true, false]);
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
    // Behind a port: the Origin must carry the same host:port as Host (a name an admin allowed).
    h.rt.settings.set("http.allowedHosts", ["10.0.0.5"], "test");
    const res = await h.app.handle(
      new Request("http://10.0.0.5:8080/api/v1/members", { method: "POST", headers: { host: "10.0.0.5:8080", origin: "http://10.0.0.5:8080", cookie: s.cookie, "content-type": "application/json" }, body: JSON.stringify(body) }),
    );
    expect(res.status).toBe(201);
    // Reads need no Origin.
    expect((await send(h.app, "GET", "/api/v1/members", undefined, { cookie: s.cookie })).status).toBe(200);
    // An unusual method matches no route: nothing is done.
    expect([403, 404]).toContain((await send(h.app, "PROPFIND", "/api/v1/members", undefined, { cookie: s.cookie })).status);
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
    h.rt.repos.staff.setDisabled(staff.id, true, h.rt.now());
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

/** Every staff route, sent over a real socket with odd Host headers and odd spellings of its path. */
describe("odd Host headers and path spellings on a real socket (the Host: x bypass)", () => {
  async function raw(port: number, head: string): Promise<{ status: number; text: string }> {
    const chunks: Uint8Array[] = [];
    const { promise, resolve } = Promise.withResolvers<void>();
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { data: (_s, d) => void chunks.push(new Uint8Array(d)), close: () => resolve(), error: () => resolve(), end: () => resolve() },
    });
    sock.write(head);
    await promise;
    const text = Buffer.concat(chunks).toString("utf8");
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text };
  }

  test("no staff route answers without a session, whatever the Host and however its path is spelled", async () => {
    const h = setup();
    await signIn(h.rt, h.app); // an admin exists, with members to leak
    await h.rt.writes.enqueue((db) => db.run("INSERT INTO members (member_no, name, status, created_at, updated_at) VALUES ('M9', 'Ada Secret', 'active', 1, 1)"));
    const LONG = "h".repeat(3000);
    // The odd names are allowed here, so each request gets past the Host allow-list and meets the guard itself.
    h.rt.settings.set("http.allowedHosts", ["x", "a", "evil.example"], "test");
    const server = h.app.listen({ port: 0, hostname: "127.0.0.1", reusePort: false });
    const port = server.server!.port!;
    try {
      const hosts = ["x", "", LONG, "a:1", "[::1]", "[::1]:8080", "evil.example"];
      const staffRoutes = h.app.routes.filter((r) => r.path.startsWith("/api/") && !PUBLIC_PATHS.has(r.path));
      const leaks: string[] = [];
      for (const r of staffRoutes) {
        const path = concrete(r.path);
        const variants = [path, `/ab${path}`, `/${path}`, `//${path.slice(1)}`, path.replace("/api/", "/api%2F"), path.replace(/\/v1\//, "/v1/x/../"), path.toUpperCase(), `${path}?x=/api/v1/auth/login`];
        for (const host of hosts) {
          for (const v of variants) {
            const method = r.method.toUpperCase();
            const res = await raw(port, `${method} ${v} HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
            // The page's HTML shell (a client route such as /members) is public; staff data is not.
            const page = /\r\ncontent-type: text\/html/i.test(res.text);
            if (res.status === 0 || (res.status >= 200 && res.status < 300 && !page) || res.text.includes("Ada Secret")) leaks.push(`${method} ${v} Host:${host.slice(0, 20)} → ${res.status}`);
          }
        }
        // The absolute form of the request target, with a Host that differs.
        const abs = await raw(port, `${r.method.toUpperCase()} http://x${concrete(r.path)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        if ((abs.status >= 200 && abs.status < 300) || abs.text.includes("Ada Secret")) leaks.push(`absolute-form ${r.path} → ${abs.status}`);
      }
      expect(leaks).toEqual([]);
      // The exact request of the report: now refused.
      const report = await raw(port, "GET /ab/api/v1/members/export.csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      expect(report.status).toBe(401);
    } finally {
      server.stop(true);
    }
  }, 120_000); // thousands of real connections

  test("Host allow-list: other names get 421 on the page and the staff API; device endpoints accept any Host", async () => {
    const h = setup();
    const s = await signIn(h.rt, h.app);
    const get = (path: string, host: string, headers: Record<string, string> = {}) =>
      h.app.handle(new Request("http://localhost" + path, { headers: { host, ...headers } }));
    for (const host of ["rebind.attacker.example", "x", "", "10.99.99.99:8080"]) {
      expect([host, (await get("/api/v1/members", host, { cookie: s.cookie })).status]).toEqual([host, 421]);
      expect([host, (await get("/", host)).status]).toEqual([host, 421]);
    }
    for (const host of ["localhost", "localhost:8080", "127.0.0.1:8080", "[::1]:8080"]) {
      expect([host, (await get("/api/v1/members", host, { cookie: s.cookie })).status]).toEqual([host, 200]);
    }
    // An admin adds the box's DNS name.
    h.rt.settings.set("http.allowedHosts", ["bodydock.gym.example"], "test");
    expect((await get("/api/v1/members", "BODYDOCK.gym.example:8080", { cookie: s.cookie })).status).toBe(200);
    // Devices: any Host at all.
    const lefu = await h.app.handle(new Request("http://localhost/lefu/wifi/torre/register", { method: "POST", headers: { host: "api.lefuenergy.com", "content-type": "application/json" }, body: "{}" }));
    expect(lefu.status).toBe(200);
  });

  test("sign-out ends that session on the server: the same cookie is refused afterwards; other sessions go on", async () => {
    const h = setup();
    const a = await signIn(h.rt, h.app);
    const b = await signIn(h.rt, h.app);
    expect((await a.call("GET", "/api/v1/auth/me")).status).toBe(200);
    expect((await a.call("POST", "/api/v1/auth/logout")).status).toBe(200);
    expect((await a.call("GET", "/api/v1/auth/me")).status).toBe(401);
    expect((await b.call("GET", "/api/v1/auth/me")).status).toBe(200);
  });
});
