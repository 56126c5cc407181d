/**
 * Downstream D(S, A, H, W, bf) (§8.2): Yolanda/Etekcity conventions
 * (etekcity_esf551_ble BodyMetrics). Double precision, evaluated as written.
 * Every family takes the fields it does not own from here (§3, §9.1).
 */
import { clamp, R1, R2 } from "./math.ts";
import type { Profile } from "./types.ts";

export interface Downstream {
  bmi: number;
  fatWeight: number;
  fatFreeWeight: number;
  bone: number;
  sinew: number;
  water: number;
  muscle: number;
  skeletalMuscleMass: number;
  protein: number;
  visfat: number;
  subfat: number;
  bmr: number;
  standardWeight: number;
  score: number;
  bodyage: number;
}

/** D15 thresholds: adj = how many of these R1(score) reaches. */
const BODYAGE_THRESHOLDS = [50, 60, 65, 68, 70, 73, 75, 80, 85, 88, 90, 93, 95, 97, 98, 99] as const;

/** D14 ws: the weight sub-score against the standard weight r. */
function weightScore(W: number, r: number): number {
  if (W >= r) return W > 1.3 * r ? 50 : 100 - (50 * (W - r)) / (0.3 * r);
  if (W > 0.7 * r) return 100 - (50 * (r - W)) / (0.3 * r);
  for (let x = 1; x <= 5; x++) if ((r * x) / 10 > W) return 10 * x;
  return 0;
}

/** D14 fs. */
function fatScore(male: boolean, bf: number): number {
  const k = male ? 16 : 26;
  if (bf > k) return bf >= 45 ? 50 : 100 - (50 * (bf - k)) / (45 - k);
  return 100 - (50 * (k - bf)) / (k - 5);
}

/** D14 bs (BMI = D1, full precision). */
function bmiScore(bmi: number): number {
  if (bmi >= 22) return bmi >= 35 ? 50 : 100 - 3.85 * (bmi - 22);
  if (bmi >= 15) return 100 - 3.85 * (22 - bmi);
  return bmi >= 10 ? 40 : bmi >= 5 ? 30 : 20;
}

/** D13 standard weight. */
/** D13 standard weight [vendor]. */
export function standardWeight(male: boolean, H: number): number {
  return male ? 0.7 * (H - 80) : 0.45 * (1.37 * H - 110);
}

/** D14 score, with D's own BMI (D1) and standard weight (D13). */
export function downstreamScore(p: Profile, bf: number): number {
  const { male, heightCm: H, weightKg: W } = p;
  const bmi = (W / (H * H)) * 10000; // D1
  return (weightScore(W, standardWeight(male, H)) + fatScore(male, bf) + bmiScore(bmi)) / 3;
}

/** The part of D that ht-4 takes: D1 BMI, D10 visceral index (from D2's displayed fat weight), D11, D13. */
export interface DownstreamIndices {
  bmi: number;
  visfat: number;
  subfat: number;
  standardWeight: number;
}

export function downstreamIndices(p: Profile, bf: number): DownstreamIndices {
  const { male, heightCm: H, weightKg: W } = p;
  const bmi = (W / (H * H)) * 10000; // D1
  const fw1 = R1((W * bf) / 100); // D10 uses the displayed fat weight (D2)
  const VF = clamp(male ? 0.8666 * bmi + 0.0082 * bf + 0.026 * fw1 - 14.2692 : 0.8895 * bmi + 0.0943 * bf - 0.0534 * fw1 - 16.215, 1, 30);
  const subfat = male ? 0.965 * bf - 0.22 * VF : 0.983 * bf - 0.303 * VF; // D11 (with D's VF, unrounded)
  return { bmi, visfat: VF, subfat, standardWeight: standardWeight(male, H) };
}

/** D1–D15. */
export function downstream(p: Profile, bf: number): Downstream {
  const { male, age: A, weightKg: W } = p;
  const { bmi, visfat, subfat, standardWeight: SW } = downstreamIndices(p, bf); // D1, D10, D11, D13
  const FW = (W * bf) / 100; // D2
  const FFM = W - FW; // D3
  const bone = Math.max(1, (male ? 0.05 : 0.06) * FFM); // D4
  const sinew = FFM - bone; // D5
  const water = clamp((((male ? 0.76 : 0.73) * sinew) / W) * 100, 10, 80); // D6
  const cm = male ? 0.68 : 0.62;
  const muscle = ((cm * sinew) / W) * 100; // D7
  const SMM = cm * sinew; // D8
  const protein = Math.max(5, 100 - (male ? 1 : 1.05) * bf - (R2(bone) / W) * 100 - R1(water)); // D9 (displayed bone, water)
  const score = (weightScore(W, SW) + fatScore(male, bf) + bmiScore(bmi)) / 3; // D14
  let bodyage = A; // D15 (A < 18: the age itself [ours])
  if (A >= 18) {
    const s = R1(score);
    let adj = 0; // the thresholds ascend: count until the first one not reached
    while (adj < BODYAGE_THRESHOLDS.length && s >= BODYAGE_THRESHOLDS[adj]!) adj++;
    bodyage = Math.max(18, A + 8 - adj);
  }
  return {
    bmi,
    fatWeight: FW,
    fatFreeWeight: FFM,
    bone,
    sinew,
    water,
    muscle,
    skeletalMuscleMass: SMM,
    protein,
    visfat,
    subfat,
    bmr: 370 + 21.6 * FFM, // D12
    standardWeight: SW,
    score,
    bodyage,
  };
}
