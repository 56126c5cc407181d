/**
 * Devices asking to join (migration 007): unknown devices that called while the
 * pairing window was closed. The list is capped, oldest dropped first, so made-up
 * SNs cannot fill the disk, the devices table or the staff page.
 */
import type { Database, Statement } from "bun:sqlite";
import type { Vendor } from "./devices-repo.ts";

export const JOIN_REQUESTS_CAP = 50;

export interface JoinRequestRow {
  id: number;
  vendor: Vendor;
  device_key: string;
  family: string | null;
  first_seen: number;
  last_seen: number;
  last_ip: string | null;
  attempts: number;
  last_path: string | null;
}

export class JoinRequestsRepo {
  private readonly upsertStmt: Statement<unknown>;
  private readonly trimStmt: Statement<unknown, [number]>;
  private readonly listStmt: Statement<JoinRequestRow, []>;
  private readonly byIdStmt: Statement<JoinRequestRow, [number]>;
  private readonly byKeyStmt: Statement<JoinRequestRow, [string, string]>;
  private readonly deleteStmt: Statement<unknown, [number]>;
  private readonly deleteKeyStmt: Statement<unknown, [string, string]>;

  constructor(db: Database) {
    this.upsertStmt = db.query(`
      INSERT INTO device_join_requests (vendor, device_key, family, first_seen, last_seen, last_ip, last_path)
      VALUES ($vendor, $key, $family, $now, $now, $ip, $path)
      ON CONFLICT (vendor, device_key) DO UPDATE SET last_seen = $now, last_ip = COALESCE($ip, last_ip),
        attempts = attempts + 1, family = COALESCE($family, family), last_path = COALESCE($path, last_path)`);
    this.trimStmt = db.query(`
      DELETE FROM device_join_requests WHERE id NOT IN (SELECT id FROM device_join_requests ORDER BY last_seen DESC, id DESC LIMIT ?)`);
    this.listStmt = db.query("SELECT * FROM device_join_requests ORDER BY last_seen DESC, id DESC");
    this.byIdStmt = db.query("SELECT * FROM device_join_requests WHERE id = ?");
    this.byKeyStmt = db.query("SELECT * FROM device_join_requests WHERE vendor = ? AND device_key = ?");
    this.deleteStmt = db.query("DELETE FROM device_join_requests WHERE id = ?");
    this.deleteKeyStmt = db.query("DELETE FROM device_join_requests WHERE vendor = ? AND device_key = ?");
  }

  /** Records an attempt and trims the list to the cap. Call inside a write job. */
  asked(r: { vendor: Vendor; deviceKey: string; family?: string | null; ip: string | null; path?: string | null }, now: number, cap = JOIN_REQUESTS_CAP): void {
    this.upsertStmt.run({ vendor: r.vendor, key: r.deviceKey, family: r.family ?? null, now, ip: r.ip, path: r.path ?? null } as never);
    this.trimStmt.run(cap);
  }
  list(): JoinRequestRow[] {
    return this.listStmt.all();
  }
  byId(id: number): JoinRequestRow | null {
    return this.byIdStmt.get(id);
  }
  byKey(vendor: Vendor, key: string): JoinRequestRow | null {
    return this.byKeyStmt.get(vendor, key);
  }
  remove(id: number): void {
    this.deleteStmt.run(id);
  }
  removeKey(vendor: Vendor, key: string): void {
    this.deleteKeyStmt.run(vendor, key);
  }
}
