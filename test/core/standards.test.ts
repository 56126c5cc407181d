/** §10 standards: the data, the compiled classifiers, and the band edges seen through compute(). */
import { describe, expect, test } from "bun:test";
import { compile, compute, select, STANDARDS, type ReportDocument, type Select } from "../../src/core/index.ts";
import { BODYFAT } from "./fixtures.ts";

const ok = (input: unknown) => compute(input, 0) as ReportDocument;

function nextUp(x: number): number {
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer);
  u[0] = x >= 0 ? u[0]! + 1n : u[0]! - 1n;
  return f[0]!;
}
function nextDown(x: number): number {
  return -nextUp(-x);
}

describe("compiled classifiers agree with the data (select) at and around every bound", () => {
  for (const [name, row] of Object.entries(STANDARDS)) {
    for (const sex of ["male", "female"] as const) {
      const s = (row as Record<string, Select<unknown>>)[sex]!;
      test(`${name} ${sex}`, () => {
        const c = compile(s);
        for (const { at } of s.cases) {
          for (const x of [at, nextUp(at), nextDown(at), at - 0.05, at + 0.05, at - 10, at + 10]) expect(c(x)).toEqual(select(s, x));
        }
      });
    }
  }
});

describe("the data is the spec's §10 table", () => {
  test("bodyfat bands", () => {
    const labels = (sex: "male" | "female", xs: number[]) => xs.map((x) => select(STANDARDS.bodyfat[sex], x));
    expect(labels("male", [10.9, 11, 21, 21.1, 26, 26.1])).toEqual(["low", "standard", "standard", "high", "high", "very_high"]);
    expect(labels("female", [20.9, 21, 31, 31.1, 36, 36.1])).toEqual(["low", "standard", "standard", "high", "high", "very_high"]);
  });
  test("sinew and bone ranges by height and weight", () => {
    expect([159.9, 160, 170, 170.1].map((h) => select(STANDARDS.sinew.male, h))).toEqual([[38.5, 46.5], [44.0, 52.4], [44.0, 52.4], [49.4, 59.4]]);
    expect([149.9, 150, 160, 160.1].map((h) => select(STANDARDS.sinew.female, h))).toEqual([[29.1, 34.7], [32.9, 37.5], [32.9, 37.5], [36.5, 42.5]]);
    expect([60, 60.01, 74.99, 75].map((w) => select(STANDARDS.bone.male, w))).toEqual([[2.3, 2.7], [2.7, 3.1], [2.7, 3.1], [3.0, 3.4]]);
    expect([45, 45.01, 59.99, 60].map((w) => select(STANDARDS.bone.female, w))).toEqual([[1.6, 2.0], [2.0, 2.4], [2.0, 2.4], [2.3, 2.7]]);
  });
  test("weight bands are multiples of the standard weight", () => {
    const at = (w: number) => select(STANDARDS.weight.male, w, 60);
    expect([48, 48.01, 54, 66, 66.01, 72, 72.01].map(at)).toEqual(["very_low", "low", "standard", "standard", "high", "high", "very_high"]);
  });
  test("score, obesity and heart-rate bands", () => {
    expect([59.9, 60, 69.9, 70, 80, 90, 94.9, 95].map((x) => select(STANDARDS.score.male, x))).toEqual(["poor", "fair", "fair", "good", "very_good", "excellent", "excellent", "superb"]);
    expect([14.99, 15, 32, 52, 74].map((x) => select(STANDARDS.obesity.female, x))).toEqual(["standard", "overweight", "mild", "moderate", "severe"]);
    expect([40, 41, 60, 100, 160, 161].map((x) => select(STANDARDS.heart_rate.male, x))).toEqual(["very_low", "low", "low", "standard", "high", "very_high"]);
  });
  test("the standard-BMR factor by age (A < 18 uses the first row)", () => {
    expect([10, 29, 30, 49, 50, 69, 70].map((a) => select(STANDARDS.bmrFactor.male, a))).toEqual([24.0, 24.0, 22.3, 22.3, 21.5, 21.5, 21.5]);
    expect([29, 30, 50, 70].map((a) => select(STANDARDS.bmrFactor.female, a))).toEqual([23.6, 21.7, 20.7, 20.7]);
  });
  test("the data is plain JSON (usable by the staff page)", () => {
    expect(JSON.parse(JSON.stringify(STANDARDS))).toEqual(STANDARDS);
  });
});

describe("levels, codes and controls through compute()", () => {
  test("muscle bands: Yolanda's for bodyfat-only, Janssen-centred for impedance families", () => {
    // bodyfat-only male 70 kg, bf 20: muscle = 0.68 × sinew / W ≈ 51.7 % → Yolanda band [49, 59] standard
    const r = ok(BODYFAT);
    expect(r.levels.muscle).toBe("standard");
    expect(r.muscle).toBeGreaterThan(49);
  });
  test("body_shape grid (§9.3)", () => {
    // male 170 cm: sinew band [44.0, 52.4]; bodyfat bands 11 / 21
    const shape = (bf: number, w: number) => ok({ ...BODYFAT, bodyfat: bf, weightKg: w }).body_shape;
    expect(shape(15, 58)).toBe(4); // fat standard, sinew ≈ 46.8 standard
    expect(shape(30, 60)).toBe(1); // fat high, sinew ≈ 39.9 low → invisible obesity
    expect(shape(30, 72)).toBe(6); // fat high, sinew ≈ 47.9 standard → obese
    expect(shape(30, 90)).toBe(7); // fat high, sinew ≈ 59.9 high → over weight
    expect(shape(8, 45)).toBe(3); // fat low, sinew ≈ 39.3 low → under weight
    expect(shape(8, 55)).toBe(5); // fat low, sinew ≈ 48 standard → slim muscular
    expect(shape(8, 65)).toBe(9); // fat low, sinew high → muscular well
    expect(shape(15, 45)).toBe(2); // fat standard, sinew low → lack of exercise
    expect(shape(15, 70)).toBe(8); // fat standard, sinew high → standard muscular
  });
  test("inorganic_salt: 1 below the bone band, 2 inside, 3 above", () => {
    // bodyfat-only male: bone = max(1, 0.05 × FFM); 70 kg → band [2.7, 3.1]
    expect(ok({ ...BODYFAT, bodyfat: 20, weightKg: 70 }).inorganic_salt).toBe(2); // bone 2.8
    expect(ok({ ...BODYFAT, bodyfat: 40, weightKg: 70 }).inorganic_salt).toBe(1); // bone 2.1
    expect(ok({ ...BODYFAT, bodyfat: 5, weightKg: 74 }).inorganic_salt).toBe(3); // bone 3.52
  });
  test("fat_control targets 15 % / 25 % with lower limits 11 % / 21 %; weight_control = fat + muscle control", () => {
    const r = (over: object) => ok({ ...BODYFAT, ...over });
    expect(r({ bodyfat: 20 }).fat_control).toBe(-3.5); // (15 − 20) × 70 / 100
    expect(r({ bodyfat: 13 }).fat_control).toBe(0);
    expect(r({ bodyfat: 10 }).fat_control).toBe(0.7); // (11 − 10) × 70 / 100
    expect(r({ sex: "female", bodyfat: 30 }).fat_control).toBe(-3.5);
    expect(r({ sex: "female", bodyfat: 20 }).fat_control).toBe(0.7);
    const low = r({ bodyfat: 30, weightKg: 55 }); // sinew ≈ 36.6 < Mlo 44.0
    expect(low.muscle_control).toBeCloseTo(44.0 - 36.575, 2);
    expect(low.weight_control).toBeCloseTo(low.fat_control + low.muscle_control, 2);
  });
});
