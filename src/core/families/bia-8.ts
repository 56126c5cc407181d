/**
 * Family bia-8 (§7): 8-electrode segmental, 20 + 100 kHz (Lefu scaleType 1–6).
 * Per-segment frequency handling, whole-body R from segments, the standard-wb
 * core S(R), and the segment allocation of §7.3 [ours].
 */
import { InputError, isObject, missing, present, requiredNumber, wrongType } from "../errors.ts";
import { SEGMENT_NAMES, type FamilyResult, type Profile, type SegmentName, type SegmentReport, type SegmentsReport } from "../types.ts";
import { wholeBody } from "./standard-wb.ts";

export type Bia8Input = Record<SegmentName, { z20: number; z100: number }>;

/** §7.1 ranges (Ω, both frequencies): limbs 100–700, trunk 5–100. */
const RANGE: Record<SegmentName, readonly [number, number]> = {
  rightArm: [100, 700],
  leftArm: [100, 700],
  trunk: [5, 100],
  rightLeg: [100, 700],
  leftLeg: [100, 700],
};

/** §7.1 checks 1–3, segment by segment in the order rightArm, leftArm, trunk, rightLeg, leftLeg. */
export function readBia8(doc: Record<string, unknown>): Bia8Input | InputError {
  const imp = doc.impedance;
  if (!present(imp)) return missing("impedance");
  if (!isObject(imp)) return wrongType("impedance", "an object");
  const segs = imp.segments;
  if (!present(segs)) return missing("impedance.segments");
  if (!isObject(segs)) return wrongType("impedance.segments", "an object");
  const out = {} as Bia8Input;
  for (const k of SEGMENT_NAMES) {
    const field = `impedance.segments.${k}`;
    const s = segs[k];
    if (!present(s)) return missing(field);
    if (!isObject(s)) return wrongType(field, "an object");
    const [lo, hi] = RANGE[k];
    const z20 = requiredNumber(s.z20, `${field}.z20`, lo, hi);
    if (z20 instanceof InputError) return z20;
    const z100 = requiredNumber(s.z100, `${field}.z100`, lo, hi);
    if (z100 instanceof InputError) return z100;
    out[k] = { z20, z100 };
  }
  return out;
}

/** P2: φ = ln(2.5) / ln(5), the position of 50 kHz between 20 and 100 kHz on a log axis. */
const PHI = Math.log(2.5) / Math.log(5);

/** P1 (swap, with its warning) and P2 (interpolation to 50 kHz). */
function r50(seg: { z20: number; z100: number }, name: SegmentName, warnings: string[]): number {
  let hi = seg.z20;
  let lo = seg.z100;
  if (hi < lo) {
    hi = seg.z100;
    lo = seg.z20;
    warnings.push(`FREQ_SWAPPED:${name}`);
  }
  return hi + (lo - hi) * PHI;
}

function segment(muscle: number, fat: number, W: number, r: number): SegmentReport {
  return { muscle_kg: muscle, fat_kg: fat, fat_rate: (fat / W) * 100, r50: r };
}

/** §7.2 P1–P5. */
export function runBia8(p: Profile, z: Bia8Input, warnings: string[]): FamilyResult {
  const ra = r50(z.rightArm, "rightArm", warnings);
  const la = r50(z.leftArm, "leftArm", warnings);
  const tr = r50(z.trunk, "trunk", warnings);
  const rl = r50(z.rightLeg, "rightLeg", warnings);
  const ll = r50(z.leftLeg, "leftLeg", warnings);
  const R = (ra + la) / 2 + tr + (rl + ll) / 2; // P3
  const res = wholeBody(p, R, warnings); // P4
  // P5 (§7.3): lean split within a limb pair by conductance, fat split equally.
  const sinew = res.sinew;
  const FW = res.fatWeight;
  const W = p.weightKg;
  const armFat = 0.068 * FW;
  const legFat = 0.154 * FW;
  const segments: SegmentsReport = {
    rightArm: segment((2 * 0.057 * sinew * la) / (ra + la), armFat, W, ra),
    leftArm: segment((2 * 0.057 * sinew * ra) / (ra + la), armFat, W, la),
    trunk: segment(0.486 * sinew, 0.502 * FW, W, tr),
    rightLeg: segment((2 * 0.177 * sinew * ll) / (rl + ll), legFat, W, rl),
    leftLeg: segment((2 * 0.177 * sinew * rl) / (rl + ll), legFat, W, ll),
  };
  res.segments = segments;
  return res;
}
