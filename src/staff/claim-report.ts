/**
 * A claimed Lefu measurement's report, recomputed with the claiming member's profile
 * (issue 8 §8): when the raw impedance is known in ohms (the scale's `impedanceMode` is
 * `ohms`), lefuCoreInput + the computation core make the report for that member; otherwise
 * the note says why there is none. Null for rows that are not Lefu's.
 */
import type { Database } from "bun:sqlite";
import { compute } from "../core/index.ts";
import { lefuCoreInput } from "../devices/lefu/report.ts";
import { NOTE_ENCRYPTED } from "../devices/lefu/plugin.ts";
import type { MeasurementRow } from "../store/measurements-repo.ts";
import { MembersRepo } from "../store/members-repo.ts";

export interface ClaimReport {
  indicators: unknown | null;
  note: string | null;
}

export function lefuClaimReport(db: Database): (row: MeasurementRow, memberId: number) => ClaimReport | null {
  const members = new MembersRepo(db);
  const modeStmt = db.query<{ impedance_mode: string | null }, [number]>("SELECT impedance_mode FROM devices WHERE id = ?");
  return (row, memberId) => {
    if (!row.source.startsWith("lefu")) return null;
    const member = members.get(memberId);
    if (!member) return null;
    if (!row.impedance_json) return { indicators: null, note: row.indicators_note };
    const mode = row.device_id === null ? null : (modeStmt.get(row.device_id)?.impedance_mode ?? null);
    if (mode !== "ohms") return { indicators: null, note: NOTE_ENCRYPTED };
    const made = lefuCoreInput(
      { scaleType: row.scale_type, weightKg: row.weight_kg, heartRate: row.heart_rate, impedance: JSON.parse(row.impedance_json) as string[], measuredAt: row.measured_at },
      { sex: member.sex, birthday: member.birthday, heightCm: member.heightCm, athlete: member.athlete },
    );
    if ("note" in made) return { indicators: null, note: made.note };
    const doc = compute(made.input, Math.floor(row.measured_at / 1000));
    if ("error" in doc) return { indicators: null, note: `composition unavailable: ${doc.error.message}` };
    return { indicators: doc, note: null };
  };
}
