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
  const cases = s.cases;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    if (c.op === "<" ? x < c.at * scale : x <= c.at * scale) return c.value;
  }
  return s.otherwise;
}

function same<T>(v: T): BySex<T> {
  return { male: v, female: v };
}

// Every case and every Select comes from these two allocation sites, so all have one
// object shape and `select` stays monomorphic in the JIT.
type Case<T> = Select<T>["cases"][number];
function lt<T>(at: number, value: T): Case<T> {
  return { op: "<", at, value };
}
function le<T>(at: number, value: T): Case<T> {
  return { op: "<=", at, value };
}
function bands<T>(otherwise: T, ...cases: Case<T>[]): Select<T> {
  return { cases, otherwise };
}

/** Bands `< a` low, `[a, b]` standard, `> b` high. */
function lsh(a: number, b: number): Select<RangeLevel> {
  return bands<RangeLevel>("high", lt(a, "low"), le(b, "standard"));
}

/** The bodyfat row: `< a` low, `[a, b]` standard, `(b, c]` high, `> c` very_high. */
function fatBands(a: number, b: number, c: number): Select<Levels["bodyfat"]> {
  return bands<Levels["bodyfat"]>("very_high", lt(a, "low"), le(b, "standard"), le(c, "high"));
}

/** §10, row by row. Sources in the spec's table (Yolanda SDK standards PDF unless noted). */
export const STANDARDS = {
  /** Weight against the output standard weight SW: `at` values are multiples of SW. */
  weight: same(bands<Levels["weight"]>("very_high", le(0.8, "very_low"), lt(0.9, "low"), le(1.1, "standard"), le(1.2, "high"))),
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
    male: bands<Range>([49.4, 59.4], lt(160, [38.5, 46.5]), le(170, [44.0, 52.4])),
    female: bands<Range>([36.5, 42.5], lt(150, [29.1, 34.7]), le(160, [32.9, 37.5])),
  },
  /** Bone mass (kg) standard range by weight W (kg). Also inorganic_salt. */
  bone: {
    male: bands<Range>([3.0, 3.4], le(60, [2.3, 2.7]), lt(75, [2.7, 3.1])),
    female: bands<Range>([2.3, 2.7], le(45, [1.6, 2.0]), lt(60, [2.0, 2.4])),
  },
  visfat: same(bands<Levels["visfat"]>("very_high", le(9, "standard"), le(14, "high"))),
  /** "Standard BMR" factor k (kcal/kg/day) by age: bmr ≥ W × k is `standard`, else `low`. A < 18 uses the first row [ours]. */
  bmrFactor: {
    male: bands(21.5, le(29, 24.0), le(49, 22.3), le(69, 21.5)),
    female: bands(20.7, le(29, 23.6), le(49, 21.7), le(69, 20.7)),
  },
  /** `null` when heart_rate is 0 (not measured). */
  heart_rate: same(bands<NonNullable<Levels["heart_rate"]>>("very_high", le(40, "very_low"), le(60, "low"), le(100, "standard"), le(160, "high"))),
  /** `null` when heart_rate is 0. */
  cardiac_index: same(bands<RangeLevel>("high", le(2.5, "low"), le(4.2, "standard"))),
  obesity: same(bands<Levels["obesity"]>("severe", lt(15, "standard"), lt(32, "overweight"), lt(52, "mild"), lt(74, "moderate"))),
  score: same(bands<Levels["score"]>("superb", lt(60, "poor"), lt(70, "fair"), lt(80, "good"), lt(90, "very_good"), lt(95, "excellent"))),
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

/** The largest double below a (finite a): `x < a` is exactly `x <= below(a)`. */
function below(a: number): number {
  if (a === 0) return -Number.MIN_VALUE;
  const f = new Float64Array([a]);
  const u = new BigUint64Array(f.buffer);
  u[0] = a > 0 ? u[0]! - 1n : u[0]! + 1n;
  return f[0]!;
}

/**
 * A Select compiled into an unrolled classifier: every bound turned into an inclusive limit
 * (`below` for `<`) so the hot path is a chain of `x <= limit` on captured constants. The
 * generic loop cost a quarter of a report's time (bench/README.md).
 */
export function compile<T>(s: Select<T>): (x: number) => T {
  const lim = s.cases.map((c) => (c.op === "<" ? below(c.at) : c.at));
  const val = s.cases.map((c) => c.value);
  const o = s.otherwise;
  const [l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0] = lim;
  const [v0 = o, v1 = o, v2 = o, v3 = o, v4 = o] = val;
  switch (lim.length) {
    case 1:
      return (x) => (x <= l0 ? v0 : o);
    case 2:
      return (x) => (x <= l0 ? v0 : x <= l1 ? v1 : o);
    case 3:
      return (x) => (x <= l0 ? v0 : x <= l1 ? v1 : x <= l2 ? v2 : o);
    case 4:
      return (x) => (x <= l0 ? v0 : x <= l1 ? v1 : x <= l2 ? v2 : x <= l3 ? v3 : o);
    case 5:
      return (x) => (x <= l0 ? v0 : x <= l1 ? v1 : x <= l2 ? v2 : x <= l3 ? v3 : x <= l4 ? v4 : o);
    default: // no §10 row has more than five cases
      return (x) => select(s, x);
  }
}

/** The §10 rows of one sex, compiled once at load. */
function rowsOf(sex: Sex) {
  const S = STANDARDS;
  return {
    /** Scaled by SW at run time, so not compiled. */
    weight: S.weight[sex],
    bmi: compile(S.bmi[sex]),
    bodyfat: compile(S.bodyfat[sex]),
    water: compile(S.water[sex]),
    protein: compile(S.protein[sex]),
    subfat: compile(S.subfat[sex]),
    muscle: compile(S.muscle[sex]),
    muscleBodyfatOnly: compile(S.muscleBodyfatOnly[sex]),
    sinew: compile(S.sinew[sex]),
    bone: compile(S.bone[sex]),
    visfat: compile(S.visfat[sex]),
    bmrFactor: compile(S.bmrFactor[sex]),
    heart_rate: compile(S.heart_rate[sex]),
    cardiac_index: compile(S.cardiac_index[sex]),
    obesity: compile(S.obesity[sex]),
    score: compile(S.score[sex]),
  };
}
export type SexRows = ReturnType<typeof rowsOf>;
const MALE_ROWS = rowsOf("male");
const FEMALE_ROWS = rowsOf("female");

export function rowsFor(male: boolean): SexRows {
  return male ? MALE_ROWS : FEMALE_ROWS;
}

/** §10 `levels` from output values; `heightCm` and `age` are the inputs H and A. */
export function levelsOf(v: LevelInputs, male: boolean, age: number, heightCm: number, family: Family): Levels {
  const t = male ? MALE_ROWS : FEMALE_ROWS;
  const hr = v.heart_rate !== 0;
  return {
    weight: select(t.weight, v.weight, v.standard_weight),
    bmi: t.bmi(v.bmi),
    bodyfat: t.bodyfat(v.bodyfat),
    water: t.water(v.water),
    protein: t.protein(v.protein),
    subfat: t.subfat(v.subfat),
    muscle: (family === "bodyfat-only" ? t.muscleBodyfatOnly : t.muscle)(v.muscle),
    sinew: rangeLabel(v.sinew, t.sinew(heightCm)),
    bone: rangeLabel(v.bone, t.bone(v.weight)),
    visfat: t.visfat(v.visfat),
    bmr: v.bmr >= v.weight * t.bmrFactor(age) ? "standard" : "low",
    bodyage: v.bodyage <= age ? "standard" : "high",
    heart_rate: hr ? t.heart_rate(v.heart_rate) : null,
    cardiac_index: hr ? t.cardiac_index(v.cardiac_index) : null,
    obesity: t.obesity(v.obesity),
    score: t.score(v.score),
  };
}
