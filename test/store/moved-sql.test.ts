/**
 * Repository methods that took over SQL from device and staff code (issue 14 point 3): the device PATCH as one
 * prepared statement with a typed patch, and the Youjiu login look-ups. (The /healthz check, HealthRepo.ping,
 * is test/foundation/http.test.ts's 503 with a closed database.)
 */
import { describe, expect, test } from "bun:test";
import { withDefaults } from "../../src/staff/member-input.ts";
import { runtimePerTest } from "../helpers.ts";

const fresh = runtimePerTest();


describe("DevicesRepo.update (PATCH /devices/:id)", () => {
  test("writes exactly the fields given: left out kept, null cleared, booleans and zero stored as such", async () => {
    const h = fresh();
    const { devices, members } = h.rt.repos;
    const id = await h.rt.writes.enqueue(() => devices.seen({ vendor: "lefu", deviceKey: "AA", approveNew: false }, h.rt.now()).id);
    const member = await h.rt.writes.enqueue(() => members.create(withDefaults({ name: "Ann" }), 0).id);
    const pick = () => {
      const d = devices.byId(id)!;
      return { name: d.name, notes: d.notes, approved: d.approved, blocked: d.blocked, mode: d.impedance_mode, def: d.default_member_id, unit: d.unit_override };
    };
    const before = pick();
    expect(before).toEqual({ name: null, notes: null, approved: 0, blocked: 0, mode: "encrypted", def: null, unit: null });

    expect(await h.rt.writes.enqueue(() => devices.update(id, { name: "Front", notes: "by the door", unitOverride: 0, defaultMemberId: member }))).toBe(true);
    expect(pick()).toEqual({ ...before, name: "Front", notes: "by the door", unit: 0, def: member });

    await h.rt.writes.enqueue(() => devices.update(id, { approved: true, impedanceMode: "ohms" }));
    expect(pick()).toEqual({ ...before, name: "Front", notes: "by the door", unit: 0, def: member, approved: 1, mode: "ohms" });

    await h.rt.writes.enqueue(() => devices.update(id, { name: null, blocked: true, approved: false, defaultMemberId: null, unitOverride: undefined }));
    expect(pick()).toEqual({ ...before, notes: "by the door", unit: 0, blocked: 1, mode: "ohms" });

    // An empty patch changes nothing and still says whether the device exists.
    expect(await h.rt.writes.enqueue(() => devices.update(id, {}))).toBe(true);
    expect(pick()).toEqual({ ...before, notes: "by the door", unit: 0, blocked: 1, mode: "ohms" });
    expect(await h.rt.writes.enqueue(() => devices.update(id + 99, { name: "ghost" }))).toBe(false);
    expect(await h.rt.writes.enqueue(() => devices.update(id + 99, {}))).toBe(false);
  });
});

describe("MembersRepo login look-ups (devices/youjiu/lookup.ts)", () => {
  test("by phone (leading zeros ignored, any number of variants), card form, code, member number and e-mail", async () => {
    const h = fresh();
    const { members } = h.rt.repos;
    const [a, b, c] = await h.rt.writes.enqueue(() => {
      const a = members.create(withDefaults({ name: "A", phone: "07700 900123", email: " Ann@Example.org ", memberNo: "GY-1" }), 0);
      const b = members.create(withDefaults({ name: "B", phone: "+44 7700 900123" }), 0);
      const c = members.create(withDefaults({ name: "C", phone: "13800138000" }), 0);
      members.addCredential(a.id, "card", "3735928559", null, 0);
      members.addCredential(c.id, "code", "QR-Seven", null, 0);
      return [a.id, b.id, c.id] as const;
    });
    // One variant is padded to the statement's four; more than four are looked up in groups.
    expect(members.idsByPhone(["7700900123"]).sort()).toEqual([a]);
    expect(members.idsByPhone(["447700900123"])).toEqual([b]);
    expect(members.idsByPhone(["7700900123", "447700900123"]).sort((x, y) => x - y)).toEqual([a, b]);
    expect(members.idsByPhone(["1", "2", "3", "4", "13800138000", "7700900123"]).sort((x, y) => x - y)).toEqual([a, c]);
    expect(members.idsByPhone(["999"])).toEqual([]);
    expect(members.idsByPhone([])).toEqual([]);
    expect(members.idsByCard("dec", "3735928559")).toEqual([a]);
    expect(members.idsByCard("hex", "DEADBEEF")).toEqual([a]);
    expect(members.idsByCard("dec", "DEADBEEF")).toEqual([]);
    expect(members.idsByCode("qr-seven")).toEqual([c]);
    expect(members.idsByMemberNo("gy-1")).toEqual([a]);
    expect(members.idsByEmail("  ANN@example.ORG")).toEqual([a]);
    expect(members.exists(a)).toBe(true);
    expect(members.exists(c + 1)).toBe(false);
    // The look-up that uses them: a phone typed with the country code finds both forms of the number.
    expect(h.rt.youjiu.lookup.byId("+44 7700 900123", "44").sort((x, y) => x - y)).toEqual([a, b]);
  });
});

describe("indexed look-ups (migration 013)", () => {
  const plan = (db: import("bun:sqlite").Database, sql: string) =>
    (db.query(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(" | ");

  test("a Youjiu phone login searches the trimmed-phone index, not a range of every member with a phone", () => {
    const h = fresh();
    const p = plan(h.rt.db, "SELECT id FROM members WHERE phone_norm IS NOT NULL AND ltrim(phone_norm, '0') IN (?1, ?2, ?3, ?4)");
    expect(p).toContain("members_phone_trimmed");
    expect(p).not.toContain("phone_norm>?");
  });

  test("the WSP-Lite report job reads only Lite weighings still waiting for a report", () => {
    const h = fresh();
    const p = plan(
      h.rt.db,
      `SELECT m.id FROM measurements m JOIN members mb ON mb.id = m.member_id
       WHERE m.source = 'yolanda-lite' AND m.status = 'assigned' AND m.indicators_json IS NULL AND m.hmac IS NOT NULL
       ORDER BY m.measured_at LIMIT ?`,
    );
    expect(p).toContain("measurements_lite_pending");
    expect(p).not.toMatch(/SCAN m\b(?! USING INDEX measurements_lite_pending)/);
  });
});
