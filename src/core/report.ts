/**
 * The report layer (§9): from any family's result (its own fields and those it took
 * from D) and the D14 score to every field of the report, named as in the Yolanda
 * WSP Mini measurement plus the extras.
 * Internal values first (§9.2), one rounding at output (§9.1), then the codes
 * (§9.3) and levels (§10) from the rounded values (§1.3).
 */
import { downstreamScore } from "./downstream.ts";
import { R1, R2 } from "./math.ts";
import { levelsOf, rowsFor } from "./standards.ts";
import { SPEC_VERSION, type Family, type FamilyResult, type Levels, type Profile, type ReportDocument, type SegmentsReport } from "./types.ts";

/** Placeholder so the document has its final shape before the levels are known. */
const NO_LEVELS = {} as Levels;

/** §9.3 body_shape grid: [fat row][muscle column]. */
const BODY_SHAPE = {
  high: { low: 1, standard: 6, high: 7 },
  standard: { low: 2, standard: 4, high: 8 },
  low: { low: 3, standard: 5, high: 9 },
} as const;

function roundSegments(s: SegmentsReport): SegmentsReport {
  const seg = (k: keyof SegmentsReport) => {
    const v = s[k];
    return { muscle_kg: R2(v.muscle_kg), fat_kg: R2(v.fat_kg), fat_rate: R2(v.fat_rate), r50: R1(v.r50) };
  };
  return { rightArm: seg("rightArm"), leftArm: seg("leftArm"), trunk: seg("trunk"), rightLeg: seg("rightLeg"), leftLeg: seg("leftLeg") };
}

export function buildReport(family: Family, p: Profile, fr: FamilyResult, warnings: string[]): ReportDocument {
  const { male, age: A, heightCm: H, weightKg: W, heartRate: HR } = p;
  const { bodyfat: bf, bmi, fatWeight, fatFreeWeight, water, bone, sinew, protein, muscle, bmr, visfat, subfat, bodyage } = fr;
  const smm = fr.skeletalMuscleMass;
  const SW = fr.standardWeight;
  const score = downstreamScore(p, bf); // D14, for every family

  // §9.2 report-level formulas.
  const subfatWeight = fr.subfatWeight ?? (W * subfat) / 100;
  const muscleRate = fr.muscleRate ?? (sinew / W) * 100;
  const waterContent = (W * water) / 100;
  const proteinQuality = (W * protein) / 100;
  const idealVisualWeight = (male ? 0.9 : 0.8) * (H - 100);
  const obesity = ((W - SW) / SW) * 100;
  const cardiacIndex = HR === 0 ? 0 : (HR * 0.07) / (0.007184 * Math.pow(W, 0.425) * Math.pow(H, 0.725));
  const t = male ? 15 : 25;
  const lo = male ? 11 : 21;
  const fatControl = bf > t ? ((t - bf) * W) / 100 : bf < lo ? ((lo - bf) * W) / 100 : 0;
  const rows = rowsFor(male);
  const sinewRange = rows.sinew(H);
  const muscleControl = Math.max(0, sinewRange[0] - sinew);

  // §9.1 output rounding; codes (§9.3) and levels (§10) follow from the rounded values.
  const report: ReportDocument = {
    spec_version: SPEC_VERSION,
    algorithm: family,
    age: A,
    weight: R2(W),
    heart_rate: HR,
    bmi: R1(bmi),
    bodyfat: R1(bf),
    fat_free_weight: R1(fatFreeWeight),
    fat_weight: R1(fatWeight),
    subfat: R1(subfat),
    visfat: R1(visfat), // bh-dual-4: already the integer VFb
    water: R1(water),
    water_content: R1(waterContent),
    bmr: Math.floor(bmr),
    muscle: R1(muscle),
    sinew: R1(sinew),
    muscle_rate: R2(muscleRate),
    bone: R2(bone),
    protein: R1(protein),
    protein_quality: R1(proteinQuality),
    score: R1(score),
    bodyage, // an integer in every family
    body_shape: 0,
    cardiac_index: R1(cardiacIndex),
    fatty_liver_risk: 0,
    obesity: R2(obesity),
    inorganic_salt: 0,
    ideal_visual_weight: R1(idealVisualWeight),
    standard_weight: R1(SW),
    weight_control: R2(fatControl + muscleControl),
    fat_control: R2(fatControl),
    muscle_control: R2(muscleControl),
    skeletal_muscle_mass: R1(smm),
    subfat_weight: R1(subfatWeight),
    levels: NO_LEVELS,
    warnings,
  };
  const levels = levelsOf(report, male, A, H, family);
  report.levels = levels;
  // §9.3
  const v = report.visfat;
  report.fatty_liver_risk = v <= 9 ? 0 : v <= 14 ? 1 : 2;
  const boneRange = rows.bone(report.weight);
  report.inorganic_salt = report.bone < boneRange[0] ? 1 : report.bone > boneRange[1] ? 3 : 2;
  report.body_shape = BODY_SHAPE[levels.bodyfat === "very_high" ? "high" : levels.bodyfat][levels.sinew];
  if (fr.segments) report.segments = roundSegments(fr.segments);
  return report;
}
