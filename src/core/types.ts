/**
 * Types of the computation core (computation-core spec v1.0): the validated
 * profile, what a family returns, and the success and error documents (§2.6, §2.1).
 */

export const SPEC_VERSION = "1.0";

/** The five algorithm families (§2.2 `algorithm`). */
export const FAMILIES = ["ht-4", "bh-dual-4", "bia-8", "bodyfat-only", "standard-wb"] as const;
export type Family = (typeof FAMILIES)[number];

export type Sex = "male" | "female";

/** §2.3 error codes, plus INTERNAL for a bug (§2.1). */
export type ErrorCode =
  | "INVALID_JSON"
  | "INVALID_TYPE"
  | "INVALID_VALUE"
  | "MISSING_FIELD"
  | "OUT_OF_RANGE"
  | "UNSUPPORTED_SCALE_TYPE"
  | "INTERNAL";

/** §2.1: `{"error": {"code", "message", "field"}}`. */
export interface ErrorDocument {
  error: { code: ErrorCode; message: string; field: string | null };
}

/** The common profile after V1–V12 (§1.1 symbols). */
export interface Profile {
  sex: Sex;
  /** S: 1 for male, 0 for female. */
  male: boolean;
  /** A, completed years (§2.5). */
  age: number;
  /** H, cm. */
  heightCm: number;
  /** W, kg. */
  weightKg: number;
  /** HR, 0 when not measured. */
  heartRate: number;
  athlete: boolean;
}

export const SEGMENT_NAMES = ["rightArm", "leftArm", "trunk", "rightLeg", "leftLeg"] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

/** §7.3 output: one segment of a bia-8 report. */
export interface SegmentReport {
  muscle_kg: number;
  fat_kg: number;
  fat_rate: number;
  r50: number;
}
export type SegmentsReport = Record<SegmentName, SegmentReport>;

/**
 * What a family computes (internal values, §1.3), every field of §9.1 that is not a
 * report-level formula. A family takes the fields it does not own from downstream D,
 * evaluated with its own bf (§3; the ownership columns of the §9.1 table). `score` is D14
 * for every family and is added by the report layer.
 */
export interface FamilyResult {
  bodyfat: number;
  bmi: number;
  fatWeight: number;
  fatFreeWeight: number;
  water: number;
  bone: number;
  sinew: number;
  protein: number;
  skeletalMuscleMass: number;
  muscle: number;
  bmr: number;
  visfat: number;
  subfat: number;
  bodyage: number;
  standardWeight: number;
  /** bh-dual-4's own value; null → the §9.2 report formula W × subfat / 100. */
  subfatWeight: number | null;
  /** bh-dual-4's own value; null → the §9.2 report formula sinew / W × 100. */
  muscleRate: number | null;
  /** bia-8 only: internal segment values, rounded by the report layer. */
  segments: SegmentsReport | null;
}

/** Labels of a standard range: below, inside, above. */
export type RangeLevel = "low" | "standard" | "high";

/** §10: one label (or null) per indicator. */
export interface Levels {
  weight: "very_low" | "low" | "standard" | "high" | "very_high";
  bmi: RangeLevel;
  bodyfat: RangeLevel | "very_high";
  water: RangeLevel;
  protein: RangeLevel;
  subfat: RangeLevel;
  muscle: RangeLevel;
  sinew: RangeLevel;
  bone: RangeLevel;
  visfat: "standard" | "high" | "very_high";
  bmr: "standard" | "low";
  bodyage: "standard" | "high";
  /** null when heart_rate is 0 (not measured). */
  heart_rate: "very_low" | "low" | "standard" | "high" | "very_high" | null;
  /** null when heart_rate is 0. */
  cardiac_index: RangeLevel | null;
  obesity: "standard" | "overweight" | "mild" | "moderate" | "severe";
  score: "poor" | "fair" | "good" | "very_good" | "excellent" | "superb";
}

/** §2.6: the success document. Yolanda WSP Mini field names plus the extras. */
export interface ReportDocument {
  spec_version: typeof SPEC_VERSION;
  algorithm: Family;
  age: number;
  weight: number;
  heart_rate: number;
  bmi: number;
  bodyfat: number;
  fat_free_weight: number;
  fat_weight: number;
  subfat: number;
  visfat: number;
  water: number;
  water_content: number;
  bmr: number;
  muscle: number;
  sinew: number;
  muscle_rate: number;
  bone: number;
  protein: number;
  protein_quality: number;
  score: number;
  bodyage: number;
  body_shape: number;
  cardiac_index: number;
  fatty_liver_risk: number;
  obesity: number;
  inorganic_salt: number;
  ideal_visual_weight: number;
  standard_weight: number;
  weight_control: number;
  fat_control: number;
  muscle_control: number;
  skeletal_muscle_mass: number;
  subfat_weight: number;
  levels: Levels;
  warnings: string[];
  /** bia-8 only (§2.6: absent for every other family). */
  segments?: SegmentsReport;
}
