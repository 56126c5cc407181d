/**
 * From a stored Lefu measurement and a member's profile to the computation
 * core's input (computation-core §2.2), and the note staff see when no full
 * report can be made. Pure.
 */
import { ageOn } from "../../core/age.ts";
import { compute, weightOnlyReport, type ReportDocument, type WeightOnlyReport } from "../../core/index.ts";
import type { MemberProfile } from "../../core/members.ts";

/** What the core needs of a member: the part of the one profile shape (core/members.ts) it reads. */
export type CoreProfile = Pick<MemberProfile, "sex" | "birthday" | "heightCm" | "athlete">;

export interface LefuReading {
  scaleType: number | null;
  weightKg: number;
  heartRate: number | null;
  /** Ohms as decimal strings, in the order the scale sent them. */
  impedance: string[] | null;
  measuredAt: number;
}

const SEGMENTS = ["rightArm", "leftArm", "trunk", "rightLeg", "leftLeg"] as const;

export type InputOrNote = { input: Record<string, unknown> } | { note: string };

function ohms(s: string): number | null {
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * Impedance shape by scaleType (§2.2, §2.4): 1–6 → the ten segment values in Lefu upload
 * order; 90 → z50 (+ z100 when sent; the core copies z50 into a missing z100, §4.1 step 6);
 * any other scaleType → z50, and the core dispatches or refuses it (UNSUPPORTED_SCALE_TYPE).
 * Without a scaleType the count decides, as the core's inference does (§2.4 step 3):
 * 10 → segments, 2 → z50 + z100, 1 → z50.
 *
 * The age is the member's on the gym's calendar date of the weighing (`timeZone`: `gym.timeZone`), not
 * UTC's: the core takes it as `age`. A birthday after that date is left to the core to refuse.
 */
export function lefuCoreInput(r: LefuReading, p: CoreProfile, timeZone: string): InputOrNote {
  if (!r.impedance || r.impedance.length === 0) return { note: "composition unavailable: weight-only weighing" };
  if (p.sex !== "male" && p.sex !== "female") return { note: "composition unavailable: the member's sex is not set" };
  if (!p.birthday) return { note: "composition unavailable: the member's birthday is not set" };
  if (p.heightCm == null) return { note: "composition unavailable: the member's height is not set" };
  const z = r.impedance.map(ohms);
  if (z.some((v) => v === null)) return { note: "composition unavailable: an impedance is not a number of ohms" };
  const st = r.scaleType;
  const segmental = st === null ? z.length === 10 : st >= 1 && st <= 6;
  const dual = st === null ? z.length === 2 : st === 90;
  let impedance: Record<string, unknown>;
  if (segmental) {
    if (z.length !== 10) return { note: `composition unavailable: an 8-electrode reading needs 10 impedances, got ${z.length}` };
    impedance = { segments: Object.fromEntries(SEGMENTS.map((name, i) => [name, { z20: z[2 * i], z100: z[2 * i + 1] }])) };
  } else if (dual) {
    impedance = z.length >= 2 ? { z50: z[0], z100: z[1] } : { z50: z[0] };
  } else {
    if (st === null && z.length !== 1) return { note: `composition unavailable: ${z.length} impedances without a scaleType` };
    impedance = { z50: z[0] };
  }
  const age = ageOn(p.birthday, r.measuredAt, timeZone);
  return {
    input: {
      ...(st === null ? {} : { scaleType: st }),
      sex: p.sex,
      ...(age !== null && age >= 0 ? { age } : {}),
      birthday: p.birthday,
      measuredAt: Math.floor(r.measuredAt / 1000), // LefuReading.measuredAt is epoch ms; the core takes Unix seconds
      heightCm: p.heightCm,
      weightKg: r.weightKg,
      heartRate: r.heartRate ?? 0,
      athlete: p.athlete,
      impedance,
    },
  };
}

export const NOTE_ENCRYPTED = "composition unavailable: impedance is encrypted";
export const NOTE_NO_IMPEDANCE = "composition unavailable: weight-only weighing";

export interface StoredReport {
  /** The report document (full, or the weight-only part), or null when no member's profile applies. */
  indicators: ReportDocument | WeightOnlyReport | null;
  /** Why there is no full report, for staff; null with a full report. */
  note: string | null;
  /** The member whose profile the indicators were computed for. */
  profileMemberId: number | null;
}

/**
 * The report stored with a Lefu measurement of member `p` (issue 5 §5): a full report from the
 * core when the scale sends plain ohms and the profile is complete; otherwise weight, BMI and the
 * other weight-only fields, with the note that says why. Without a member there is no report
 * (it is computed when staff assign the measurement).
 */
export function lefuReport(r: LefuReading, p: (CoreProfile & { id: number }) | null, mode: "encrypted" | "ohms", timeZone: string): StoredReport {
  if (p === null) return { indicators: null, note: r.impedance === null ? NOTE_NO_IMPEDANCE : mode === "encrypted" ? NOTE_ENCRYPTED : null, profileMemberId: null };
  const partial = (note: string): StoredReport => ({
    indicators: weightOnlyReport({ sex: p.sex, heightCm: p.heightCm, weightKg: r.weightKg, heartRate: r.heartRate }),
    note,
    profileMemberId: p.id,
  });
  if (r.impedance === null || r.impedance.length === 0) return partial(NOTE_NO_IMPEDANCE);
  if (mode === "encrypted") return partial(NOTE_ENCRYPTED);
  const built = lefuCoreInput(r, p, timeZone);
  if ("note" in built) return partial(built.note);
  const doc = compute(built.input);
  if ("error" in doc) return partial(`composition unavailable: ${doc.error.field ? `${doc.error.field}: ` : ""}${doc.error.message} (${doc.error.code})`);
  return { indicators: doc, note: null, profileMemberId: p.id };
}
