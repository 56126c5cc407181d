/**
 * Report fields a Yolanda relay did not send, derived with the computation
 * core's `bodyfat-only` family (computation-core §2, §8) from the relay's own
 * body fat and the profile the relay computed for (the slot's member).
 *
 * Rules: a value the relay sent is never overwritten; every derived field is
 * listed in `indicators.derived`; without a profile, a body fat, or when the
 * core refuses the input, nothing is derived.
 */
import { ageOn } from "../../core/age.ts";
import type { MemberProfile } from "../../core/members.ts";
import { compute } from "../../core/index.ts";
import { INDICATORS, type Indicators, type YolandaItem } from "./items.ts";

/** The core's compute(input): a report document, or `{error: {...}}` (computation-core §2.1, §2.6). */
export type Compute = (input: Record<string, unknown>) => unknown;

/**
 * `members` gives the profile the report is for (store/members-repo.ts `profile`); the member's age is
 * taken on the gym's calendar date of the weighing (`timeZone`: `gym.timeZone`), not UTC's.
 */
export type Deriver = (indicators: Indicators, profileMemberId: number | null, item: YolandaItem, members: ProfileSource, timeZone: string) => Indicators;

export interface ProfileSource {
  profile(id: number): MemberProfile | null;
}

/** Inputs are what the relay measured; these are never derived. */
const NOT_DERIVED = new Set(["weight", "heart_rate", "bodyfat"]);

export function deriverFrom(compute: Compute | null): Deriver {
  return (indicators, profileMemberId, item, members, timeZone) => {
    if (!compute || profileMemberId === null) return indicators;
    const missing = INDICATORS.filter((f) => !NOT_DERIVED.has(f) && indicators[f] === undefined);
    const bodyfat = indicators.bodyfat;
    if (missing.length === 0 || typeof bodyfat !== "number") return indicators;
    const p = members.profile(profileMemberId);
    if (!p || (p.sex !== "male" && p.sex !== "female") || p.heightCm === null || !p.birthday) return indicators;
    const age = ageOn(p.birthday, item.tsSeconds * 1000, timeZone);
    let report: unknown;
    try {
      report = compute({
        algorithm: "bodyfat-only",
        sex: p.sex,
        ...(age !== null && age >= 0 ? { age } : {}),
        birthday: p.birthday,
        measuredAt: item.tsSeconds,
        heightCm: p.heightCm,
        weightKg: item.weightKg,
        // The core takes 0–250 bpm; a relay may send more (its own range is wider): then no heart rate.
        heartRate: item.heartRate !== null && item.heartRate !== undefined && item.heartRate <= 250 ? item.heartRate : 0,
        bodyfat,
      });
    } catch {
      return indicators;
    }
    if (report === null || typeof report !== "object" || "error" in report) return indicators;
    const r = report as Record<string, unknown>;
    const out: Indicators = { ...indicators };
    const derived: string[] = [];
    for (const f of missing) {
      if (typeof r[f] === "number") {
        out[f] = r[f];
        derived.push(f);
      }
    }
    if (derived.length) out.derived = derived;
    return out;
  };
}

/** The default: the computation core's compute. */
export const deriveMissing: Deriver = deriverFrom(compute);
