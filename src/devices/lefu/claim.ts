/**
 * A Lefu measurement's report when staff assign it to a member (issue 5 §4–§5): computed
 * again from the stored reading with that member's profile and the scale's current
 * impedance mode (so fixing a scale's mode and then assigning gives the full report).
 */
import type { Database } from "bun:sqlite";
import type { MeasurementRow } from "../../store/measurements-repo.ts";
import { memberProfile } from "../../store/profiles.ts";
import { lefuReport, type StoredReport } from "./report.ts";

export function lefuClaimReport(db: Database, row: MeasurementRow, memberId: number): StoredReport | null {
  if (!row.source.startsWith("lefu-")) return null;
  const mode = row.device_id === null ? null : (db.query("SELECT impedance_mode FROM devices WHERE id = ?").get(row.device_id) as { impedance_mode: "encrypted" | "ohms" } | null);
  let impedance: string[] | null = null;
  if (row.impedance_json !== null) {
    try {
      const v = JSON.parse(row.impedance_json) as unknown;
      if (Array.isArray(v)) impedance = v.map(String);
    } catch {
      impedance = null;
    }
  }
  return lefuReport(
    { scaleType: row.scale_type, weightKg: row.weight_kg, heartRate: row.heart_rate, impedance, measuredAt: row.measured_at },
    memberProfile(db, memberId),
    mode?.impedance_mode ?? "encrypted",
  );
}
