/** The database check behind GET /healthz (http/health.ts). */
import type { Database, Statement } from "bun:sqlite";

export class HealthRepo {
  private readonly pingStmt: Statement<{ ok: number }, []>;

  constructor(db: Database) {
    this.pingStmt = db.query("SELECT 1 AS ok");
  }

  /** True when the database answers a read; false when it throws (closed, corrupt, unreadable). */
  ping(): boolean {
    try {
      return this.pingStmt.get()?.ok === 1;
    } catch {
      return false;
    }
  }
}
