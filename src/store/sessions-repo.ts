/** Staff sessions ended on the server (migration 007): sign-out revokes the token's id until it would expire. */
import type { Database, Statement } from "bun:sqlite";

export class SessionsRepo {
  private readonly revokeStmt: Statement<unknown>;
  private readonly isRevokedStmt: Statement<{ n: number }, [string]>;
  private readonly pruneStmt: Statement<unknown, [number]>;

  constructor(db: Database) {
    this.revokeStmt = db.query("INSERT OR IGNORE INTO staff_revoked_sessions (jti, staff_id, expires_at) VALUES ($jti, $staffId, $expiresAt)");
    this.isRevokedStmt = db.query("SELECT COUNT(*) AS n FROM staff_revoked_sessions WHERE jti = ?");
    this.pruneStmt = db.query("DELETE FROM staff_revoked_sessions WHERE expires_at < ?");
  }
  /** Call inside a write job. Also drops revocations of tokens that have expired by now. */
  revoke(jti: string, staffId: number, expiresAt: number, now: number): void {
    this.pruneStmt.run(now);
    this.revokeStmt.run({ jti, staffId, expiresAt } as never);
  }
  isRevoked(jti: string): boolean {
    return this.isRevokedStmt.get(jti)!.n > 0;
  }
}
