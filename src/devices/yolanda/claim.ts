/**
 * What happens to a Yolanda measurement's report when staff claim it for a
 * member (device-protocols §3.4 indicator caveat, §3.7.2, §3.7.3). Pure: it
 * reads the stored row only.
 *
 * - WSP-Full with several candidate records: member X gets X's own record.
 * - WSP Mini / Docker / Full single: the relay's report is kept; if it was
 *   computed for another profile (the slot's member), it stays marked with that
 *   profile, and only weight and heart rate are to be trusted for X.
 * - WSP-Lite and unknown measurements carry no report.
 */
import type { MeasurementRow } from "../../store/measurements-repo.ts";
import { NOTE_LITE, NOTE_UNKNOWN } from "./ingest.ts";

import type { ClaimReport } from "../role.ts";

interface MultiRecord {
  member_id: number | null;
  indicators: unknown | null;
}

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The report for a Yolanda row claimed by `memberId`; null for a row that is not Yolanda's. */
export function yolandaClaimReport(row: MeasurementRow, memberId: number): ClaimReport | null {
  if (!row.source.startsWith("yolanda-")) return null;
  const raw = parse(row.raw_item_json) as { records?: MultiRecord[] } | null;
  if (raw && Array.isArray(raw.records)) {
    const mine = raw.records.find((r) => r.member_id === memberId && r.indicators != null);
    if (mine) return { indicators: mine.indicators, note: null, profileMemberId: memberId };
    return { indicators: null, note: "no report for this member: the relay computed reports only for the other candidates", profileMemberId: null };
  }
  const indicators = parse(row.indicators_json);
  if (indicators === null) return { indicators: null, note: row.source === "yolanda-lite" ? NOTE_LITE : (row.indicators_note ?? NOTE_UNKNOWN), profileMemberId: null };
  const profile = row.indicators_profile_member_id;
  if (profile !== null && profile !== memberId) {
    return {
      indicators,
      note: `report computed for another profile (member ${profile}): only weight and heart rate apply to this member`,
      profileMemberId: profile,
    };
  }
  return { indicators, note: null, profileMemberId: profile ?? memberId };
}
