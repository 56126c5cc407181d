/**
 * §10 standards: the level bands per indicator, by sex (and height, weight or
 * age where the table says so), as plain data the staff page can render, plus
 * the classifiers the report layer applies to the **output** (rounded) values.
 */
import type { Family, Levels, RangeLevel, Sex } from "./types.ts";

/** `<` puts a value equal to `at` in the next band; `<=` keeps it in this one. */
export type Cmp = "<" | "<=";

/** The first case whose `x op at` holds gives the value; else `otherwise`. */
export interface Select<T> {
  readonly cases: readonly { readonly op: Cmp; readonly at: number; readonly value: T }[];
  readonly otherwise: T;
}

export interface BySex<T> {
  readonly male: T;
  readonly female: T;
}

/** An inclusive standard range [lo, hi]: below → `low`, inside → `standard`, above → `high`. */
export type Range = readonly [number, number];

export function select<T>(s: Select<T>, x: number, scale = 1): T {
  for (const c of s.cases) if (c.op === "<" ? x < c.at * scale : x <= c.at * scale) return c.value;
  return s.otherwise;
}

function same<T>(v: T): BySex<T> {
  return { male: v, female: v };
}

/** Bands `< a` low, `[a, b]` standard, `> b` high. */
function lsh(a: number, b: number): Select<RangeLevel> {
  return { cases: [{ op: "<", at: a, value: "low" }, { op: "<=", at: b, value: "standard" }], otherwise: "high" };
}

/** The bodyfat row: `< a` low, `[a, b]` standard, `(b, c]` high, `> c` very_high. */
function fatBands(a: number, b: number, c: number): Select<Levels["bodyfat"]> {
  return {
    cases: [{ op: "<", at: a, value: "low" }, { op: "<=", at: b, value: "standard" }, { op: "<=", at: c, value: "high" }],
    otherwise: "very_high",
  };
}

/** §10, row by row. Sources in the spec's table (Yolanda SDK standards PDF unless noted). */
export const STANDARDS = {
  /** Weight against the output standard weight SW: `at` values are multiples of SW. */
  weight: same<Select<Levels["weight"]>>({
    cases: [
      { op: "<=", at: 0.8, value: "very_low" },
      { op: "<", at: 0.9, value: "low" },
      { op: "<=", at: 1.1, value: "standard" },
      { op: "<=", at: 1.2, value: "high" },
    ],
    otherwise: "very_high",
  }),
  bmi: same(lsh(18.5, 25)),
  bodyfat: { male: fatBands(11, 21, 26), female: fatBands(21, 31, 36) },
  water: { male: lsh(55, 65), female: lsh(45, 60) },
  protein: { male: lsh(16, 18), female: lsh(14, 16) },
  subfat: { male: lsh(8.6, 16.7), female: lsh(18.5, 26.7) },
  /** bodyfat-only: Yolanda's bands for its 0.68/0.62 · sinew estimator. */
  muscleBodyfatOnly: { male: lsh(49, 59), female: lsh(40, 50) },
  /** Other families (skeletal muscle %): Janssen et al. 2000 MRI means 38.4 % / 30.6 % ± 5 points [ours]. */
  muscle: { male: lsh(33.4, 43.4), female: lsh(25.6, 35.6) },
  /** Muscle mass (sinew, kg) standard range by height H (cm). Also body_shape and muscle_control (Mlo). */
  sinew: {
    male: { cases: [{ op: "<", at: 160, value: [38.5, 46.5] }, { op: "<=", at: 170, value: [44.0, 52.4] }], otherwise: [49.4, 59.4] },
    female: { cases: [{ op: "<", at: 150, value: [29.1, 34.7] }, { op: "<=", at: 160, value: [32.9, 37.5] }], otherwise: [36.5, 42.5] },
  } as BySex<Select<Range>>,
  /** Bone mass (kg) standard range by weight W (kg). Also inorganic_salt. */
  bone: {
    male: { cases: [{ op: "<=", at: 60, value: [2.3, 2.7] }, { op: "<", at: 75, value: [2.7, 3.1] }], otherwise: [3.0, 3.4] },
    female: { cases: [{ op: "<=", at: 45, value: [1.6, 2.0] }, { op: "<", at: 60, value: [2.0, 2.4] }], otherwise: [2.3, 2.7] },
  } as BySex<Select<Range>>,
  visfat: same<Select<Levels["visfat"]>>({ cases: [{ op: "<=", at: 9, value: "standard" }, { op: "<=", at: 14, value: "high" }], otherwise: "very_high" }),
  /** "Standard BMR" factor k (kcal/kg/day) by age: bmr ≥ W × k is `standard`, else `low`. A < 18 uses the first row [ours]. */
  bmrFactor: {
    male: { cases: [{ op: "<=", at: 29, value: 24.0 }, { op: "<=", at: 49, value: 22.3 }, { op: "<=", at: 69, value: 21.5 }], otherwise: 21.5 },
    female: { cases: [{ op: "<=", at: 29, value: 23.6 }, { op: "<=", at: 49, value: 21.7 }, { op: "<=", at: 69, value: 20.7 }], otherwise: 20.7 },
  } as BySex<Select<number>>,
  /** `null` when heart_rate is 0 (not measured). */
  heart_rate: same<Select<NonNullable<Levels["heart_rate"]>>>({
    cases: [
      { op: "<=", at: 40, value: "very_low" },
      { op: "<=", at: 60, value: "low" },
      { op: "<=", at: 100, value: "standard" },
      { op: "<=", at: 160, value: "high" },
    ],
    otherwise: "very_high",
  }),
  /** `null` when heart_rate is 0. */
  cardiac_index: same<Select<RangeLevel>>({ cases: [{ op: "<=", at: 2.5, value: "low" }, { op: "<=", at: 4.2, value: "standard" }], otherwise: "high" }),
  obesity: same<Select<Levels["obesity"]>>({
    cases: [
      { op: "<", at: 15, value: "standard" },
      { op: "<", at: 32, value: "overweight" },
      { op: "<", at: 52, value: "mild" },
      { op: "<", at: 74, value: "moderate" },
    ],
    otherwise: "severe",
  }),
  score: same<Select<Levels["score"]>>({
    cases: [
      { op: "<", at: 60, value: "poor" },
      { op: "<", at: 70, value: "fair" },
      { op: "<", at: 80, value: "good" },
      { op: "<", at: 90, value: "very_good" },
      { op: "<", at: 95, value: "excellent" },
    ],
    otherwise: "superb",
  }),
} as const;

/** x against an inclusive standard range. */
export function rangeLabel(x: number, r: Range): RangeLevel {
  return x < r[0] ? "low" : x > r[1] ? "high" : "standard";
}

/** The output values §10 classifies (all already rounded, §1.3). */
export interface LevelInputs {
  weight: number;
  standard_weight: number;
  bmi: number;
  bodyfat: number;
  water: number;
  protein: number;
  subfat: number;
  muscle: number;
  sinew: number;
  bone: number;
  visfat: number;
  bmr: number;
  bodyage: number;
  heart_rate: number;
  cardiac_index: number;
  obesity: number;
  score: number;
}

/** §10 `levels` from output values; `heightCm` and `age` are the inputs H and A. */
export function levelsOf(v: LevelInputs, sex: Sex, age: number, heightCm: number, family: Family): Levels {
  const S = STANDARDS;
  const hr = v.heart_rate !== 0;
  return {
    weight: select(S.weight[sex], v.weight, v.standard_weight),
    bmi: select(S.bmi[sex], v.bmi),
    bodyfat: select(S.bodyfat[sex], v.bodyfat),
    water: select(S.water[sex], v.water),
    protein: select(S.protein[sex], v.protein),
    subfat: select(S.subfat[sex], v.subfat),
    muscle: select((family === "bodyfat-only" ? S.muscleBodyfatOnly : S.muscle)[sex], v.muscle),
    sinew: rangeLabel(v.sinew, select(S.sinew[sex], heightCm)),
    bone: rangeLabel(v.bone, select(S.bone[sex], v.weight)),
    visfat: select(S.visfat[sex], v.visfat),
    bmr: v.bmr >= v.weight * select(S.bmrFactor[sex], age) ? "standard" : "low",
    bodyage: v.bodyage <= age ? "standard" : "high",
    heart_rate: hr ? select(S.heart_rate[sex], v.heart_rate) : null,
    cardiac_index: hr ? select(S.cardiac_index[sex], v.cardiac_index) : null,
    obesity: select(S.obesity[sex], v.obesity),
    score: select(S.score[sex], v.score),
  };
}
