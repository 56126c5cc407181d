/**
 * Family ht-4 (§5): 4-electrode single frequency (~50 kHz, Holtek family; Lefu
 * scaleType 0). Holtek/Xiaomi lean-body-mass coefficient with bodymiscale's
 * "science" downstream formulas, plus the female offset of §14.1. Double precision.
 */
import { downstreamIndices } from "../downstream.ts";
import { clamp } from "../math.ts";
import { InputError, isObject, missing, present, requiredNumber, wrongType } from "../errors.ts";
import type { FamilyResult, Profile } from "../types.ts";

export interface Ht4Input {
  /** Z, Ω (not rounded). */
  z50: number;
  /** options.ht4Subtraction (§5.2 H5), default false. */
  subtraction: boolean;
}

/** §5.1 checks 1–4, in order. */
export function readHt4(doc: Record<string, unknown>): Ht4Input | InputError {
  const imp = doc.impedance;
  if (!present(imp)) return missing("impedance");
  if (!isObject(imp)) return wrongType("impedance", "an object");
  const z50 = requiredNumber(imp.z50, "impedance.z50", 200, 1200);
  if (z50 instanceof InputError) return z50;
  const options = doc.options;
  let subtraction = false;
  if (present(options)) {
    if (!isObject(options)) return wrongType("options", "an object");
    const s = options.ht4Subtraction;
    if (present(s)) {
      if (typeof s !== "boolean") return wrongType("options.ht4Subtraction", "a boolean");
      subtraction = s;
    }
  }
  return { z50, subtraction };
}

/** H5: the Lefu V5.0.5 display subtraction d, by sex and bf1. */
function subtractionOf(male: boolean, bf1: number): number {
  if (male) return bf1 < 6 ? 0 : bf1 < 14 ? 1 : bf1 < 18 ? 2 : bf1 < 26 ? 3 : 4;
  return bf1 < 14 ? 0 : bf1 < 21 ? 1 : bf1 < 25 ? 2 : bf1 < 32 ? 3 : 4;
}

/** H12 Schofield/WHO a × W + b by age bracket. The A < 3 brackets are unreachable (V5/V8c: A ≥ 6). */
function schofield(male: boolean, A: number, W: number): number {
  let x: number;
  if (male) {
    x = A < 10 ? 22.706 * W + 504.3 : A < 18 ? 17.686 * W + 658.2 : A < 30 ? 15.057 * W + 692.2 : A < 60 ? 11.472 * W + 873.1 : 11.711 * W + 587.7;
  } else {
    x = A < 10 ? 20.315 * W + 485.9 : A < 18 ? 13.384 * W + 692.6 : A < 30 ? 14.818 * W + 486.6 : A < 60 ? 8.126 * W + 845.6 : 9.082 * W + 658.5;
  }
  return clamp(x, 500, 5000);
}

/** §5.2 H1–H14; the result of §5.3, the rest from D. */
export function runHt4(p: Profile, z: Ht4Input, warnings: string[]): FamilyResult {
  const { male, age: A, heightCm: H, weightKg: W } = p;
  const Z = z.z50;
  const L = ((H * 9.058) / 100) * (H / 100) + W * 0.32 + 12.226 - Z * 0.0068 - A * 0.0542; // H1
  const delta = male ? 0 : A <= 49 ? 9.25 : 7.25; // H2 [ours]
  const LBM = Math.min(L - delta, 0.98 * W); // H3
  const bf0 = ((W - LBM) / W) * 100; // H4
  const bf1 = clamp(bf0, 5, 75);
  if (bf1 !== bf0) warnings.push("BODYFAT_CLAMPED");
  const bf = z.subtraction ? Math.max(5, bf1 - subtractionOf(male, bf1)) : bf1; // H5
  const FW = (W * bf) / 100; // H6
  const FFM = W - FW;
  const water = clamp((100 - bf) * 0.73, 35, 73); // H7
  const protein = clamp(((FFM * 0.195) / W) * 100, 5, 32); // H8
  const Lc = Math.min(L, 0.98 * W); // H9
  const b0 = Lc * 0.05158 - (male ? 0.18016894 : 0.245691014);
  const bone = clamp(b0 > 2.2 ? b0 + 0.1 : b0 - 0.1, 0.5, 8);
  const sinew = FFM - bone; // H10
  const TBW = (water * W) / 100; // H11
  const SMM = Math.max(0, 0.832 * TBW - 2.7354);
  const muscle = (SMM / W) * 100;
  const bmr = schofield(male, A, W); // H12
  let v: number; // H13
  if (male) {
    v = H < W * 1.6 + 63
      ? A * 0.15 + ((W * 305) / (H * 0.0826 * H - H * 0.4 + 48) - 2.9)
      : A * 0.15 + (W * (H * -0.0015 + 0.765) - H * 0.143) - 5;
  } else {
    v = W <= H * 0.5 - 13
      ? A * 0.07 + (W * (H * -0.0024 + 0.691) - H * 0.027) - 10.5
      : A * 0.07 + ((W * 500) / (H * 1.45 + H * 0.1158 * H - 120) - 6);
  }
  const m = male // H14
    ? H * -0.7471 + W * 0.9161 + A * 0.4184 + Z * 0.0517 + 54.2267
    : H * -1.1165 + W * 1.5784 + A * 0.4615 + Z * 0.0415 + 83.2548;
  const d = downstreamIndices(p, bf); // §9.1: bmi, subfat, standard_weight from D
  return {
    bodyfat: bf,
    bmi: d.bmi,
    fatWeight: FW,
    fatFreeWeight: FFM,
    water,
    bone,
    sinew,
    protein,
    skeletalMuscleMass: SMM,
    muscle,
    bmr,
    visfat: clamp(v, 1, 50),
    subfat: d.subfat,
    bodyage: Math.trunc(clamp(m, 15, 80)),
    standardWeight: d.standardWeight,
    subfatWeight: null,
    muscleRate: null,
    segments: null,
  };
}
