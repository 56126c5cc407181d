/**
 * The part of a report that needs no impedance: what a weighing still tells when the
 * scale's impedance is encrypted, missing, or the member's profile is incomplete.
 * Same formulas and rounding as the full report (computation-core §8.2 D1 and D13,
 * §9.2 ideal_visual_weight and obesity, §9.1 rounding, §10 weight and bmi levels),
 * each field only when its inputs are known and inside the core's gates (§2.3 V9, V10).
 * Pure.
 */
import { standardWeight } from "./downstream.ts";
import { R1, R2 } from "./math.ts";
import { rowsFor, select } from "./standards.ts";
import { SPEC_VERSION } from "./types.ts";

export interface WeightOnlyInput {
  sex: "male" | "female" | "unspecified";
  heightCm: number | null;
  weightKg: number;
  heartRate: number | null;
}

export interface WeightOnlyReport {
  spec_version: string;
  /** Marks a partial report: only the fields below are present. */
  algorithm: "weight-only";
  weight: number;
  heart_rate: number;
  bmi?: number;
  standard_weight?: number;
  ideal_visual_weight?: number;
  obesity?: number;
  levels: { weight?: string | null; bmi?: string | null };
}

const inside = (x: number | null, lo: number, hi: number): x is number => x !== null && Number.isFinite(x) && x >= lo && x <= hi;

export function weightOnlyReport(i: WeightOnlyInput): WeightOnlyReport {
  const W = i.weightKg;
  const hr = i.heartRate !== null && Number.isInteger(i.heartRate) && i.heartRate > 0 && i.heartRate <= 250 ? i.heartRate : 0;
  const out: WeightOnlyReport = { spec_version: SPEC_VERSION, algorithm: "weight-only", weight: R2(W), heart_rate: hr, levels: {} };
  if (!inside(W, 10, 250) || !inside(i.heightCm, 90, 220)) return out;
  const H = i.heightCm;
  const bmi = R1((W / (H * H)) * 10000); // D1
  out.bmi = bmi;
  if (i.sex === "unspecified") {
    out.levels.bmi = rowsFor(true).bmi(bmi); // the bmi bands are the same for both sexes (§10)
    return out;
  }
  const male = i.sex === "male";
  const rows = rowsFor(male);
  const SW = standardWeight(male, H); // D13
  out.standard_weight = R1(SW);
  out.ideal_visual_weight = R1((male ? 0.9 : 0.8) * (H - 100));
  out.obesity = R2(((W - SW) / SW) * 100);
  out.levels.bmi = rows.bmi(bmi);
  out.levels.weight = select(rows.weight, out.weight, out.standard_weight); // §10: output weight against output SW
  return out;
}
