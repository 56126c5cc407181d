/** API keys for the gym's own systems (issue 17): only the SHA-256 of a key is stored. */
import type { Database, Statement } from "bun:sqlite";

export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  hash: string;
  scopes_json: string;
  rate_per_minute: number;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  last_used_ip: string | null;
  uses: number;
  revoked_at: number | null;
}

export class ApiKeyError extends Error {
  constructor(
    readonly code: "conflict" | "not_found",
    message: string,
  ) {
    super(message);
    this.name = "ApiKeyError";
  }
}

export class ApiKeysRepo {
  private readonly insertStmt: Statement<ApiKeyRow>;
  private readonly byHashStmt: Statement<ApiKeyRow, [string]>;
  private readonly byIdStmt: Statement<ApiKeyRow, [number]>;
  private readonly liveByNameStmt: Statement<ApiKeyRow, [string]>;
  private readonly listStmt: Statement<ApiKeyRow, []>;
  private readonly revokeStmt: Statement<ApiKeyRow>;
  private readonly usedStmt: Statement<unknown>;

  constructor(db: Database) {
    this.insertStmt = db.query(`
      INSERT INTO api_keys (name, prefix, hash, scopes_json, rate_per_minute, created_at, created_by)
      VALUES ($name, $prefix, $hash, $scopes, $rate, $now, $by) RETURNING *`);
    this.byHashStmt = db.query("SELECT * FROM api_keys WHERE hash = ?");
    this.byIdStmt = db.query("SELECT * FROM api_keys WHERE id = ?");
    this.liveByNameStmt = db.query("SELECT * FROM api_keys WHERE name = ? COLLATE NOCASE AND revoked_at IS NULL");
    this.listStmt = db.query("SELECT * FROM api_keys ORDER BY revoked_at IS NOT NULL, name COLLATE NOCASE, id");
    this.revokeStmt = db.query("UPDATE api_keys SET revoked_at = $now WHERE id = $id AND revoked_at IS NULL RETURNING *");
    this.usedStmt = db.query("UPDATE api_keys SET last_used_at = $now, last_used_ip = $ip, uses = uses + 1 WHERE id = $id");
  }

  /** Inside a write job. */
  insert(k: { name: string; prefix: string; hash: string; scopes: string[]; ratePerMinute: number; by: string }, now: number): ApiKeyRow {
    if (this.liveByNameStmt.get(k.name)) throw new ApiKeyError("conflict", `a key named ${k.name} exists already; revoke it first or choose another name`);
    return this.insertStmt.get({ name: k.name, prefix: k.prefix, hash: k.hash, scopes: JSON.stringify(k.scopes), rate: k.ratePerMinute, now, by: k.by } as never)!;
  }
  byHash(hash: string): ApiKeyRow | null {
    return this.byHashStmt.get(hash);
  }
  byId(id: number): ApiKeyRow | null {
    return this.byIdStmt.get(id);
  }
  liveByName(name: string): ApiKeyRow | null {
    return this.liveByNameStmt.get(name);
  }
  list(): ApiKeyRow[] {
    return this.listStmt.all();
  }
  /** Inside a write job; returns the row, or null when it was revoked already or does not exist. */
  revoke(id: number, now: number): ApiKeyRow | null {
    return this.revokeStmt.get({ id, now } as never);
  }
  used(id: number, ip: string | null, now: number): void {
    this.usedStmt.run({ id, ip, now } as never);
  }
}
