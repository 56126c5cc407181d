/** Device diagnostics (migration 003): conflicting duplicates, register calls from another MAC or address, … */
import type { Database, Statement } from "bun:sqlite";

export interface DiagnosticRow {
  id: number;
  at: number;
  kind: string;
  device_id: number | null;
  capture_id: number | null;
  detail_json: string | null;
  device_name: string | null;
  device_key: string | null;
  vendor: string | null;
}

export class DiagnosticsRepo {
  private readonly listStmt: Statement<DiagnosticRow, [number | null, number]>;

  constructor(db: Database) {
    this.listStmt = db.query(`
      SELECT g.*, d.name AS device_name, d.device_key, d.vendor FROM diagnostics g LEFT JOIN devices d ON d.id = g.device_id
      WHERE ?1 IS NULL OR g.device_id = ?1 ORDER BY g.id DESC LIMIT ?2`);
  }
  /** Newest first; of one device when `deviceId` is given. */
  list(deviceId: number | null, limit: number): DiagnosticRow[] {
    return this.listStmt.all(deviceId, limit);
  }
}
