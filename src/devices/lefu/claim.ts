/**
 * A Lefu measurement's report when staff assign it to a member (issue 5 §4–§5): computed
 * again from the stored reading with that member's profile and the scale's current
 * impedance mode (so fixing a scale's mode and then assigning gives the full report), on the gym's
 * calendar (`timeZone`).
 */
import type { MeasurementRow } from "../../store/measurements-repo.ts";
import type { Repos } from "../../store/repos.ts";
import { lefuReport, type StoredReport } from "./report.ts";

export function lefuClaimReport(repos: Pick<Repos, "devices" | "members">, row: MeasurementRow, memberId: number, timeZone: string): StoredReport | null {
  if (!row.source.startsWith("lefu-")) return null;
  const mode = row.device_id === null ? null : repos.devices.byId(row.device_id);
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
    repos.members.profile(memberId),
    mode?.impedance_mode ?? "encrypted",
    timeZone,
  );
}
