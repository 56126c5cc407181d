/**
 * What the staff page reads that no device role needs (issue 16): the dashboard's "measured today"
 * with paging, measurements for the CSV export, a member's first and latest measurement for the
 * comparison sheet, and the gym's name and logo.
 */
import type { Database, Statement } from "bun:sqlite";
import type { MeasurementRow } from "./measurements-repo.ts";

export type NamedMeasurementRow = MeasurementRow & {
  device_name: string | null;
  device_model: string | null;
  member_name: string | null;
  member_no: string | null;
};

/** A measurement with the name and model of the device that made it. */
export type DeviceMeasurementRow = MeasurementRow & { device_name: string | null; device_model: string | null };

/** The columns a member's history view shows (staff/web-support.ts measurementJson), with the device's name and model. */
export type HistoryRow = Pick<
  MeasurementRow,
  "id" | "source" | "status" | "member_id" | "measured_at" | "received_at" | "clock_suspect" | "weight_kg" | "heart_rate" | "eight_electrode" | "impedance_json" | "indicators_json" | "indicators_note" | "device_id"
> & { device_name: string | null; device_model: string | null };

export interface GymProfile {
  name: string | null;
  logoType: string | null;
  logoBytes: number;
  updatedAt: number;
}

const WITH_DEVICE = "SELECT m.*, d.name AS device_name, d.model AS device_model FROM measurements m LEFT JOIN devices d ON d.id = m.device_id";

const NAMED = `SELECT m.*, d.name AS device_name, d.model AS device_model, mb.name AS member_name, mb.member_no AS member_no
  FROM measurements m LEFT JOIN devices d ON d.id = m.device_id LEFT JOIN members mb ON mb.id = m.member_id`;

export class PageRepo {
  private readonly measuredStmt: Statement<NamedMeasurementRow, [number, number, number, number]>;
  private readonly measuredCountStmt: Statement<{ n: number }, [number, number]>;
  private readonly exportStmt: Statement<NamedMeasurementRow, [number, number, number | null, number | null]>;
  private readonly firstStmt: Statement<NamedMeasurementRow, [number]>;
  private readonly latestStmt: Statement<NamedMeasurementRow, [number]>;
  private readonly historyStmt: Statement<HistoryRow, [number, number, number, number]>;
  private readonly lastStmt: Statement<DeviceMeasurementRow, [number, number, number]>;
  private readonly oneStmt: Statement<DeviceMeasurementRow, [number]>;
  private readonly gymStmt: Statement<{ name: string | null; logo_type: string | null; n: number; updated_at: number }, []>;
  private readonly logoStmt: Statement<{ logo: Uint8Array | null; logo_type: string | null; updated_at: number }, []>;

  constructor(private readonly db: Database) {
    this.measuredStmt = db.query(`${NAMED} WHERE m.measured_at >= ? AND m.measured_at < ? AND m.status != 'discarded' ORDER BY m.measured_at DESC, m.id DESC LIMIT ? OFFSET ?`);
    this.measuredCountStmt = db.query("SELECT COUNT(*) AS n FROM measurements WHERE measured_at >= ? AND measured_at < ? AND status != 'discarded'");
    this.exportStmt = db.query(`${NAMED} WHERE m.status = 'assigned' AND m.measured_at >= ?1 AND m.measured_at < ?2 AND (?3 IS NULL OR m.member_id = ?3) ORDER BY m.measured_at, m.id LIMIT coalesce(?4, -1)`);
    this.firstStmt = db.query(`${NAMED} WHERE m.member_id = ? AND m.status = 'assigned' ORDER BY m.measured_at, m.id LIMIT 1`);
    this.latestStmt = db.query(`${NAMED} WHERE m.member_id = ? AND m.status = 'assigned' ORDER BY m.measured_at DESC, m.id DESC LIMIT 1`);
    // Only the columns the history view reads (1,000 rows of ~40 columns made ~40,000 values).
    this.historyStmt = db.query(
      `SELECT m.id, m.source, m.status, m.member_id, m.measured_at, m.received_at, m.clock_suspect, m.weight_kg, m.heart_rate,
         m.eight_electrode, m.impedance_json, m.indicators_json, m.indicators_note, m.device_id, d.name AS device_name, d.model AS device_model
       FROM measurements m LEFT JOIN devices d ON d.id = m.device_id
       WHERE m.member_id = ? AND m.status = 'assigned' AND m.measured_at >= ? AND m.measured_at < ? ORDER BY m.measured_at DESC LIMIT ?`,
    );
    this.lastStmt = db.query(`${WITH_DEVICE} WHERE m.member_id = ? AND m.status = 'assigned' AND m.measured_at < ? ORDER BY m.measured_at DESC LIMIT ?`);
    this.oneStmt = db.query(`${WITH_DEVICE} WHERE m.id = ?`);
    this.gymStmt = db.query("SELECT name, logo_type, coalesce(length(logo), 0) AS n, updated_at FROM gym_profile WHERE id = 1");
    this.logoStmt = db.query("SELECT logo, logo_type, updated_at FROM gym_profile WHERE id = 1");
  }

  /** Measurements made (not received) in [from, to), newest first, with device and member names; discarded ones left out. */
  measured(from: number, to: number, limit: number, offset: number): { items: NamedMeasurementRow[]; total: number } {
    return { items: this.measuredStmt.all(from, to, limit, offset), total: this.measuredCountStmt.get(from, to)!.n };
  }

  /** Assigned measurements in [from, to), oldest first, of one member or all; at most `max` rows (null: all). */
  forExport(from: number, to: number, memberId: number | null, max: number | null = null): NamedMeasurementRow[] {
    return this.exportStmt.all(from, to, memberId, max);
  }

  firstAndLatest(memberId: number): { first: NamedMeasurementRow | null; latest: NamedMeasurementRow | null } {
    return { first: this.firstStmt.get(memberId), latest: this.latestStmt.get(memberId) };
  }

  /** A member's assigned measurements measured in [from, to), newest first, at most `limit`: the history view's columns. */
  history(memberId: number, from: number, to: number, limit: number): HistoryRow[] {
    return this.historyStmt.all(memberId, from, to, limit);
  }

  /** A member's last `limit` assigned measurements measured before `before`, newest first (whole rows). */
  lastBefore(memberId: number, before: number, limit: number): DeviceMeasurementRow[] {
    return this.lastStmt.all(memberId, before, limit);
  }

  /** One measurement with its device's name and model, or null. */
  measurement(id: number): DeviceMeasurementRow | null {
    return this.oneStmt.get(id);
  }

  gym(): GymProfile {
    const r = this.gymStmt.get();
    return { name: r?.name ?? null, logoType: r?.logo_type ?? null, logoBytes: r?.n ?? 0, updatedAt: r?.updated_at ?? 0 };
  }

  logo(): { bytes: Uint8Array; type: string; updatedAt: number } | null {
    const r = this.logoStmt.get();
    return r?.logo && r.logo_type ? { bytes: r.logo, type: r.logo_type, updatedAt: r.updated_at } : null;
  }

  /** Call inside a write job. */
  setName(name: string | null, now: number): void {
    this.db.query("UPDATE gym_profile SET name = ?, updated_at = ? WHERE id = 1").run(name, now);
  }

  /** Call inside a write job. `bytes` null removes the logo. */
  setLogo(bytes: Uint8Array | null, type: string | null, now: number): void {
    this.db.query("UPDATE gym_profile SET logo = ?, logo_type = ?, updated_at = ? WHERE id = 1").run(bytes, type, now);
  }
}
