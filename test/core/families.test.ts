/** Family-specific rules not pinned by a public vector. */
import { describe, expect, test } from "bun:test";
import { compute, R1, runBhDual4, type ReportDocument } from "../../src/core/index.ts";
import { B8, BH, BODYFAT, HT, WB } from "./fixtures.ts";

const ok = (input: unknown) => {
  const r = compute(input, 0);
  if ("error" in r) throw new Error(JSON.stringify(r.error));
  return r as ReportDocument;
};

describe("ht-4", () => {
  test("H2: the female offset is 9.25 kg up to 49 years and 7.25 kg above", () => {
    // Same inputs, only the age crosses 49 → 50: lean mass rises by 2 kg, less the age term 0.0542
    const at = (age: number) => ok({ ...HT, age }).fat_free_weight;
    expect(Math.abs(at(50) - at(49) - (2 - 0.0542))).toBeLessThanOrEqual(0.1 + 1e-9); // two R1 outputs
  });
  test("H5: options.ht4Subtraction subtracts d by sex and bf1 band, never below 5 %", () => {
    const bf = (over: object, sub: boolean) => ok({ ...HT, ...over, options: { ht4Subtraction: sub } }).bodyfat;
    // female HT: bf1 = 31.8 → d = 3 (25 ≤ bf1 < 32); female d: 0 / 1 / 2 / 3 / 4 below 14 / 21 / 25 / 32 / above
    const f = bf({}, false);
    expect(f).toBe(31.8);
    expect(bf({}, true)).toBeCloseTo(f - 3, 5);
    expect(bf({ weightKg: 75 }, true)).toBeCloseTo(bf({ weightKg: 75 }, false) - 4, 5); // bf1 ≥ 32
    // male: bf1 in [18, 26) → d = 3
    const male = { sex: "male", heightCm: 175, weightKg: 75, impedance: { z50: 520 } };
    const m = bf(male, false);
    expect(m >= 18 && m < 26).toBe(true);
    expect(bf(male, true)).toBeCloseTo(m - 3, 5);
    // default is off
    expect(ok(HT).bodyfat).toBe(f);
  });
  test("bodyage is the Zepp metabolic age, clamped to 15–80", () => {
    const r = ok({ ...HT, age: 99, weightKg: 150, heightCm: 150, impedance: { z50: 1200 } });
    expect(r.bodyage).toBe(80);
  });
});

describe("athlete only changes bh-dual-4", () => {
  for (const [name, input] of Object.entries({ HT, WB, B8, BODYFAT })) {
    test(name, () => expect(ok({ ...input, athlete: true })).toEqual(ok(input)));
  }
  test("bh-dual-4", () => expect(ok({ ...BH, athlete: true }).bodyfat).not.toBe(ok(BH).bodyfat));
});

describe("bh-dual-4 input conversions (§4.1)", () => {
  // The fields bh-dual-4 owns (§4.4); the report-level ones use the input H as a double.
  const own = (r: ReportDocument) => [r.bmi, r.bodyfat, r.fat_weight, r.fat_free_weight, r.water, r.bone, r.sinew, r.muscle_rate, r.skeletal_muscle_mass, r.muscle, r.subfat, r.subfat_weight, r.protein, r.visfat, r.bmr, r.bodyage, r.standard_weight];
  test("height and impedances are rounded half up to integers", () => {
    expect(own(ok({ ...BH, heightCm: 174.5, impedance: { z50: 499.5, z100: 469.5 } }))).toEqual(own(ok({ ...BH, heightCm: 175, impedance: { z50: 500, z100: 470 } })));
    expect(own(ok({ ...BH, heightCm: 175.49 }))).toEqual(own(ok(BH)));
    expect(own(ok({ ...BH, heightCm: 174.49 }))).not.toEqual(own(ok(BH)));
  });
  test("weight goes through float32 and whole 0.1 kg", () => {
    expect(own(ok({ ...BH, weightKg: 72.04 }))).toEqual(own(ok(BH)));
  });
  test("own fields are whole tenths (fixed point ÷ 10)", () => {
    const r = ok(BH);
    for (const v of [r.bodyfat, r.fat_weight, r.fat_free_weight, r.water, r.sinew, r.subfat, r.protein, r.bmi, r.skeletal_muscle_mass]) {
      expect(Math.round(v * 10) / 10).toBe(v);
    }
  });
});

describe("bia-8 frequency handling (§7.2)", () => {
  test("P2: r50 = hi + (lo − hi) × ln 2.5 / ln 5", () => {
    const phi = Math.log(2.5) / Math.log(5);
    const s = ok(B8).segments!;
    expect(s.rightArm.r50).toBe(R1(352 + (318.5 - 352) * phi));
    expect(s.trunk.r50).toBe(R1(24.6 + (20.1 - 24.6) * phi));
  });
  test("segment fat: arms 6.8 %, legs 15.4 %, trunk 50.2 % of fat mass; fat_rate of body weight", () => {
    const r = ok(B8);
    const s = r.segments!;
    expect(s.leftArm.fat_kg).toBe(s.rightArm.fat_kg);
    expect(s.leftLeg.fat_kg).toBe(s.rightLeg.fat_kg);
    expect(s.trunk.fat_kg).toBeCloseTo(0.502 * r.fat_weight, 1);
    expect(s.trunk.fat_rate).toBeCloseTo((s.trunk.fat_kg / r.weight) * 100, 1);
  });
  test("the lower-resistance limb of a pair gets more lean mass", () => {
    const r = ok({ ...B8, impedance: { segments: { ...B8.impedance.segments, leftArm: { z20: 420, z100: 390 } } } });
    expect(r.segments!.rightArm.muscle_kg).toBeGreaterThan(r.segments!.leftArm.muscle_kg);
  });
});

describe("D15 body age (§8.2)", () => {
  test("below 18 the age itself [ours]; from 18 at least 18", () => {
    expect(ok({ ...BODYFAT, age: 12 }).bodyage).toBe(12);
    expect(ok({ ...BODYFAT, age: 18 }).bodyage).toBeGreaterThanOrEqual(18);
  });
  test("A + 8 − the number of thresholds the displayed score reaches", () => {
    const r = ok({ ...BODYFAT, age: 40 });
    const thresholds = [50, 60, 65, 68, 70, 73, 75, 80, 85, 88, 90, 93, 95, 97, 98, 99];
    expect(r.bodyage).toBe(Math.max(18, 40 + 8 - thresholds.filter((t) => r.score >= t).length));
  });
});

test("bh-dual-4 internal values are the §4.5 worked trace (keeps3-row1), bit for bit", () => {
  const p = { sex: "male" as const, male: true, age: 26, heightCm: 168, weightKg: 85.1, heartRate: 0, athlete: false };
  const warnings: string[] = [];
  const r = runBhDual4(p, { z50: 506, z100: 478, z100Copied: false }, warnings);
  expect(r).toEqual({
    bodyfat: 29.5,
    bmi: 30.1,
    fatWeight: 25.1,
    fatFreeWeight: 60,
    water: 50.2,
    bone: 3,
    sinew: 57,
    protein: 12.7,
    skeletalMuscleMass: 32.7,
    muscle: 38.42538070678711,
    bmr: 1791,
    visfat: 12,
    subfat: 25.7,
    bodyage: 28,
    standardWeight: 62,
    subfatWeight: 21.8,
    muscleRate: 66.9,
    segments: null,
  });
  expect(warnings).toEqual([]);
});
