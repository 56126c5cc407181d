/** §1.2 rounding helpers, §9.1 output rounding per field, §1.3 classifications from rounded values. */
import { describe, expect, test } from "bun:test";
import { compute, R1, R2, type ReportDocument } from "../../src/core/index.ts";
import { B8, BH, BODYFAT, HT, WB } from "./fixtures.ts";

const ok = (input: unknown) => compute(input, 0) as ReportDocument;

describe("R1 / R2: s · floor(|x| · P + 0.5) / P in double precision", () => {
  test("half away from zero", () => {
    expect(R1(2.25)).toBe(2.3);
    expect(R1(-2.25)).toBe(-2.3);
    expect(R2(0.125)).toBe(0.13);
    expect(R2(-0.125)).toBe(-0.13);
    expect(R1(0.05)).toBe(0.1);
  });
  test("exactly as the formula, not decimal rounding of the printed value", () => {
    // 1.005 × 100 = 100.49999999999999 in double precision, so R2 gives 1 (a decimal rounder would give 1.01)
    expect(R2(1.005)).toBe(1);
    // 0.15 × 10 + 0.5 = 2 exactly
    expect(R1(0.15)).toBe(0.2);
  });
  test("−0 is output as 0", () => {
    expect(Object.is(R1(-0.04), 0)).toBe(true);
    expect(Object.is(R2(-0.004), 0)).toBe(true);
    expect(Object.is(R1(-0), 0)).toBe(true);
  });
});

/** Output rule of every numeric report member (§9.1). */
const RULES: Record<string, "R1" | "R2" | "int"> = {
  weight: "R2", heart_rate: "int", bmi: "R1", bodyfat: "R1", fat_free_weight: "R1", fat_weight: "R1", subfat: "R1", visfat: "R1",
  subfat_weight: "R1", water: "R1", water_content: "R1", bmr: "int", muscle: "R1", skeletal_muscle_mass: "R1",
  sinew: "R1", muscle_rate: "R2", bone: "R2", protein: "R1", protein_quality: "R1", score: "R1", bodyage: "int",
  body_shape: "int", cardiac_index: "R1", fatty_liver_risk: "int", obesity: "R2", inorganic_salt: "int",
  ideal_visual_weight: "R1", standard_weight: "R1", weight_control: "R2", fat_control: "R2", muscle_control: "R2", age: "int",
};

describe("every report field is rounded with its rule", () => {
  for (const [name, input] of Object.entries({ BH, HT, WB, B8, BODYFAT })) {
    test(name, () => {
      const r = ok({ ...input, heartRate: 71 }) as unknown as Record<string, number>;
      for (const [field, rule] of Object.entries(RULES)) {
        const v = r[field]!;
        expect(typeof v).toBe("number");
        const want = rule === "R1" ? R1(v) : rule === "R2" ? R2(v) : Math.trunc(v);
        if (v !== want) throw new Error(`${name}.${field} = ${v} is not ${rule}`);
      }
      // bh-dual-4's visfat is the vendor integer
      if (name === "BH") expect(Number.isInteger(r.visfat)).toBe(true);
    });
  }
  test("bia-8 segment members: R2, r50 R1", () => {
    const s = ok(B8).segments!;
    for (const seg of Object.values(s)) {
      expect([seg.muscle_kg, seg.fat_kg, seg.fat_rate]).toEqual([R2(seg.muscle_kg), R2(seg.fat_kg), R2(seg.fat_rate)]);
      expect(seg.r50).toBe(R1(seg.r50));
    }
  });
  test("bmr is floored, not rounded (bodyfat-only: floor(370 + 21.6 × FFM))", () => {
    // W 70, bf 20 → FFM 56 → 1579.6 → 1579
    expect(ok(BODYFAT).bmr).toBe(1579);
  });
  test("the report carries every §2.6 member", () => {
    const keys = Object.keys(ok(B8));
    for (const k of [...Object.keys(RULES), "spec_version", "algorithm", "levels", "warnings", "segments"]) expect(keys).toContain(k);
    expect(keys.length).toBe(Object.keys(RULES).length + 5);
  });
});

describe("classifications use the output (rounded) values (§1.3)", () => {
  // male bodyfat 20.96 → output 21.0 → "standard" (inclusive upper bound 21); 21.05 → 21.1 → "high"
  test("bodyfat level at a band edge", () => {
    expect(ok({ ...BODYFAT, bodyfat: 20.96 }).levels.bodyfat).toBe("standard");
    expect(ok({ ...BODYFAT, bodyfat: 21.05 }).levels.bodyfat).toBe("high");
  });
  test("fatty_liver_risk from the output visfat", () => {
    for (const input of [BH, HT, WB, B8, BODYFAT]) {
      const r = ok(input);
      expect(r.fatty_liver_risk).toBe(r.visfat <= 9 ? 0 : r.visfat <= 14 ? 1 : 2);
    }
  });
  test("heart-rate levels are null when heart_rate is 0", () => {
    const r = ok(BODYFAT);
    expect([r.heart_rate, r.cardiac_index, r.levels.heart_rate, r.levels.cardiac_index]).toEqual([0, 0, null, null]);
    const m = ok({ ...BODYFAT, heartRate: 82 });
    expect(m.levels.heart_rate).toBe("standard");
    expect(m.levels.cardiac_index).not.toBeNull();
  });
});
