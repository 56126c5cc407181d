import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { normalisePath } from "../../src/devices/common/path.ts";
import { matchLefu } from "../../src/devices/lefu/wire.ts";
import { matchMini, matchRelay } from "../../src/devices/yolanda/wire.ts";
import { matchYoujiu } from "../../src/devices/youjiu/wire.ts";
import { seedWorld } from "../fixtures/world.ts";
import { runtimePerTest } from "../helpers.ts";
import { signIn, type Session } from "./session.ts";

const NOW = 1762430400000;
const SCALE = "A8:48:FA:35:14:56";
const SCALE2 = "12:34:56:78:9A:BC";

const fresh = runtimePerTest();

/**
 * The whole app (the Yolanda staff API behind the staff guard) on one runtime seeded with
 * the fixture world; staff calls are signed in as the staff account "frontdesk".
 */
function setup(config: Record<string, unknown> = {}) {
  const h = fresh();
  seedWorld(h.rt.db, h.rt.settings, NOW, config);
  let session: Promise<Session> | undefined;
  const call = async (method: string, path: string, body?: unknown) => {
    session ??= signIn(h.rt, h.app, { role: "staff" });
    return (await session).call(method, "/api/v1/yolanda" + path, body);
  };
  // Secrets and scale keys are admin-only (security issue, point 6).
  let adminSession: Promise<Session> | undefined;
  const admin = async (method: string, path: string, body?: unknown) => {
    adminSession ??= signIn(h.rt, h.app, { role: "admin" });
    return (await adminSession).call(method, "/api/v1/yolanda" + path, body);
  };
  return { ...h, call, admin };
}

const token = (secret: string) => new SignJWT({ iss: "wsp-mini", iat: NOW / 1000 }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));

describe("Yolanda staff API: scales and slots (spec §3.5)", () => {
  test("lists scales with their slots, free slots, the key flag (never the key) and why a slot is not sent", async () => {
    const h = setup();
    const r = await h.call("GET", "/scales");
    expect(r.status).toBe(200);
    expect(r.body.map((s: any) => s.mac)).toEqual([SCALE2, SCALE]);
    const a = r.body[1];
    expect(a.slots.map((s: any) => [s.userIndex, s.memberId, s.userKey, s.sentToYolanda, s.problems])).toEqual([
      [1, 1001, 4821, true, []],
      [2, 1002, 7350, true, []],
      [3, 1004, 1999, false, ["member_inactive"]],
      [8, 1003, 6102, true, []],
    ]);
    expect([a.freeSlots, a.full, a.hasScaleKey]).toEqual([[4, 5, 6, 7], false, true]);
    expect(r.text.includes("K7f3Q9x2L5m8P1zB")).toBe(false);
    expect((await h.call("GET", "/scales/a8-48-fa-35-14-56")).body.mac).toBe(SCALE);
    expect((await h.call("GET", "/scales/C0:FF:EE:00:00:01")).status).toBe(404);
    expect((await h.call("GET", "/scales/nope")).status).toBe(422);
  });

  test("assign a slot: random unique user_key, audited; the member is then sent to Yolanda", async () => {
    const h = setup();
    const r = await h.call("PUT", `/scales/${SCALE2}/slots/2`, { memberId: 1002 });
    expect(r.status).toBe(200);
    const slot = r.body.slots.find((s: any) => s.userIndex === 2);
    expect(slot.memberId).toBe(1002);
    expect(slot.userKey).toBeGreaterThanOrEqual(1000);
    expect(slot.userKey).toBeLessThanOrEqual(9999);
    expect(new Set(r.body.slots.map((s: any) => s.userKey)).size).toBe(3);
    const audit = h.rt.db.query("SELECT actor, action, entity_id, after_json FROM audit").all() as any[];
    expect(audit).toEqual([{ actor: "frontdesk", action: "yolanda.slot.assign", entity_id: `${SCALE2}#2`, after_json: JSON.stringify({ mac: SCALE2, userIndex: 2, memberId: 1002, userKey: slot.userKey }) }]);
    const users = await h.app.handle(new Request(`http://localhost/wsp-mini/users?mac=${SCALE2}`, { headers: { authorization: `Bearer ${await token("test-secret-not-for-production")}` } }));
    expect(((await users.json()) as { users: Array<{ user_index: number }> }).users.map((u) => u.user_index)).toEqual([1, 2, 8]);
  });

  test("refusals: an occupied slot, a member already on the scale, an unknown member, slots outside 1–8, a bad MAC", async () => {
    const h = setup();
    const taken = await h.call("PUT", `/scales/${SCALE}/slots/1`, { memberId: 1005 });
    expect([taken.status, taken.body.error.code]).toEqual([409, "slot_taken"]);
    const twice = await h.call("PUT", `/scales/${SCALE}/slots/4`, { memberId: 1001 });
    expect([twice.status, twice.body.error.code]).toEqual([409, "already_on_scale"]);
    const nobody = await h.call("PUT", `/scales/${SCALE}/slots/4`, { memberId: 4242 });
    expect([nobody.status, nobody.body.error.code, nobody.body.error.field]).toEqual([422, "member_not_found", "memberId"]);
    for (const i of [0, 9, "x"]) expect((await h.call("PUT", `/scales/${SCALE}/slots/${i}`, { memberId: 1005 })).status).toBe(422);
    expect((await h.call("PUT", `/scales/zz/slots/4`, { memberId: 1005 })).status).toBe(422);
    expect((await h.call("PUT", `/scales/${SCALE}/slots/4`, {})).status).toBe(422);
    // A member may hold slots on several scales.
    expect((await h.call("PUT", `/scales/${SCALE2}/slots/2`, { memberId: 1002 })).status).toBe(200);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM audit").get()).toEqual({ n: 1 });
  });

  test("at most 8 per scale: POST takes the lowest free slot, then 409 scale_full listing the slots to choose from", async () => {
    const h = setup();
    for (let i = 0; i < 4; i++) {
      h.rt.db.run("INSERT INTO members (id, name, sex, birthday, height_cm, reference_weight_kg, status, created_at, updated_at) VALUES (?, ?, 'male', '1990-01-01', 170, 70, 'active', 0, 0)", [2000 + i, `M${i}`]);
    }
    const got: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await h.call("POST", `/scales/${SCALE}/slots`, { memberId: 2000 + i });
      expect(r.status).toBe(200);
      got.push(r.body.slots.find((s: any) => s.memberId === 2000 + i).userIndex);
    }
    expect(got).toEqual([4, 5, 6, 7]);
    const full = await h.call("POST", `/scales/${SCALE}/slots`, { memberId: 1005 });
    expect([full.status, full.body.error.code, full.body.error.slots.length]).toEqual([409, "scale_full", 8]);
    expect((await h.call("GET", `/scales/${SCALE}`)).body.full).toBe(true);
    // No automatic eviction: every slot still has its member.
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM yolanda_slots WHERE mac = ? AND removed_at IS NULL").get(SCALE)).toEqual({ n: 8 });
  });

  test("free a slot: soft delete (history kept, pending purge until the relay syncs), then the slot can be reused", async () => {
    const h = setup();
    const r = await h.call("DELETE", `/scales/${SCALE}/slots/2`);
    expect(r.status).toBe(200);
    expect(r.body.slots.map((s: any) => s.userIndex)).toEqual([1, 3, 8]);
    expect(r.body.pendingRemovals).toEqual([{ userIndex: 2, memberId: 1002, removedAt: NOW }]);
    expect(h.rt.db.query("SELECT member_id, removed_at, removed_by, purge_pending FROM yolanda_slots WHERE mac = ? AND user_index = 2").all(SCALE)).toEqual([
      { member_id: 1002, removed_at: NOW, removed_by: "frontdesk", purge_pending: 1 },
    ]);
    expect((await h.call("DELETE", `/scales/${SCALE}/slots/2`)).status).toBe(404);
    expect((await h.call("PUT", `/scales/${SCALE}/slots/2`, { memberId: 1005 })).status).toBe(200);
    await h.app.handle(new Request("http://localhost/wsp/finish_info_sync", { method: "POST", headers: { authorization: "Basic Zml4dHVyZTpub3QtYS1yZWFsLXNlY3JldA==" }, body: JSON.stringify({ mac: SCALE }) }));
    expect((await h.call("GET", `/scales/${SCALE}`)).body.pendingRemovals).toEqual([]);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM yolanda_slots WHERE mac = ? AND user_index = 2").get(SCALE)).toEqual({ n: 2 });
    expect((h.rt.db.query("SELECT action, before_json FROM audit WHERE action = 'yolanda.slot.free'").get() as any).before_json).toBe(
      JSON.stringify({ mac: SCALE, userIndex: 2, memberId: 1002, userKey: 7350 }),
    );
  });

  test("a scale set up before it ever called is listed, and its first call finds the slots", async () => {
    const h = setup();
    const r = await h.call("PUT", `/scales/c0:ff:ee:00:00:02/slots/1`, { memberId: 1001 });
    expect([r.status, r.body.mac, r.body.family, r.body.online]).toEqual([200, "C0:FF:EE:00:00:02", "unknown", false]);
    expect((await h.call("GET", "/scales")).body.map((s: any) => s.mac)).toContain("C0:FF:EE:00:00:02");
  });

  test("scale key: set (16 printable characters), answered to the relay, never returned or audited in clear", async () => {
    const h = setup();
    const key = "Zq8!pL2@xR5#vN7$";
    const r = await h.admin("PUT", `/scales/${SCALE2}/scale-key`, { scaleKey: key });
    expect([r.status, r.body.hasScaleKey, r.text.includes(key)]).toEqual([200, true, false]);
    for (const bad of ["short", "x".repeat(17), "has space 123456", 1234567890123456]) expect((await h.admin("PUT", `/scales/${SCALE2}/scale-key`, { scaleKey: bad })).status).toBe(422);
    const relay = await h.app.handle(new Request("http://localhost/wsp/read_secret_key", { method: "POST", headers: { authorization: "Basic Zml4dHVyZTpub3QtYS1yZWFsLXNlY3JldA==" }, body: JSON.stringify({ mac: SCALE2 }) }));
    expect(await relay.json()).toEqual({ secret_key: key });
    expect(JSON.stringify(h.rt.db.query("SELECT * FROM audit").all()).includes(key)).toBe(false);
    expect((await h.admin("PUT", `/scales/${SCALE2}/scale-key`, { scaleKey: null })).body.hasScaleKey).toBe(false);
  });
});

describe("Yolanda staff API: the WSP Mini secret (spec §3.2, §5.2)", () => {
  const NEW = "a-long-random-secret-from-the-staff-page-0001";
  const NEWER = "another-long-random-secret-0002-xyzxyzxyzxyz";

  test("no secret → 503; staff set one → WSP Mini works; the API shows a fingerprint, never the secret", async () => {
    const h = setup({ "yolanda.mini.jwtSecret": null });
    const ask = async (secret: string) =>
      (await h.app.handle(new Request(`http://localhost/wsp-mini/users?mac=${SCALE}`, { headers: { authorization: `Bearer ${await token(secret)}` } }))).status;
    expect(await ask(NEW)).toBe(503);
    const before = await h.call("GET", "/mini");
    expect([before.body.secretConfigured, before.body.secretFingerprint]).toEqual([false, null]);
    const set = await h.admin("PUT", "/mini/secret", { secret: NEW });
    expect(set.status).toBe(200);
    expect(set.body.secretConfigured).toBe(true);
    expect(set.body.secretFingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(set.body.previousConfigured).toBe(false);
    expect(set.text.includes(NEW)).toBe(false);
    expect(await ask(NEW)).toBe(200);
    expect((await h.call("GET", "/mini")).text.includes(NEW)).toBe(false);
  });

  test("rotation: the old secret keeps working until the rotation is ended; keepPrevious=false drops it at once", async () => {
    const h = setup({ "yolanda.mini.jwtSecret": NEW });
    const ask = async (secret: string) =>
      (await h.app.handle(new Request(`http://localhost/wsp-mini/users?mac=${SCALE}`, { headers: { authorization: `Bearer ${await token(secret)}` } }))).status;
    const r = await h.admin("PUT", "/mini/secret", { secret: NEWER });
    expect([r.body.secretConfigured, r.body.previousConfigured]).toEqual([true, true]);
    expect([await ask(NEW), await ask(NEWER)]).toEqual([200, 200]);
    const end = await h.admin("DELETE", "/mini/secret-previous");
    expect(end.body.previousConfigured).toBe(false);
    expect([await ask(NEW), await ask(NEWER)]).toEqual([401, 200]);
    await h.admin("PUT", "/mini/secret", { secret: NEW });
    await h.admin("PUT", "/mini/secret", { secret: NEWER, keepPrevious: false });
    expect([await ask(NEW), await ask(NEWER)]).toEqual([401, 200]);
    // Neither secret is in any response, audit row, other table or log line.
    const stored = JSON.stringify(h.rt.db.query("SELECT * FROM audit").all()) + JSON.stringify(h.rt.db.query("SELECT * FROM captures").all());
    const logs = JSON.stringify(h.log.lines);
    for (const s of [NEW, NEWER]) expect([stored.includes(s), logs.includes(s)]).toEqual([false, false]);
    expect((h.rt.db.query("SELECT action FROM audit ORDER BY id").all() as any[]).map((a) => a.action)).toEqual([
      "yolanda.mini.secret.set",
      "yolanda.mini.secret_previous.clear",
      "yolanda.mini.secret.set",
      "yolanda.mini.secret.set",
    ]);
  });

  test("a short or non-printable secret is refused", async () => {
    const h = setup();
    for (const secret of ["short", "has a space in it 1234", "tab\tinside-the-secret-1234", ""]) {
      expect((await h.admin("PUT", "/mini/secret", { secret })).status).toBe(422);
    }
    expect(h.rt.settings.get("yolanda.mini.jwtSecret")).toBe("test-secret-not-for-production");
  });
});

test("no staff route takes a device router's shape (spec §1.3)", () => {
  const h = setup();
  const paths = h.app.routes
    .filter((r) => r.path.startsWith("/api/"))
    .map((r) => r.path.replace(/:mac/g, "A8:48:FA:35:14:56").replace(/:index/g, "1").replace(/:\w+/g, "1"));
  expect(paths.filter((p) => p.startsWith("/api/v1/yolanda/")).length).toBeGreaterThanOrEqual(9);
  for (const p of paths) {
    const dp = normalisePath(p);
    expect([p, matchLefu(dp), matchMini(dp), matchRelay(dp), matchYoujiu(dp)]).toEqual([p, null, null, null, null]);
  }
});
