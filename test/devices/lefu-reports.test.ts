/**
 * Lefu measurements get their report from the computation core (issue 5 §4–§5): full when
 * the scale sends plain ohms and the member's profile is complete, weight-only fields with a
 * note otherwise; claims are computed again with the new member's profile.
 */
import { describe, expect, test } from "bun:test";
import { compute } from "../../src/core/index.ts";
import { NOTE_ENCRYPTED } from "../../src/devices/lefu/report.ts";
import { runtimePerTest } from "../helpers.ts";
import { signIn } from "../staff/session.ts";

const fresh = runtimePerTest();

const SN = "CFE9FA280014";
const IDENTITY = "0b7c2f7e-5a41-4c55-9d0e-2f1f3b8f6a10";
const EIGHT = ["520", "500", "525", "505", "25", "23", "260", "250", "262", "251"];

async function setup() {
  const h = fresh();
  h.rt.pairing.open(60, "test"); // scales are paired; admission is tested in lefu.test.ts
  const staff = await signIn(h.rt, h.app);
  const member = async (body: Record<string, unknown>) => {
    const r = await staff.call("POST", "/api/v1/members", body);
    expect(r.status).toBe(201);
    return r.body.id as number;
  };
  const upload = async (list: Array<Record<string, unknown>>, scaleType = 5) => {
    const res = await h.app.handle(
      new Request("http://localhost/lefu/wifi/torre/record", { method: "POST", body: JSON.stringify({ sn: SN, mac: "CF:E9:FA:28:00:14", type: "LEFU-CF577", scaleType, list }) }),
    );
    expect(res.status).toBe(200);
  };
  const item = (timestamp: number, weight = 80.4, impedance = EIGHT) => ({ memberid: IDENTITY, userid: "desk@gym.example", weight, timestamp, data: impedance.map((z) => ({ impedance: z })) });
  const rows = () =>
    h.rt.db.query("SELECT id, member_id, status, indicators_json, indicators_note, indicators_profile_member_id, measured_at FROM measurements ORDER BY measured_at").all() as Array<{
      id: number;
      member_id: number | null;
      status: string;
      indicators_json: string | null;
      indicators_note: string | null;
      indicators_profile_member_id: number | null;
      measured_at: number;
    }>;
  const deviceId = () => (h.rt.db.query("SELECT id FROM devices WHERE device_key = ?").get(SN) as { id: number }).id;
  const setMode = async (mode: "ohms" | "encrypted") => expect((await staff.call("PATCH", `/api/v1/devices/${deviceId()}`, { impedanceMode: mode })).status).toBe(200);
  return { ...h, staff, member, upload, item, rows, setMode };
}

/** What the core makes of the same weighing for a profile: the stored report must be exactly this. */
function expected(profile: { sex: string; birthday: string; heightCm: number }, weightKg: number, measuredAtMs: number) {
  const segments = Object.fromEntries(
    ["rightArm", "leftArm", "trunk", "rightLeg", "leftLeg"].map((n, i) => [n, { z20: Number(EIGHT[2 * i]), z100: Number(EIGHT[2 * i + 1]) }]),
  );
  return compute({ scaleType: 5, ...profile, weightKg, heartRate: 0, athlete: false, measuredAt: Math.floor(measuredAtMs / 1000), impedance: { segments } });
}

describe("Lefu reports at ingest", () => {
  test("plain ohms + a linked identity + a complete profile: the full bia-8 report with the member's profile", async () => {
    const h = await setup();
    const anna = await h.member({ name: "Anna", sex: "female", birthday: "1990-05-17", heightCm: 168 });
    await h.upload([h.item(1762000000)]); // first upload: the scale and the identity become known
    await h.setMode("ohms");
    expect((await h.staff.call("PUT", `/api/v1/lefu-identities/${IDENTITY}`, { memberId: anna, assignPending: false })).status).toBe(200);
    await h.upload([h.item(1762000600, 66.2)]);
    const r = h.rows()[1]!;
    expect([r.member_id, r.status, r.indicators_note, r.indicators_profile_member_id]).toEqual([anna, "assigned", null, anna]);
    const report = JSON.parse(r.indicators_json!);
    expect(report.algorithm).toBe("bia-8");
    expect(report).toEqual(JSON.parse(JSON.stringify(expected({ sex: "female", birthday: "1990-05-17", heightCm: 168 }, 66.2, r.measured_at))));
    expect(report.segments.trunk).toBeDefined();
  });

  test("encrypted impedance (the default): weight, BMI and the weight-only fields, flagged", async () => {
    const h = await setup();
    const ben = await h.member({ name: "Ben", sex: "male", birthday: "1985-01-02", heightCm: 180 });
    await h.upload([h.item(1762000000)]);
    await h.staff.call("PUT", `/api/v1/lefu-identities/${IDENTITY}`, { memberId: ben, assignPending: false });
    await h.upload([h.item(1762000600, 81)]);
    const r = h.rows()[1]!;
    expect(r.indicators_note).toBe(NOTE_ENCRYPTED);
    const full = expected({ sex: "male", birthday: "1985-01-02", heightCm: 180 }, 81, r.measured_at) as Record<string, any>;
    const report = JSON.parse(r.indicators_json!);
    expect(report.algorithm).toBe("weight-only");
    // The weight-only fields agree with what the full report would say.
    for (const f of ["weight", "bmi", "standard_weight", "ideal_visual_weight", "obesity"]) expect(report[f]).toBe(full[f]);
    expect(report.levels).toEqual({ bmi: full.levels.bmi, weight: full.levels.weight });
    expect(report.bodyfat).toBeUndefined();
  });

  test("a profile without a birthday: weight-only fields and a note that says what is missing", async () => {
    const h = await setup();
    const cai = await h.member({ name: "Cai", sex: "male", heightCm: 175 });
    await h.upload([h.item(1762000000)]);
    await h.setMode("ohms");
    await h.staff.call("PUT", `/api/v1/lefu-identities/${IDENTITY}`, { memberId: cai, assignPending: false });
    await h.upload([h.item(1762000600)]);
    const r = h.rows()[1]!;
    expect(r.indicators_note).toBe("composition unavailable: the member's birthday is not set");
    expect(JSON.parse(r.indicators_json!)).toMatchObject({ algorithm: "weight-only", bmi: 26.3 });
  });
});

describe("claims recompute with the new member's profile", () => {
  test("an unlinked identity waits without a report; assigning computes it for that member, and assigning all of an identity does the rest", async () => {
    const h = await setup();
    const anna = await h.member({ name: "Anna", sex: "female", birthday: "1990-05-17", heightCm: 168 });
    await h.upload([h.item(1762000000)]);
    await h.setMode("ohms");
    await h.upload([h.item(1762000600, 66.2), h.item(1762001200, 66.0), h.item(1762001800, 65.9)]);
    const pending = h.rows();
    expect(pending.map((r) => [r.status, r.indicators_json])).toEqual([
      ["unassigned", null],
      ["unassigned", null],
      ["unassigned", null],
      ["unassigned", null],
    ]);
    const list = await h.staff.call("GET", "/api/v1/claims");
    expect(list.body.total).toBe(4);

    const one = await h.staff.call("POST", `/api/v1/claims/${pending[1]!.id}/assign`, { memberId: anna });
    expect([one.status, one.body.hasReport, one.body.reportNote]).toEqual([200, true, null]);
    const assigned = h.rows()[1]!;
    expect(JSON.parse(assigned.indicators_json!)).toEqual(JSON.parse(JSON.stringify(expected({ sex: "female", birthday: "1990-05-17", heightCm: 168 }, 66.2, assigned.measured_at))));
    expect(assigned.indicators_profile_member_id).toBe(anna);

    const all = await h.staff.call("PUT", `/api/v1/lefu-identities/${IDENTITY}`, { memberId: anna });
    expect(all.body.assigned).toBe(3);
    const after = h.rows();
    expect(after.every((r) => r.status === "assigned" && r.member_id === anna && r.indicators_json !== null)).toBe(true);
    // The first upload came while the scale was still "encrypted" and is computed with the scale's current mode.
    expect(JSON.parse(after[0]!.indicators_json!).algorithm).toBe("bia-8");
    expect((await h.staff.call("GET", "/api/v1/claims")).body.total).toBe(0);
  });

  test("the same weighing claimed for a man and for a woman gives different reports; discard keeps a tombstone a replay cannot undo", async () => {
    const h = await setup();
    const dan = await h.member({ name: "Dan", sex: "male", birthday: "1970-03-03", heightCm: 182 });
    const eva = await h.member({ name: "Eva", sex: "female", birthday: "2000-12-24", heightCm: 160 });
    await h.upload([h.item(1762000000)]);
    await h.setMode("ohms");
    await h.upload([h.item(1762000600, 70), h.item(1762001200, 70)]);
    const [, a, b] = h.rows();
    await h.staff.call("POST", `/api/v1/claims/${a!.id}/assign`, { memberId: dan });
    await h.staff.call("POST", `/api/v1/claims/${b!.id}/assign`, { memberId: eva });
    const [ra, rb] = [h.rows()[1]!, h.rows()[2]!].map((r) => JSON.parse(r.indicators_json!));
    expect(ra.bodyfat).not.toBe(rb.bodyfat);
    expect(ra.age).toBe(55);
    expect(rb.age).toBe(24);

    const first = h.rows()[0]!;
    const d = await h.staff.call("POST", `/api/v1/claims/${first.id}/discard`);
    expect([d.status, d.body.status]).toEqual([200, "discarded"]);
    await h.upload([h.item(1762000000)]); // the scale re-sends it
    expect(h.rows().map((r) => r.status)).toEqual(["discarded", "assigned", "assigned"]);
    expect((await h.staff.call("POST", `/api/v1/claims/${first.id}/assign`, { memberId: dan })).status).toBe(409);
  });
});
