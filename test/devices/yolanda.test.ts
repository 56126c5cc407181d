import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { SignJWT } from "jose";
import { parseIp, sourceAllowed, verifyMini, type MiniAuthSettings } from "../../src/devices/yolanda/access.ts";
import { yolandaClaimReport } from "../../src/devices/yolanda/claim.ts";
import { deriverFrom } from "../../src/devices/yolanda/derive.ts";
import { LiteReports } from "../../src/devices/yolanda/lite-reports.ts";
import type { MeasurementRow } from "../../src/store/measurements-repo.ts";
import { ClaimsRepo } from "../../src/store/claims-repo.ts";
import { normaliseItem, type YolandaItem } from "../../src/devices/yolanda/items.ts";
import { DEFAULT_RELAY_SOURCES } from "../../src/config/settings.ts";
import { seedWorld } from "../fixtures/world.ts";
import { runtimePerTest } from "../helpers.ts";

const NOW = 1762430400000;
const SECRET = "test-secret-not-for-production";
const OLD_SECRET = "the-previous-secret-0123456789";
const SCALE = "A8:48:FA:35:14:56";
const SCALE2 = "12:34:56:78:9A:BC";
const RELAY_AUTH = "Basic Zml4dHVyZTpub3QtYS1yZWFsLXNlY3JldA==";

const fresh = runtimePerTest();
/** A runtime seeded with the fixture world (secret, relay settings, members, slots). */
function setup(config: Record<string, unknown> = {}) {
  const h = fresh();
  seedWorld(h.rt.db, h.rt.settings, NOW, config);
  return h;
}
type H = ReturnType<typeof setup>;

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

async function token(claims: Record<string, unknown> = { iss: "wsp-mini", appid: "wx00fixture0000000", iat: NOW / 1000 - 30 }, secret = SECRET, alg = "HS256") {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(enc(secret));
}
/** A hand-made HS256 token with any header (jose refuses to sign some of these). */
function rawToken(header: Record<string, unknown>, payload: Record<string, unknown>, secret = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

function miniItem(over: Record<string, unknown> = {}) {
  return {
    user_index: 1,
    timestamp: 1762429000,
    hmac: "E8B40DEE51140E284782FDFC52E04962",
    definite_flag: true,
    weight: 78.5,
    heart_rate: 70,
    bmi: 24.1,
    bodyfat: 18.8,
    ...over,
  };
}

async function users(h: H, query: string, auth: string | null) {
  const headers: Record<string, string> = auth === null ? {} : { authorization: auth };
  return h.app.handle(new Request(`http://localhost/wsp-mini/users${query}`, { headers }));
}
async function measure(h: H, body: unknown, auth: string | null, path = "/wsp-mini/measurements") {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth !== null) headers.authorization = auth;
  return h.app.handle(new Request(`http://localhost${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) }));
}
async function relay(h: H, name: string, body: unknown, headers: Record<string, string> = { authorization: RELAY_AUTH }) {
  return h.app.handle(
    new Request(`http://localhost/wsp/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

const q = <T>(h: H, sql: string, ...p: unknown[]) => h.rt.db.query(sql).all(...(p as never[])) as T[];
const count = (h: H, table: string, where = "1", ...p: unknown[]) => (h.rt.db.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get(...(p as never[])) as { n: number }).n;
const lastCapture = (h: H) => h.rt.db.query("SELECT * FROM captures ORDER BY id DESC LIMIT 1").get() as Record<string, unknown>;

async function expectUnauthorized(res: Response) {
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
  expect(await res.text()).toBe("unauthorized");
}

// ---- §3.2 authentication, on both WSP Mini endpoints -------------------------------------

describe("WSP Mini JWT (spec §3.2), on /users and on /measurements", () => {
  type Case = [name: string, auth: () => Promise<string | null>, reason: string, config?: Record<string, unknown>];
  const rejected: Case[] = [
    ["no Authorization header", async () => null, "missing_authorization"],
    ["a Basic scheme", async () => "Basic dXNlcjpwYXNz", "not_bearer"],
    ["the bare token without a scheme", async () => token(), "not_bearer"],
    ["alg none", async () => `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: "wsp-mini", iat: NOW / 1000 })}.`, "alg_not_allowed"],
    ["HS512 signed with the right secret", async () => `Bearer ${await token(undefined, SECRET, "HS512")}`, "alg_not_allowed"],
    ["HS384 signed with the right secret", async () => `Bearer ${await token(undefined, SECRET, "HS384")}`, "alg_not_allowed"],
    ["a wrong key", async () => `Bearer ${await token(undefined, "some-other-secret-entirely")}`, "signature_failed"],
    ["a tampered payload", async () => `Bearer ${(await token()).replace(/\.[^.]+\./, `.${b64({ iss: "wsp-mini", appid: "evil" })}.`)}`, "signature_failed"],
    ["an exp in the past (beyond the 300 s tolerance)", async () => `Bearer ${await token({ iat: NOW / 1000 - 7200, exp: NOW / 1000 - 301 })}`, "expired"],
    ["an nbf in the future (beyond the tolerance)", async () => `Bearer ${await token({ iat: NOW / 1000, nbf: NOW / 1000 + 301 })}`, "not_yet_valid"],
    ["an unknown crit header", async () => `Bearer ${rawToken({ alg: "HS256", crit: ["x-bodydock"], "x-bodydock": 1 }, { iat: NOW / 1000 })}`, "not_supported"],
    ["garbage", async () => "Bearer not.a.jwt", "malformed"],
    ["a wrong appid when expectedAppid is set", async () => `Bearer ${await token({ appid: "wx-other", iat: NOW / 1000 })}`, "appid_mismatch", { "yolanda.mini.expectedAppid": "wx00fixture0000000" }],
    ["a wrong iss when expectedIssuer is set", async () => `Bearer ${await token({ iss: "someone", iat: NOW / 1000 })}`, "issuer_mismatch", { "yolanda.mini.expectedIssuer": "wsp-mini" }],
    ["an old iat when maxTokenAgeSeconds is set", async () => `Bearer ${await token({ iat: NOW / 1000 - 4000 })}`, "token_too_old", { "yolanda.mini.maxTokenAgeSeconds": 3600 }],
    ["no iat when maxTokenAgeSeconds is set", async () => `Bearer ${await token({ iss: "wsp-mini" })}`, "iat_missing", { "yolanda.mini.maxTokenAgeSeconds": 3600 }],
    // §0.3.6: iat required, not more than 5 min in the future, and without exp at most 24 h old by default.
    ["no claims at all (no iat)", async () => `Bearer ${await token({})}`, "iat_missing"],
    ["an iat 301 s in the future", async () => `Bearer ${await token({ iat: NOW / 1000 + 301 + 300 })}`, "iat_in_future"],
    ["an iat 6 min in the future with no tolerance", async () => `Bearer ${await token({ iat: NOW / 1000 + 360 })}`, "iat_in_future", { "yolanda.mini.clockToleranceSeconds": 0 }],
    ["a 2021 iat and no exp (older than the default 24 h)", async () => `Bearer ${await token({ iat: 1630997335 })}`, "token_too_old"],
    ["the vendor's 2021 sample token (no exp)", async () => `Bearer ${rawToken({ alg: "HS256", algorithm: "HS256", typ: "JWT" }, { iss: "LO8dfyKIwUtdokA85RZFNTO8ByAvh29B", iat: 1630997335, user_id: 465 })}`, "token_too_old"],
    ["no appid when expectedAppid is set", async () => `Bearer ${await token({ iss: "x", iat: NOW / 1000 })}`, "appid_missing", { "yolanda.mini.expectedAppid": "wx00fixture0000000" }],
  ];
  for (const [name, auth, reason, config] of rejected) {
    for (const endpoint of ["users", "measurements"] as const) {
      test(`${endpoint}: ${name} → 401 unauthorized, reason ${reason}, nothing but the capture stored`, async () => {
        const h = setup(config);
        const a = await auth();
        const res = endpoint === "users" ? await users(h, `?mac=${SCALE}`, a) : await measure(h, { mac: SCALE, measurements: [miniItem()] }, a);
        await expectUnauthorized(res);
        expect(count(h, "measurements")).toBe(0);
        expect(count(h, "quarantine")).toBe(0);
        const c = lastCapture(h);
        expect([c.auth_failure, c.auth_result, c.device_id, c.response_status]).toEqual([1, reason, null, 401]);
        expect(count(h, "devices", "vendor = 'yolanda' AND family != 'unknown'")).toBe(0);
      });
    }
  }

  const accepted: Array<[string, () => Promise<string>, Record<string, unknown>?]> = [
    ["the fixture token", async () => `Bearer ${await token()}`],
    ["no exp, no appid, no iss (only iat)", async () => `Bearer ${await token({ iat: NOW / 1000 - 10 })}`],
    ["the vendor's header shape (extra 'algorithm' key) and a user_id claim", async () => `Bearer ${rawToken({ alg: "HS256", algorithm: "HS256", typ: "JWT" }, { iss: "LO8dfyKIwUtdokA85RZFNTO8ByAvh29B", iat: NOW / 1000 - 60, user_id: 465 })}`],
    ["a 23 h old iat and no exp", async () => `Bearer ${await token({ iat: NOW / 1000 - 23 * 3600 })}`],
    ["a 2021 iat with an exp still ahead (the age limit is for tokens without exp)", async () => `Bearer ${await token({ iat: 1630997335, exp: NOW / 1000 + 3600 })}`],
    ["an iat 4 min in the future", async () => `Bearer ${await token({ iat: NOW / 1000 + 240 })}`],
    ["an exp 299 s ago (inside the tolerance)", async () => `Bearer ${await token({ iat: NOW / 1000 - 3600, exp: NOW / 1000 - 299 })}`],
    ["'bearer' in lower case with several spaces", async () => `bearer    ${await token()}`],
    ["a wrong appid when expectedAppid is not set", async () => `Bearer ${await token({ appid: "wx-other", iat: NOW / 1000 })}`],
    ["the right appid when expectedAppid is set", async () => `Bearer ${await token()}`, { "yolanda.mini.expectedAppid": "wx00fixture0000000" }],
    ["no iss when expectedIssuer is set", async () => `Bearer ${await token({ appid: "x", iat: NOW / 1000 })}`, { "yolanda.mini.expectedIssuer": "wsp-mini" }],
    ["a fresh iat when maxTokenAgeSeconds is set", async () => `Bearer ${await token({ iat: NOW / 1000 - 60 })}`, { "yolanda.mini.maxTokenAgeSeconds": 3600 }],
  ];
  for (const [name, auth, config] of accepted) {
    test(`accepted on both endpoints: ${name}`, async () => {
      const h = setup(config);
      const a = await auth();
      const u = await users(h, `?mac=${SCALE}`, a);
      expect(u.status).toBe(200);
      expect(((await u.json()) as { users: unknown[] }).users.length).toBe(3);
      const m = await measure(h, { mac: SCALE, measurements: [miniItem()] }, a);
      expect([m.status, await m.text()]).toEqual([200, "success"]);
      expect(count(h, "measurements")).toBe(1);
    });
  }

  test("the clock is deps.now(): a token valid now is expired once the clock moves past exp + tolerance", async () => {
    const h = setup();
    const a = `Bearer ${await token({ iat: NOW / 1000, exp: NOW / 1000 + 60 })}`;
    expect((await users(h, `?mac=${SCALE}`, a)).status).toBe(200);
    h.clock.set(NOW + 60_000 + 300_000 + 1000);
    await expectUnauthorized(await users(h, `?mac=${SCALE}`, a));
    expect(lastCapture(h).auth_result).toBe("expired");
  });

  test("rotation: a token signed with the previous secret is accepted while it is set, then refused", async () => {
    const h = setup({ "yolanda.mini.jwtSecret": "the-new-secret-abcdefghijklmnop", "yolanda.mini.jwtSecretPrevious": OLD_SECRET });
    const old = `Bearer ${await token(undefined, OLD_SECRET)}`;
    const fresh = `Bearer ${await token(undefined, "the-new-secret-abcdefghijklmnop")}`;
    expect((await users(h, `?mac=${SCALE}`, old)).status).toBe(200);
    expect(lastCapture(h).auth_result).toBe("ok_previous_secret");
    expect((await users(h, `?mac=${SCALE}`, fresh)).status).toBe(200);
    expect(lastCapture(h).auth_result).toBe("ok");
    // The previous secret only rescues a signature failure: an expired old token is still expired.
    await expectUnauthorized(await users(h, `?mac=${SCALE}`, `Bearer ${await token({ iat: NOW / 1000 - 7200, exp: NOW / 1000 - 3600 }, OLD_SECRET)}`));
    expect(lastCapture(h).auth_result).toBe("expired");
    // ... and the previous secret does not make HS512 acceptable.
    await expectUnauthorized(await users(h, `?mac=${SCALE}`, `Bearer ${await token(undefined, OLD_SECRET, "HS512")}`));
    h.rt.settings.set("yolanda.mini.jwtSecretPrevious", null, "staff");
    await expectUnauthorized(await users(h, `?mac=${SCALE}`, old));
    expect(lastCapture(h).auth_result).toBe("signature_failed");
  });

  for (const endpoint of ["users", "measurements"] as const) {
    test(`${endpoint}: no secret configured → 503 'not configured' until staff set one`, async () => {
      const h = setup({ "yolanda.mini.jwtSecret": null });
      const a = `Bearer ${await token()}`;
      const call = () => (endpoint === "users" ? users(h, `?mac=${SCALE}`, a) : measure(h, { mac: SCALE, measurements: [miniItem()] }, a));
      const res = await call();
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await res.text()).toBe("not configured");
      expect(count(h, "measurements")).toBe(0);
      // An empty string is not a secret either.
      h.rt.settings.set("yolanda.mini.jwtSecret", "", "staff");
      expect((await call()).status).toBe(503);
      h.rt.settings.set("yolanda.mini.jwtSecret", SECRET, "staff");
      expect((await call()).status).toBe(200);
    });
  }

  test("verifyMini uses the given clock for jose (currentDate), not the wall clock", async () => {
    const s: MiniAuthSettings = { secret: SECRET, previous: null, clockToleranceSeconds: 0, maxTokenAgeSeconds: null, expectedAppid: null, expectedIssuer: null };
    const t = await token({ iat: 1999990000, exp: 2000000000 });
    expect((await verifyMini(`Bearer ${t}`, s, 1999999999000)).ok).toBe(true);
    expect(await verifyMini(`Bearer ${t}`, s, 2000000001000)).toEqual({ ok: false, reason: "expired" });
  });

  test("secrets are in settings only: never in another table, a log line or a capture (token signature redacted)", async () => {
    const h = setup({ "yolanda.mini.jwtSecretPrevious": OLD_SECRET });
    const good = await token();
    await users(h, `?mac=${SCALE}`, `Bearer ${good}`);
    await measure(h, { mac: SCALE, measurements: [miniItem()] }, `Bearer ${good}`);
    await users(h, `?mac=${SCALE}`, `Bearer ${await token(undefined, "wrong-secret-xyz")}`);
    await users(h, `?mac=${SCALE}`, `Bearer ${await token(undefined, OLD_SECRET)}`);
    await relay(h, "read_secret_key", { mac: SCALE });
    await relay(h, "read_scale_users", { mac: SCALE }, { authorization: "Basic d3Jvbmc6d3Jvbmc=" });
    const signature = good.split(".")[2]!;
    const forbidden = [SECRET, OLD_SECRET, signature, "Zml4dHVyZTpub3QtYS1yZWFsLXNlY3JldA==", "K7f3Q9x2L5m8P1zB"];
    const tables = q<{ name: string }>(h, "SELECT name FROM sqlite_master WHERE type = 'table'").map((t) => t.name);
    for (const t of tables) {
      for (const row of q<Record<string, unknown>>(h, `SELECT * FROM "${t}"`)) {
        for (const [col, v] of Object.entries(row)) {
          if (typeof v !== "string") continue;
          for (const f of forbidden) {
            const home = (t === "settings" && col === "value") || (t === "devices" && col === "scale_secret_key" && f === "K7f3Q9x2L5m8P1zB");
            if (!home) expect(`${t}.${col}: ${v.includes(f) ? f : "ok"}`).toBe(`${t}.${col}: ok`);
          }
        }
      }
    }
    const logs = h.log.lines.map((l) => JSON.stringify(l)).join("\n");
    for (const f of forbidden) expect(logs.includes(f)).toBe(false);
    const capturedAuth = q<{ h: string }>(h, "SELECT json_extract(headers_json, '$.authorization') AS h FROM captures WHERE router = 'wsp-mini' LIMIT 1")[0]!.h;
    expect(capturedAuth).toBe(`Bearer ${good.split(".").slice(0, 2).join(".")}.[sig]`);
    // The settings API view masks them.
    const view = h.rt.settings.list().filter((s) => s.key.startsWith("yolanda."));
    expect(view.filter((s) => s.secret).map((s) => [s.key, s.value])).toEqual([
      ["yolanda.mini.jwtSecret", "********"],
      ["yolanda.mini.jwtSecretPrevious", "********"],
      ["yolanda.relay.authorization", "********"],
      ["yolanda.relay.defaultScaleKey", null],
    ]);
  });
});

// ---- §3.3 users --------------------------------------------------------------------------------

describe("GET …/wsp-mini/users (spec §3.3)", () => {
  const VENDOR_EXAMPLE = {
    users: [
      { user_index: 1, gender: 1, height: 180.5, birthday: "1995-06-30", weight: 78.6 },
      { user_index: 2, gender: 0, height: 168.5, birthday: "1994-02-28", weight: 54 },
      { user_index: 8, gender: 1, height: 174.3, birthday: "1999-12-08", weight: 67 },
    ],
  };

  test("any prefix, any case, double and trailing slashes, MAC in any spelling or URL-encoded", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    for (const path of [
      "/wsp-mini/users?mac=A8:48:FA:35:14:56",
      "/bodydock/gym/wsp-mini/users?mac=a8-48-fa-35-14-56",
      "//x//WSP-Mini/Users/?mac=a848fa351456",
      "/wsp-mini/users?mac=A8%3A48%3AFA%3A35%3A14%3A56",
      "/wsp-mini/users?mac=a8.48.fa.35.14.56&other=1",
    ]) {
      const res = await h.app.handle(new Request("http://localhost" + path, { headers: { authorization: a } }));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await res.json()).toEqual(VENDOR_EXAMPLE);
      const prefix = q<{ path_prefix: string }>(h, "SELECT path_prefix FROM devices WHERE device_key = ?", SCALE)[0]!.path_prefix;
      expect(prefix).toBe(path.startsWith("/bodydock") ? "/bodydock/gym" : path.startsWith("//x") ? "/x" : "");
    }
  });

  test("missing or invalid mac → 400 {error: invalid_mac}", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    for (const query of ["", "?mac=", "?mac=A8:48:FA:35:14", "?mac=ZZ:48:FA:35:14:56", "?mac[]=x"]) {
      const res = await users(h, query, a);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await res.json()).toEqual({ error: "invalid_mac" });
    }
  });

  test("left out: suspended members, unspecified sex, no height, no birthday, no weight; freed slots; sorted by slot", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    const db = h.rt.db;
    // 12:34:56:78:9A:BC has slots 1 (1001) and 8 (1003). Add the others to free slots.
    const add = db.query("INSERT INTO yolanda_slots (mac, user_index, member_id, user_key, assigned_at) VALUES (?, ?, ?, ?, ?)");
    add.run(SCALE2, 5, 1005, 1234, NOW); // unspecified sex
    add.run(SCALE2, 3, 1002, 2345, NOW);
    add.run(SCALE2, 4, 1004, 3456, NOW); // suspended
    const list = async () => ((await (await users(h, `?mac=${SCALE2}`, a)).json()) as { users: Array<{ user_index: number }> }).users.map((u) => u.user_index);
    expect(await list()).toEqual([1, 3, 8]);
    db.run("UPDATE members SET height_cm = NULL WHERE id = 1002");
    expect(await list()).toEqual([1, 8]);
    db.run("UPDATE members SET height_cm = 168.5, birthday = NULL WHERE id = 1002");
    expect(await list()).toEqual([1, 8]);
    db.run("UPDATE members SET birthday = '1994-02-30' WHERE id = 1002"); // not a date
    expect(await list()).toEqual([1, 8]);
    db.run("UPDATE members SET birthday = '1994-2-8', reference_weight_kg = NULL WHERE id = 1002");
    expect(await list()).toEqual([1, 8]);
    db.run("UPDATE members SET reference_weight_kg = 54.04 WHERE id = 1002");
    const res = (await (await users(h, `?mac=${SCALE2}`, a)).json()) as { users: Array<Record<string, unknown>> };
    expect(res.users[1]).toEqual({ user_index: 3, gender: 0, height: 168.5, birthday: "1994-02-08", weight: 54 });
    db.run("UPDATE yolanda_slots SET removed_at = ? WHERE mac = ? AND user_index = 8", [NOW, SCALE2]);
    expect(await list()).toEqual([1, 3]);
  });

  test("weight is the member's last measured weight (any source), else the reference weight", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    await measure(h, { mac: SCALE, measurements: [miniItem({ user_index: 1, weight: 80.26, timestamp: 1762420000 })] }, a);
    await measure(h, { mac: SCALE, measurements: [miniItem({ user_index: 1, weight: 79.04, timestamp: 1762410000 })] }, a); // older
    const res = (await (await users(h, `?mac=${SCALE}`, a)).json()) as { users: Array<{ user_index: number; weight: number }> };
    expect(res.users.find((u) => u.user_index === 1)!.weight).toBe(80.3);
  });

  test("an unknown MAC answers [] and records the scale as seen", async () => {
    const h = setup();
    const res = await users(h, "?mac=c0:ff:ee:00:00:01", `Bearer ${await token()}`);
    expect(await res.json()).toEqual({ users: [] });
    expect(q(h, "SELECT vendor, family, mac, last_seen FROM devices WHERE device_key = 'C0:FF:EE:00:00:01'")).toEqual([
      { vendor: "yolanda", family: "wsp-mini", mac: "C0:FF:EE:00:00:01", last_seen: NOW },
    ]);
  });
});

// ---- §3.4 measurements ------------------------------------------------------------------------

describe("POST …/wsp-mini/measurements (spec §3.4)", () => {
  test("a replay answers success and stores nothing; the device counts the duplicate", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    const body = { mac: SCALE, measurements: [miniItem(), miniItem({ user_index: 2, timestamp: 1762429001, weight: 54.2 })] };
    for (let i = 0; i < 3; i++) {
      const res = await measure(h, body, a);
      expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([200, "text/plain; charset=utf-8", "success"]);
    }
    expect(count(h, "measurements")).toBe(2);
    expect(q(h, "SELECT idem_key, member_id FROM measurements ORDER BY idem_key")).toEqual([
      { idem_key: "yolanda:A8:48:FA:35:14:56:1762429000:1", member_id: 1001 },
      { idem_key: "yolanda:A8:48:FA:35:14:56:1762429001:2", member_id: 1002 },
    ]);
    expect(q<{ dup_count: number }>(h, "SELECT dup_count FROM devices WHERE device_key = ?", SCALE)[0]!.dup_count).toBe(4);
    expect(q<{ duplicate: number }>(h, "SELECT duplicate FROM captures ORDER BY id").map((c) => c.duplicate)).toEqual([0, 1, 1]);
    expect(count(h, "diagnostics")).toBe(0);
  });

  test("a replay in milliseconds has the same key; one with another weight or hmac keeps the first row and notes a conflict", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    await measure(h, { mac: SCALE, measurements: [miniItem()] }, a);
    await measure(h, { mac: SCALE, measurements: [miniItem({ timestamp: 1762429000000 })] }, a);
    expect(count(h, "diagnostics")).toBe(0);
    await measure(h, { mac: SCALE, measurements: [miniItem({ weight: 79.1 })] }, a);
    await measure(h, { mac: SCALE, measurements: [miniItem({ hmac: "FFFF" })] }, a);
    expect(count(h, "measurements")).toBe(1);
    expect(q<{ weight_kg: number }>(h, "SELECT weight_kg FROM measurements")[0]!.weight_kg).toBe(78.5);
    expect(count(h, "diagnostics", "kind = 'conflicting_duplicate'")).toBe(2);
  });

  test("durable before the answer: a storage failure is 500 'fail' and nothing is half-written", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    h.rt.db.run("DROP TABLE diagnostics");
    h.rt.db.run("DROP TABLE quarantine");
    h.rt.db.run("ALTER TABLE measurements RENAME TO m_gone");
    const res = await measure(h, { mac: SCALE, measurements: [miniItem()] }, a);
    expect([res.status, await res.text()]).toEqual([500, "fail"]);
    expect(count(h, "captures")).toBe(0);
  });

  test("attribution: definite + active slot member; definite=false; empty slot; out of range; suspended member", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    await measure(h, {
      mac: SCALE,
      measurements: [
        miniItem({ user_index: 1, timestamp: 1762429000 }),
        miniItem({ user_index: 1, timestamp: 1762429001, definite_flag: false }),
        miniItem({ user_index: 5, timestamp: 1762429002, weight: 54.3 }),
        miniItem({ user_index: 9, timestamp: 1762429003 }),
        miniItem({ user_index: 3, timestamp: 1762429004 }),
        miniItem({ user_index: 2, timestamp: 1762429005, definite_flag: undefined, weight: 54 }),
      ],
    }, a);
    const rows = q<Record<string, unknown>>(h, "SELECT user_index, member_id, status, claim_reason, suggested_member_id, candidates_json, definite_flag, group_key FROM measurements ORDER BY measured_at");
    expect(rows).toEqual([
      { user_index: 1, member_id: 1001, status: "assigned", claim_reason: null, suggested_member_id: null, candidates_json: null, definite_flag: 1, group_key: "yolanda-slot:A8:48:FA:35:14:56:1" },
      { user_index: 1, member_id: null, status: "unassigned", claim_reason: "uncertain", suggested_member_id: 1001, candidates_json: "[1001]", definite_flag: 0, group_key: "yolanda-slot:A8:48:FA:35:14:56:1" },
      // Weight-based suggestions are not stored at ingest (issue 18): the claim queue adds them when staff open it.
      { user_index: 5, member_id: null, status: "unassigned", claim_reason: "empty_slot", suggested_member_id: null, candidates_json: null, definite_flag: 1, group_key: "yolanda-slot:A8:48:FA:35:14:56:5" },
      { user_index: 9, member_id: null, status: "unassigned", claim_reason: "user_index_out_of_range", suggested_member_id: null, candidates_json: null, definite_flag: 1, group_key: null },
      { user_index: 3, member_id: null, status: "unassigned", claim_reason: "member_inactive", suggested_member_id: 1004, candidates_json: "[1004]", definite_flag: 1, group_key: "yolanda-slot:A8:48:FA:35:14:56:3" },
      // definite_flag missing counts as false
      { user_index: 2, member_id: null, status: "unassigned", claim_reason: "uncertain", suggested_member_id: 1002, candidates_json: "[1002]", definite_flag: 0, group_key: "yolanda-slot:A8:48:FA:35:14:56:2" },
    ]);
    // The claim queue as staff see it: the slot's member first, then active members whose last weight is nearest.
    const queue = h.rt.repos.claims.list("unassigned", 50, 0).items.map((r) => ({ user_index: r.user_index, suggested: r.suggested_member_id, candidates: r.candidates_json }));
    expect(queue).toEqual([
      { user_index: 2, suggested: 1002, candidates: "[1002]" },
      { user_index: 3, suggested: 1004, candidates: "[1004,1001]" },
      { user_index: 9, suggested: 1001, candidates: "[1001]" },
      { user_index: 5, suggested: 1002, candidates: "[1002]" },
      { user_index: 1, suggested: 1001, candidates: "[1001]" },
    ]);
  });

  test("the slot holder at the measurement time wins over today's holder", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    // Slot 1 was Bea's until 12:00 on the fixture day; Alex has it since.
    h.rt.db.run("UPDATE yolanda_slots SET assigned_at = ? WHERE mac = ? AND user_index = 1", [NOW - 3_600_000, SCALE]);
    h.rt.db.run("UPDATE yolanda_slots SET removed_at = ?, purge_pending = 1 WHERE mac = ? AND user_index = 2", [NOW - 3_600_000, SCALE]);
    h.rt.db.run("INSERT INTO yolanda_slots (mac, user_index, member_id, user_key, assigned_at, removed_at) VALUES (?, 1, 1002, 1111, ?, ?)", [SCALE, NOW - 86_400_000, NOW - 3_600_000]);
    await measure(h, { mac: SCALE, measurements: [miniItem({ timestamp: (NOW - 7_200_000) / 1000, weight: 54 }), miniItem({ timestamp: (NOW - 60_000) / 1000 })] }, a);
    expect(q(h, "SELECT member_id FROM measurements ORDER BY measured_at")).toEqual([{ member_id: 1002 }, { member_id: 1001 }]);
  });

  test("field coercions: string numbers, decimal commas, boolean spellings, ms timestamps; hmac verbatim; heart rate 0 → null", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    const hmac = "  e8b40dee 51140E28\n";
    await measure(h, {
      mac: "a8-48-fa-35-14-56",
      measurements: [
        { user_index: "1.0", timestamp: "1762429000000", hmac, definite_flag: "TRUE", weight: "78,4", heart_rate: 0, bmi: "24.1", bodyfat: " 18.9 ", muscle: "n/a", "Fat Weight": 14.8, surprise: { a: 1 } },
        { user_index: 2, timestamp: 1762429001, hmac: "X", definite_flag: 1, weight: 54.1, heart_rate: "71" },
        { user_index: 8, timestamp: 1762429002, hmac: "Y", definite_flag: "0", weight: 67.1 },
      ],
    }, a);
    const rows = q<Record<string, unknown>>(h, "SELECT user_index, member_id, weight_kg, heart_rate, measured_at, device_ts_raw, hmac, definite_flag, indicators_json FROM measurements ORDER BY measured_at");
    expect(rows[0]).toEqual({
      user_index: 1,
      member_id: 1001,
      weight_kg: 78.4,
      heart_rate: null,
      measured_at: 1762429000000,
      device_ts_raw: "1762429000000",
      hmac,
      definite_flag: 1,
      indicators_json: expect.any(String),
    });
    // What the relay sent, coerced; what it left out is derived by the core (bodyfat-only) and listed as such.
    const sent = { weight: 78.4, heart_rate: 0, bmi: 24.1, bodyfat: 18.9, fat_weight: 14.8, extra: { surprise: { a: 1 } } };
    const ind = JSON.parse(String(rows[0]!.indicators_json)) as Record<string, unknown> & { derived: string[] };
    expect(ind).toMatchObject(sent);
    expect(ind.derived).toContain("muscle");
    for (const f of Object.keys(sent)) expect(ind.derived).not.toContain(f);
    expect(rows[1]!.heart_rate).toBe(71);
    expect(rows[1]!.member_id).toBe(1002);
    expect([rows[2]!.definite_flag, rows[2]!.member_id]).toEqual([0, null]);
    expect(JSON.parse(String(q<{ raw_item_json: string }>(h, "SELECT raw_item_json FROM measurements ORDER BY measured_at")[0]!.raw_item_json)).muscle).toBe("n/a");
  });

  test("unknown fields are kept in indicators.extra, with secrets redacted", async () => {
    const h = setup();
    await measure(h, { mac: SCALE, measurements: [miniItem({ note: "x", password: "hunter2-in-a-report", nested: { token: "tok-abc-123" } })] }, `Bearer ${await token()}`);
    const row = q<{ indicators_json: string; raw_item_json: string }>(h, "SELECT indicators_json, raw_item_json FROM measurements")[0]!;
    expect(JSON.parse(row.indicators_json).extra).toEqual({ note: "x", password: "[redacted]", nested: { token: "[redacted]" } });
    for (const t of ["measurements", "captures", "quarantine"]) {
      const all = JSON.stringify(q(h, `SELECT * FROM ${t}`));
      expect([t, all.includes("hunter2-in-a-report"), all.includes("tok-abc-123")]).toEqual([t, false, false]);
    }
  });

  test("partial validity: items without a usable timestamp or weight are quarantined, the rest stored, answer success", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    const res = await measure(h, {
      mac: SCALE,
      measurements: [miniItem(), miniItem({ weight: "heavy", timestamp: 1762429001 }), miniItem({ timestamp: null }), null, 7, miniItem({ weight: 400, timestamp: 1762429002 })],
    }, a);
    expect(await res.text()).toBe("success");
    expect(count(h, "measurements")).toBe(1);
    expect(q<{ reason: string }>(h, "SELECT reason FROM quarantine ORDER BY id").map((r) => r.reason)).toEqual([
      "weight_out_of_range",
      "no_timestamp",
      "not_an_object",
      "not_an_object",
      "weight_out_of_range",
    ]);
    expect(lastCapture(h).quarantine).toBe(1);
  });

  test("bad bodies → 400 'fail', captured and quarantined; never a 5xx", async () => {
    const h = setup();
    const a = `Bearer ${await token()}`;
    const cases: Array<[unknown, string]> = [
      ['{"mac":"A8:48:FA:35:14:56","measurements":', "unparseable"],
      ["", "invalid_mac"],
      [[1, 2], "not_an_object"],
      [{ measurements: [miniItem()] }, "invalid_mac"],
      [{ mac: "nope", measurements: [miniItem()] }, "invalid_mac"],
      [{ mac: SCALE, measurements: { 0: miniItem() } }, "no_measurements"],
      [{ mac: SCALE }, "no_measurements"],
    ];
    for (const [body, reason] of cases) {
      const res = await measure(h, body, a);
      expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([400, "text/plain; charset=utf-8", "fail"]);
      expect(q<{ reason: string }>(h, "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1")[0]!.reason).toBe(reason);
    }
    expect(count(h, "measurements")).toBe(0);
    const weird = [
      { mac: SCALE, measurements: [{ user_index: 1e20, timestamp: 1762429000, weight: 70 }] },
      { mac: SCALE, measurements: [{ user_index: 1, timestamp: 1e300, weight: 70 }] },
      { mac: SCALE, measurements: [{ user_index: 1, timestamp: 1762429001, weight: 70, heart_rate: 1e20, resistance_flag: -1e30, hmac: 12345 }] },
      { mac: 123456789012, measurements: [{ user_index: -3, timestamp: "1762429002", weight: "70", definite_flag: "maybe" }] },
      "[".repeat(4000) + "]".repeat(4000),
      '{"mac":"A8:48:FA:35:14:56","measurements":[{"weight":70,"timestamp":1762429003,"__proto__":{"x":1}}]}',
      // Nesting inside an otherwise good item, within MAX_JSON_DEPTH: stored.
      `{"mac":"A8:48:FA:35:14:56","measurements":[{"user_index":1,"weight":70,"timestamp":1762429004,"x":${"[".repeat(25)}${"]".repeat(25)}}]}`,
      // Deeper than MAX_JSON_DEPTH: refused before parsing (issue 13), quarantined as unparseable.
      `{"mac":"A8:48:FA:35:14:56","measurements":[{"user_index":1,"weight":70,"timestamp":1762429006,"x":${"[".repeat(100000)}${"]".repeat(100000)}}]}`,
    ];
    for (const body of weird) expect((await measure(h, body, a)).status).toBeLessThan(500);
    expect(count(h, "measurements", "measured_at = 1762429004000")).toBe(1);
    expect(count(h, "measurements", "measured_at = 1762429006000")).toBe(0);
    expect(q<{ reason: string }>(h, "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1")[0]!.reason).toBe("unparseable");
    const deep = await relay(h, "create_measurement", `{"mac":"${SCALE}","user_index":1,"weight":70,"timestamp":1762429005,"x":${"[".repeat(25)}${"]".repeat(25)}}`);
    expect(deep.status).toBe(200);
    const tooDeep = await relay(h, "create_measurement", `{"mac":"${SCALE}","user_index":1,"weight":70,"timestamp":1762429007,"x":${"[".repeat(100000)}${"]".repeat(100000)}}`);
    expect(tooDeep.status).toBeLessThan(500);
  });

  test("a body over 1 MiB → 413 'fail'", async () => {
    const h = setup();
    const res = await measure(h, JSON.stringify({ mac: SCALE, pad: "x".repeat(1024 * 1024) }), `Bearer ${await token()}`);
    expect([res.status, await res.text()]).toEqual([413, "fail"]);
    expect(count(h, "measurements")).toBe(0);
  });

  test("any prefix and case for the measurements path", async () => {
    const h = setup();
    const res = await measure(h, { mac: SCALE, measurements: [miniItem()] }, `Bearer ${await token()}`, "/gym//WSP-MINI/Measurements/");
    expect(await res.text()).toBe("success");
    expect(count(h, "measurements", "source = 'yolanda-mini'")).toBe(1);
  });
});

// ---- derivation of missing report fields ---------------------------------------------------------

describe("optional fields the relay did not send are derived (bodyfat-only), never overwriting", () => {
  const item = normaliseItem({ user_index: 1, timestamp: 1762429000, weight: 78.5, heart_rate: 70, bodyfat: 18.8, bmi: 24.1 }, NOW, true) as YolandaItem;
  const fakeCore = (input: Record<string, unknown>) => {
    calls.push(input);
    return { spec_version: "1.0", algorithm: "bodyfat-only", bmi: 99, fat_weight: 14.8, obesity: 5.2, muscle_rate: 70.1, levels: {}, warnings: [] };
  };
  let calls: Array<Record<string, unknown>> = [];

  test("fills only absent fields, lists them in `derived`, uses the slot member's profile", () => {
    const h = setup();
    calls = [];
    const out = deriverFrom(fakeCore)(item.indicators!, 1001, item, h.rt.repos.members, "UTC");
    expect(calls).toEqual([{ algorithm: "bodyfat-only", sex: "male", age: 30, birthday: "1995-06-30", measuredAt: 1762429000, heightCm: 180.5, weightKg: 78.5, heartRate: 70, bodyfat: 18.8 }]);
    expect(out.bmi).toBe(24.1); // sent by the relay: kept
    expect([out.fat_weight, out.obesity, out.muscle_rate]).toEqual([14.8, 5.2, 70.1]);
    expect(out.derived).toEqual(["fat_weight", "obesity", "muscle_rate"]);
  });

  test("nothing derived without a profile, without body fat, for an unspecified sex, or when the core refuses", () => {
    const h = setup();
    calls = [];
    const d = deriverFrom(fakeCore);
    expect(d(item.indicators!, null, item, h.rt.repos.members, "UTC")).toEqual(item.indicators!);
    const { bodyfat: _bf, ...noBf } = item.indicators!;
    expect(d(noBf, 1001, item, h.rt.repos.members, "UTC")).toEqual(noBf);
    expect(d(item.indicators!, 1005, item, h.rt.repos.members, "UTC")).toEqual(item.indicators!);
    expect(calls.length).toBe(0);
    expect(deriverFrom(() => ({ error: { code: "OUT_OF_RANGE" } }))(item.indicators!, 1001, item, h.rt.repos.members, "UTC")).toEqual(item.indicators!);
    expect(deriverFrom(() => { throw new Error("bug"); })(item.indicators!, 1001, item, h.rt.repos.members, "UTC")).toEqual(item.indicators!);
  });
});

// ---- §3.7 relays ---------------------------------------------------------------------------------

describe("on-site relays (spec §3.7): enabled flag, source allow-list, Authorization", () => {
  test("yolanda.relay.enabled=false → 404 on every relay path, nothing stored", async () => {
    const h = setup({ "yolanda.relay.enabled": false });
    for (const name of ["read_scale_users", "measurements", "list_users", "anything"]) {
      const res = await relay(h, name, { mac: SCALE });
      expect(res.status).toBe(404);
    }
    expect(count(h, "captures")).toBe(0);
  });

  test("a source outside yolanda.relay.allowedSources → 403, captured as an auth failure, nothing else stored", async () => {
    const h = setup({ "yolanda.relay.allowedSources": ["192.168.1.0/24"] }); // in-process requests count as loopback
    for (const [name, body] of [
      ["read_scale_users", { mac: SCALE }],
      ["measurements", { mac: SCALE, timestamp: 1762429000, weight: 70 }],
      ["create_measurements", { mac: SCALE, records: [] }],
    ] as const) {
      const res = await relay(h, name, body);
      expect(res.status).toBe(403);
    }
    expect(count(h, "measurements")).toBe(0);
    expect(q(h, "SELECT DISTINCT auth_failure, auth_result FROM captures")).toEqual([{ auth_failure: 1, auth_result: "source_not_allowed" }]);
    h.rt.settings.set("yolanda.relay.allowedSources", ["192.168.1.0/24", "127.0.0.1"], "staff");
    expect((await relay(h, "read_scale_users", { mac: SCALE })).status).toBe(200);
  });

  test("v1.0.x endpoints need the configured Authorization exactly; Lite and Full do not; unchecked when unset", async () => {
    const h = setup();
    for (const auth of [{} as Record<string, string>, { authorization: "Basic d3Jvbmc6d3Jvbmc=" }, { authorization: RELAY_AUTH + "x" }, { authorization: RELAY_AUTH.toLowerCase() }]) {
      for (const name of ["read_secret_key", "read_scale_users", "create_measurement", "finish_info_sync", "read_ota_versions"]) {
        const res = await relay(h, name, { mac: SCALE, user_index: 1, timestamp: 1762429000, weight: 70 }, auth);
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ is_success: false, error: "unauthorized" });
      }
    }
    expect(count(h, "measurements")).toBe(0);
    expect((await relay(h, "measurements", { mac: SCALE, timestamp: 1762429000, weight: 70 }, {})).status).toBe(200);
    expect((await relay(h, "list_users", { mac: SCALE }, {})).status).toBe(200);
    h.rt.settings.set("yolanda.relay.authorization", null, "staff");
    expect((await relay(h, "read_scale_users", { mac: SCALE }, {})).status).toBe(200);
  });

  test("sourceAllowed: IPv4, IPv6, IPv4-mapped IPv6, CIDR edges, unknown address = loopback", () => {
    const d = DEFAULT_RELAY_SOURCES;
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.20", "::1", "fd12:3456::1", "::ffff:192.168.1.5", "::ffff:7f00:1", null]) {
      expect(`${ip} ${sourceAllowed(ip, d)}`).toBe(`${ip} true`);
    }
    for (const ip of ["8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1", "2001:db8::1", "::ffff:8.8.8.8", "fe80::1", "garbage", ""]) {
      expect(`${ip} ${sourceAllowed(ip, d)}`).toBe(`${ip} false`);
    }
    expect(sourceAllowed("203.0.113.7", ["203.0.113.7"])).toBe(true);
    expect(sourceAllowed("203.0.113.8", ["203.0.113.7/32", "bad/99", "x"])).toBe(false);
    expect(sourceAllowed("203.0.113.8", ["0.0.0.0/0"])).toBe(true);
    expect(parseIp("[fe80::1%eth0]")).toEqual({ v: 6, bytes: [0xfe, 0x80, ...Array(13).fill(0), 1] });
  });

  test("unknown /wsp/<name> → 404 unsupported, captured as unknown path", async () => {
    const h = setup();
    for (const name of ["read_bow_scale_users", "read_qardio_scale_users", "Nope"]) {
      const res = await relay(h, name, { mac: SCALE });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ is_success: false, error: "unsupported" });
    }
    expect(count(h, "captures", "unknown_path = 1")).toBe(3);
  });

  test("/aios and /bps: success, quarantined as unsupported_device", async () => {
    const h = setup();
    for (const path of ["/aios/measurements", "/x/bps/measurements"]) {
      const res = await h.app.handle(new Request("http://localhost" + path, { method: "POST", body: JSON.stringify({ mac: SCALE, weight: 70, timestamp: 1762429000 }) }));
      expect([res.status, await res.text()]).toEqual([200, "success"]);
    }
    expect(q(h, "SELECT reason FROM quarantine")).toEqual([{ reason: "unsupported_device" }, { reason: "unsupported_device" }]);
    expect(count(h, "measurements")).toBe(0);
  });
});

describe("WSP Docker v1.0.x, WSP-Lite and WSP-Full endpoints", () => {
  test("read_secret_key: the scale's key, else the default key, else ''; never captured", async () => {
    const h = setup();
    const key = async (mac: string) => ((await (await relay(h, "read_secret_key", { mac })).json()) as { secret_key: string }).secret_key;
    expect(await key(SCALE)).toBe("K7f3Q9x2L5m8P1zB");
    expect(await key(SCALE2)).toBe("");
    h.rt.settings.set("yolanda.relay.defaultScaleKey", "D3fau1tK3yABCDEF", "staff");
    expect(await key(SCALE2)).toBe("D3fau1tK3yABCDEF");
    expect(await key(SCALE)).toBe("K7f3Q9x2L5m8P1zB");
    const stored = q<{ response_body: string }>(h, "SELECT response_body FROM captures").map((c) => c.response_body);
    expect(stored).toEqual(['{"secret_key":"[redacted]"}', '{"secret_key":""}', '{"secret_key":"[redacted]"}', '{"secret_key":"[redacted]"}']);
  });

  test("invalid MAC → 400 in the generation's envelope", async () => {
    const h = setup();
    const r1 = await relay(h, "read_scale_users", { mac: "x" });
    expect([r1.status, await r1.json()]).toEqual([400, { is_success: false, error: "invalid_mac" }]);
    const r2 = await relay(h, "measurements", { weight: 70, timestamp: 1762429000 });
    expect([r2.status, r2.headers.get("content-type"), await r2.text()]).toEqual([400, "text/plain; charset=utf-8", "fail"]);
    const r3 = await relay(h, "create_measurements", { mac: SCALE, records: "none" });
    expect([r3.status, await r3.json()]).toEqual([400, { is_success: false, error: "invalid_body" }]);
    const r4 = await relay(h, "create_measurement", "{not json");
    expect([r4.status, await r4.json()]).toEqual([400, { is_success: false, error: "invalid_json" }]);
  });

  test("read_scale_users honours yolanda.relay.unit and algorithm; sport_flag is the athlete flag", async () => {
    const h = setup({ "yolanda.relay.unit": 2, "yolanda.relay.algorithm": 5 });
    const body = (await (await relay(h, "read_scale_users", { mac: SCALE })).json()) as { unit: number; scale_users: Array<Record<string, number>> };
    expect(body.unit).toBe(2);
    expect(body.scale_users.map((u) => [u.user_index, u.algorithm, u.sport_flag, u.user_key])).toEqual([[1, 5, 0, 4821], [2, 5, 0, 7350], [8, 5, 1, 6102]]);
  });

  test("create_measurement is idempotent, stores resistances and model id; a replay answers the same", async () => {
    const h = setup();
    const body = { mac: SCALE, model_id: "0E2B", user_index: 2, weight: 54.2, timestamp: 1762429200, heart_rate: 70, resistance: 600, sec_resistance: 560, bodyfat: 27, hmac: "AB" };
    for (let i = 0; i < 2; i++) expect(await (await relay(h, "create_measurement", body)).json()).toEqual({ is_success: true });
    expect(q(h, "SELECT idem_key, member_id, source, resistance, sec_resistance, model_id FROM measurements")).toEqual([
      { idem_key: "yolanda:A8:48:FA:35:14:56:1762429200:2", member_id: 1002, source: "yolanda-docker", resistance: 600, sec_resistance: 560, model_id: "0E2B" },
    ]);
    // "model _id" (the doc's typo) is the same field.
    await relay(h, "create_measurement", { ...body, model_id: undefined, "model _id": "0F11", timestamp: 1762429300 });
    expect(q(h, "SELECT last_model_id FROM devices WHERE device_key = ?", SCALE)).toEqual([{ last_model_id: "0F11" }]);
    expect(await (await relay(h, "read_model_id", { mac: SCALE })).json()).toEqual({ model_id: "0F11" });
    expect(await (await relay(h, "read_model_id", { mac: SCALE2 })).json()).toEqual({ model_id: "" });
  });

  test("finish_info_sync purges the scale's soft-deleted slots (history kept), not other scales'", async () => {
    const h = setup();
    h.rt.db.run("UPDATE yolanda_slots SET removed_at = ?, purge_pending = 1 WHERE user_index = 8", [NOW]);
    await relay(h, "finish_info_sync", { mac: SCALE });
    expect(q(h, "SELECT mac, purge_pending, purged_at FROM yolanda_slots WHERE user_index = 8 ORDER BY mac")).toEqual([
      { mac: SCALE2, purge_pending: 1, purged_at: null },
      { mac: SCALE, purge_pending: 0, purged_at: NOW },
    ]);
  });

  test("WSP-Lite: claim queue with weight-based candidates, no report; replays idempotent", async () => {
    const h = setup();
    const body = { mac: SCALE, model_id: "0E2B", timestamp: 1762429320, weight: 54.9, heart_rate: 72, hmac: "9AF9" };
    for (let i = 0; i < 2; i++) expect(await (await relay(h, "measurements", body, {})).text()).toBe("success");
    expect(q(h, "SELECT idem_key, status, candidates_json, indicators_json, indicators_note IS NOT NULL AS note, hmac FROM measurements")).toEqual([
      { idem_key: "yolanda:A8:48:FA:35:14:56:1762429320:0", status: "unassigned", candidates_json: null, indicators_json: null, note: 1, hmac: "9AF9" },
    ]);
    expect(h.rt.repos.claims.list("unassigned", 50, 0).items.map((r) => r.candidates_json)).toEqual(["[1002]"]);
  });

  test("WSP-Full several records: one claim-queue row per weighing, idempotent; one record with an empty slot goes to the queue", async () => {
    const h = setup();
    const rec = (user_index: number, bodyfat: number) => ({ mac: SCALE, model_id: "0E2B", user_index, timestamp: 1762429500, weight: 71, heart_rate: 70, hmac: `H${user_index}`, bodyfat });
    const body = { mac: SCALE, records: [rec(1, 15.2), rec(8, 17.9), rec(5, 16)] };
    for (let i = 0; i < 2; i++) expect(await (await relay(h, "create_measurements", body, {})).json()).toEqual({ is_success: true });
    expect(q(h, "SELECT idem_key, group_key, candidates_json, status FROM measurements")).toEqual([
      { idem_key: "yolanda:A8:48:FA:35:14:56:1762429500:multi", group_key: "yolanda:A8:48:FA:35:14:56:1762429500:multi", candidates_json: "[1001,1003]", status: "unassigned" },
    ]);
    await relay(h, "create_measurements", { mac: SCALE, records: [{ ...rec(5, 16), timestamp: 1762429600 }] }, {});
    expect(q(h, "SELECT claim_reason, member_id FROM measurements WHERE idem_key LIKE '%:5'")).toEqual([{ claim_reason: "empty_slot", member_id: null }]);
  });

  test("relay paths tolerate a prefix and case", async () => {
    const h = setup();
    const res = await h.app.handle(new Request("http://localhost/bodydock//WSP/Read_Scale_Users/", { method: "POST", headers: { authorization: RELAY_AUTH }, body: JSON.stringify({ mac: SCALE }) }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scale_users: unknown[] }).scale_users.length).toBe(3);
  });
});

describe("claiming a Yolanda measurement keeps the right report (spec §3.4 caveat, §3.7.3)", () => {
  const row = (h: H, where: string) => h.rt.db.query(`SELECT * FROM measurements WHERE ${where}`).get() as MeasurementRow;

  test("WSP-Full several candidates: each member gets their own record; someone else gets none", async () => {
    const h = setup();
    const rec = (user_index: number, bodyfat: number) => ({ mac: SCALE, user_index, timestamp: 1762429500, weight: 71, hmac: `H${user_index}`, bodyfat });
    await relay(h, "create_measurements", { mac: SCALE, records: [rec(1, 15.2), rec(8, 17.9)] }, {});
    const r = row(h, "idem_key LIKE '%:multi'");
    // Each candidate's record (as the relay sent it, plus what the core derived for that member).
    expect(yolandaClaimReport(r, 1003)).toMatchObject({ indicators: { weight: 71, bodyfat: 17.9 }, note: null, profileMemberId: 1003 });
    expect(yolandaClaimReport(r, 1001)).toMatchObject({ indicators: { weight: 71, bodyfat: 15.2 }, note: null, profileMemberId: 1001 });
    expect(yolandaClaimReport(r, 1002)!.indicators).toBeNull();
  });

  test("WSP Mini definite=false claimed by another member: report kept, marked as the slot member's profile", async () => {
    const h = setup();
    await measure(h, { mac: SCALE, measurements: [miniItem({ user_index: 2, definite_flag: false, weight: 54.1 })] }, `Bearer ${await token()}`);
    const r = row(h, "1");
    expect(yolandaClaimReport(r, 1002)).toEqual({ indicators: JSON.parse(r.indicators_json!), note: null, profileMemberId: 1002 });
    const other = yolandaClaimReport(r, 1005)!;
    expect([other.profileMemberId, other.note?.includes("another profile")]).toEqual([1002, true]);
  });

  test("WSP-Lite: no report yet; not a Yolanda row: null", async () => {
    const h = setup();
    await relay(h, "measurements", { mac: SCALE, timestamp: 1762429320, weight: 54.9, hmac: "x" }, {});
    const r = row(h, "1");
    expect(yolandaClaimReport(r, 1002)!.indicators).toBeNull();
    expect(yolandaClaimReport({ ...r, source: "lefu-torre" }, 1002)).toBeNull();
  });
});

describe("WSP-Lite reports after a claim (spec §3.7.2)", () => {
  /** A fake WSP-Lite relay that records calls and answers what `answer` says. */
  function fakeRelay(answer: (path: string, body: Record<string, unknown>) => unknown) {
    const calls: Array<{ path: string; body: Record<string, unknown> }> = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        const body = (await req.json()) as Record<string, unknown>;
        const path = new URL(req.url).pathname;
        calls.push({ path, body });
        return Response.json(answer(path, body));
      },
    });
    return { calls, url: `http://127.0.0.1:${server.port}/`, stop: () => server.stop(true) };
  }
  const assign = (h: H, memberId: number, where = "1") => h.rt.db.run(`UPDATE measurements SET status = 'assigned', member_id = ? WHERE ${where}`, [memberId]);

  test("an assigned WSP-Lite weighing gets the relay's report for its member; unassigned ones are not asked for", async () => {
    const h = setup();
    const relayFake = fakeRelay(() => ({ code: 0, data: { reports: { bodyfat: 27.1, bmi: 19.3 } }, msg: "ok" }));
    try {
      h.rt.settings.set("yolanda.relay.liteUrl", relayFake.url, "staff");
      await relay(h, "measurements", { mac: SCALE, timestamp: 1762429320, weight: 54.9, heart_rate: 72, hmac: "9AF9" }, {});
      await relay(h, "measurements", { mac: SCALE, timestamp: 1762429400, weight: 60.1, hmac: "OTHER" }, {});
      const lite = new LiteReports(h.rt);
      expect(await lite.runOnce()).toBe(0); // nothing assigned yet
      assign(h, 1002, "hmac = '9AF9'");
      expect(await lite.runOnce()).toBe(1);
      expect(relayFake.calls).toEqual([{ path: "/yolanda/wsp/reports", body: { weight: 54.9, height: 168.5, age: 31, gender: 0, hmac: "9AF9" } }]);
      expect(q(h, "SELECT indicators_json, indicators_note, indicators_profile_member_id FROM measurements WHERE hmac = '9AF9'")).toEqual([
        { indicators_json: JSON.stringify({ bodyfat: 27.1, bmi: 19.3, source: "wsp-lite" }), indicators_note: null, indicators_profile_member_id: 1002 },
      ]);
      expect(await lite.runOnce()).toBe(0); // done once
    } finally {
      relayFake.stop();
    }
  });

  test("8-electrode: eight_reports with fit_hmac = the member's previous 8-electrode hmac, else the same", async () => {
    const h = setup();
    const relayFake = fakeRelay(() => ({ code: 0, data: { reports: { bodyfat: 16 } }, msg: "ok" }));
    try {
      h.rt.settings.set("yolanda.relay.liteUrl", relayFake.url.replace(/\/$/, ""), "staff");
      await relay(h, "eight_measurements", { mac: SCALE, timestamp: 1762429000, weight: 67.2, hmac: "FIRST", resistance_flag: 1 }, {});
      await relay(h, "eight_measurements", { mac: SCALE, timestamp: 1762429380, weight: 67.3, hmac: "SECOND", resistance_flag: 1 }, {});
      assign(h, 1003);
      expect(await new LiteReports(h.rt).runOnce()).toBe(2);
      expect(relayFake.calls.map((c) => [c.path, c.body.hmac, c.body.fit_hmac, c.body.gender, c.body.age])).toEqual([
        ["/yolanda/wsp/eight_reports", "FIRST", "FIRST", 1, 25],
        ["/yolanda/wsp/eight_reports", "SECOND", "FIRST", 1, 25],
      ]);
    } finally {
      relayFake.stop();
    }
  });

  test("a refusal, an unreachable relay or an incomplete profile leaves a note and is retried later, with backoff", async () => {
    const h = setup();
    let code = 10002;
    const relayFake = fakeRelay(() => (code === 0 ? { code: 0, data: { reports: { bodyfat: 20 } } } : { code, msg: "hmac error" }));
    try {
      h.rt.settings.set("yolanda.relay.liteUrl", relayFake.url, "staff");
      await relay(h, "measurements", { mac: SCALE, timestamp: 1762429320, weight: 54.9, hmac: "9AF9" }, {});
      assign(h, 1002);
      const lite = new LiteReports(h.rt);
      expect(await lite.runOnce()).toBe(0);
      expect(q(h, "SELECT indicators_note FROM measurements")).toEqual([{ indicators_note: "no report yet: the WSP-Lite relay answered code 10002" }]);
      code = 0;
      expect(await lite.runOnce()).toBe(0); // backing off
      h.clock.advance(61_000);
      expect(await lite.runOnce()).toBe(1);
      // Unreachable relay.
      h.rt.settings.set("yolanda.relay.liteUrl", "http://127.0.0.1:9", "staff");
      await relay(h, "measurements", { mac: SCALE, timestamp: 1762429500, weight: 54.9, hmac: "B" }, {});
      h.rt.db.run("UPDATE members SET sex = 'unspecified' WHERE id = 1005");
      await relay(h, "measurements", { mac: SCALE, timestamp: 1762429600, weight: 70, hmac: "C" }, {});
      assign(h, 1002, "hmac = 'B'");
      assign(h, 1005, "hmac = 'C'");
      expect(await lite.runOnce()).toBe(0);
      expect(q(h, "SELECT hmac, indicators_note FROM measurements WHERE hmac IN ('B', 'C') ORDER BY hmac")).toEqual([
        { hmac: "B", indicators_note: "no report yet: the WSP-Lite relay did not answer" },
        { hmac: "C", indicators_note: "no report yet: the member's sex is not set" },
      ]);
    } finally {
      relayFake.stop();
    }
  });

  test("without yolanda.relay.liteUrl nothing is called", async () => {
    const h = setup();
    let called = 0;
    const lite = new LiteReports(h.rt, (async () => {
      called++;
      return Response.json({});
    }) as unknown as typeof fetch);
    await relay(h, "measurements", { mac: SCALE, timestamp: 1762429320, weight: 54.9, hmac: "9AF9" }, {});
    assign(h, 1002);
    expect([await lite.runOnce(), called]).toEqual([0, 0]);
  });

  test("the age sent to WSP-Lite is counted on the gym's calendar (gym.timeZone)", async () => {
    // Bea (born 1994-02-28) weighs on 27 Feb 2025 at 20:00 UTC: 28 Feb 04:00 in Shanghai (31), still 27 Feb in UTC (30).
    const ages: Record<string, unknown> = {};
    for (const tz of ["Asia/Shanghai", "UTC"]) {
      const h = setup();
      const relayFake = fakeRelay(() => ({ code: 0, data: { reports: { bodyfat: 27.1 } }, msg: "ok" }));
      try {
        h.rt.settings.set("gym.timeZone", tz, "staff");
        h.rt.settings.set("yolanda.relay.liteUrl", relayFake.url, "staff");
        await relay(h, "measurements", { mac: SCALE, timestamp: Date.UTC(2025, 1, 27, 20) / 1000, weight: 54.9, hmac: "TZ01" }, {});
        assign(h, 1002);
        expect(await new LiteReports(h.rt).runOnce()).toBe(1);
        ages[tz] = relayFake.calls[0]?.body.age;
      } finally {
        relayFake.stop();
        if (tz !== "UTC") await h.dispose(); // the last one is disposed after the test (runtimePerTest)
      }
    }
    expect(ages).toEqual({ "Asia/Shanghai": 31, UTC: 30 });
  });
});

