/** lefuCoreInput (devices/lefu/report.ts) against computation-core §2.2/§2.4, end to end through compute(). */
import { describe, expect, test } from "bun:test";
import { compute, type ReportDocument } from "../../src/core/index.ts";
import { lefuCoreInput, type CoreProfile, type LefuReading } from "../../src/devices/lefu/report.ts";

const PROFILE: CoreProfile = { sex: "female", birthday: "1994-03-10", heightCm: 163, athlete: false };
const TORRE = ["352", "318.5", "360.2", "325.1", "24.6", "20.1", "281.3", "254", "279.9", "252.7"];

function reading(over: Partial<LefuReading>): LefuReading {
  return { scaleType: 0, weightKg: 58.4, heartRate: 68, impedance: ["520"], measuredAt: Date.parse("2025-06-01T08:30:00Z"), ...over };
}

function input(r: LefuReading, p = PROFILE): Record<string, unknown> {
  const out = lefuCoreInput(r, p, "UTC");
  if (!("input" in out)) throw new Error(out.note);
  return out.input;
}

function report(r: LefuReading): ReportDocument {
  const out = compute(input(r));
  if ("error" in out) throw new Error(JSON.stringify(out.error));
  return out;
}

describe("lefuCoreInput builds the core's input document", () => {
  test("8-electrode (scaleType 1–6): Lefu order RA20, RA100, LA20, … LL100 → segments; bia-8", () => {
    const i = input(reading({ scaleType: 4, impedance: TORRE }));
    expect(i.impedance).toEqual({
      segments: {
        rightArm: { z20: 352, z100: 318.5 },
        leftArm: { z20: 360.2, z100: 325.1 },
        trunk: { z20: 24.6, z100: 20.1 },
        rightLeg: { z20: 281.3, z100: 254 },
        leftLeg: { z20: 279.9, z100: 252.7 },
      },
    });
    expect(i).toMatchObject({ scaleType: 4, sex: "female", birthday: "1994-03-10", heightCm: 163, weightKg: 58.4, heartRate: 68, athlete: false });
    for (let st = 1; st <= 6; st++) expect(report(reading({ scaleType: st, impedance: TORRE })).algorithm).toBe("bia-8");
  });

  test("measuredAt is Unix seconds (the reading carries epoch ms); the age comes from birthday at that date", () => {
    const i = input(reading({ measuredAt: Date.parse("2025-06-01T08:30:00.999Z") }));
    expect(i.measuredAt).toBe(Date.parse("2025-06-01T08:30:00Z") / 1000);
    expect(report(reading({})).age).toBe(31);
    expect(report(reading({ measuredAt: Date.parse("2025-03-09T23:59:59Z") })).age).toBe(30);
  });

  test("dual frequency (scaleType 90): z50 and z100; bh-dual-4", () => {
    const i = input(reading({ scaleType: 90, impedance: ["506", "478"] }));
    expect(i.impedance).toEqual({ z50: 506, z100: 478 });
    expect(report(reading({ scaleType: 90, impedance: ["506", "478"] })).algorithm).toBe("bh-dual-4");
  });

  test("scaleType 90 with one impedance: z50 alone, the core copies it (Z100_COPIED) instead of refusing", () => {
    const r = report(reading({ scaleType: 90, impedance: ["506"] }));
    expect(r.algorithm).toBe("bh-dual-4");
    expect(r.warnings).toContain("Z100_COPIED");
  });

  test("4-electrode (scaleType 0): z50; ht-4", () => {
    expect(input(reading({})).impedance).toEqual({ z50: 520 });
    expect(report(reading({})).algorithm).toBe("ht-4");
  });

  test("no scaleType: the shape follows the count and the core infers the family (§2.4 step 3)", () => {
    const none = { scaleType: null };
    expect("algorithm" in input(reading(none))).toBe(false);
    expect("scaleType" in input(reading(none))).toBe(false);
    expect(report(reading({ ...none, impedance: ["520"] })).algorithm).toBe("ht-4");
    expect(report(reading({ ...none, impedance: ["506", "478"] })).algorithm).toBe("bh-dual-4");
    expect(report(reading({ ...none, impedance: TORRE })).algorithm).toBe("bia-8");
    expect(lefuCoreInput(reading({ ...none, impedance: ["1", "2", "3"] }), PROFILE, "UTC")).toEqual({ note: "composition unavailable: 3 impedances without a scaleType" });
  });

  test("an unsupported scaleType is passed on, so the core answers UNSUPPORTED_SCALE_TYPE", () => {
    expect(compute(input(reading({ scaleType: 7 })))).toMatchObject({ error: { code: "UNSUPPORTED_SCALE_TYPE", field: "scaleType" } });
  });

  test("no heart rate → 0 (not measured)", () => {
    expect(input(reading({ heartRate: null })).heartRate).toBe(0);
  });

  test("notes instead of an input when a composition cannot be made", () => {
    expect(lefuCoreInput(reading({ impedance: null }), PROFILE, "UTC")).toEqual({ note: "composition unavailable: weight-only weighing" });
    expect(lefuCoreInput(reading({}), { ...PROFILE, sex: "unspecified" }, "UTC")).toHaveProperty("note");
    expect(lefuCoreInput(reading({}), { ...PROFILE, birthday: null }, "UTC")).toHaveProperty("note");
    expect(lefuCoreInput(reading({}), { ...PROFILE, heightCm: null }, "UTC")).toHaveProperty("note");
    expect(lefuCoreInput(reading({ impedance: ["abc"] }), PROFILE, "UTC")).toHaveProperty("note");
    expect(lefuCoreInput(reading({ scaleType: 2, impedance: ["400"] }), PROFILE, "UTC")).toEqual({ note: "composition unavailable: an 8-electrode reading needs 10 impedances, got 1" });
  });
});
