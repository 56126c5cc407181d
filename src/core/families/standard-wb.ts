/**
 * Family standard-wb (§6): whole-body (wrist-to-ankle) single-frequency impedance,
 * Sun 2003 / Janssen 2000 / Katch-McArdle with openScale StandardImpedanceLib's
 * rounded coefficients. `wholeBody` is the core S(R), shared with bia-8 (§7.2 P4).
 */
import { downstream } from "../downstream.ts";
import { clamp } from "../math.ts";
import { InputError, isObject, missing, present, requiredNumber, wrongType } from "../errors.ts";
import type { FamilyResult, Profile } from "../types.ts";

/** §6.1 checks 1–2: R = impedance.z50 in 200–1500 Ω. */
export function readStandardWb(doc: Record<string, unknown>): number | InputError {
  const imp = doc.impedance;
  if (!present(imp)) return missing("impedance");
  if (!isObject(imp)) return wrongType("impedance", "an object");
  return requiredNumber(imp.z50, "impedance.z50", 200, 1500);
}

/** §6.2 S1–S10 for a whole-body 50 kHz resistance R (no range gate here; bia-8 has none on R). */
export function wholeBody(p: Profile, R: number, warnings: string[]): FamilyResult {
  const { male, age: A, heightCm: H, weightKg: W } = p;
  const RI = (H * H) / R; // S1
  const FFMs = male ? -10.68 + 0.65 * RI + 0.26 * W + 0.02 * R : -9.53 + 0.69 * RI + 0.17 * W + 0.02 * R; // S2
  const bf0 = ((W - FFMs) / W) * 100; // S3
  const bf = clamp(bf0, 5, 75);
  if (bf !== bf0) warnings.push("BODYFAT_CLAMPED");
  const FW = (W * bf) / 100; // S4
  const FFM = W - FW;
  const TBW0 = 0.99513 * (male ? 1.2 + 0.45 * RI + 0.18 * W : 3.75 + 0.45 * RI + 0.11 * W); // S5
  const TBW = clamp(TBW0, 0.6 * FFM, 0.8 * FFM);
  if (TBW !== TBW0) warnings.push("WATER_CONSTRAINED");
  const bone = (male ? 0.057 : 0.05) * FFM; // S6
  const sinew = FFM - bone; // S7
  const SMM = clamp(0.401 * RI + 3.825 * (male ? 1 : 0) - 0.071 * A + 5.102, 0, sinew); // S9
  const d = downstream(p, bf); // §6.3: bmi, visfat, subfat, bodyage, standard_weight from D
  return {
    bodyfat: bf,
    bmi: d.bmi,
    fatWeight: FW,
    fatFreeWeight: FFM,
    water: (TBW / W) * 100,
    bone,
    sinew,
    protein: Math.max(5, ((sinew - TBW) / W) * 100), // S8
    skeletalMuscleMass: SMM,
    muscle: (SMM / W) * 100,
    bmr: 370 + 21.6 * FFM, // S10
    visfat: d.visfat,
    subfat: d.subfat,
    bodyage: d.bodyage,
    standardWeight: d.standardWeight,
    subfatWeight: null,
    muscleRate: null,
    segments: null,
  };
}
