/** The `captures` table: every device request, redacted, written before its answer (device-protocols §1.6). */
import type { Database, Statement } from "bun:sqlite";

export const CAPTURE_BODY_MAX = 256 * 1024;
export const CAPTURE_RESPONSE_MAX = 4 * 1024;

export interface CaptureInput {
  receivedAt: number;
  remoteIp: string | null;
  method: string;
  rawPath: string;
  router: string;
  routeKey: string | null;
  pathPrefix: string | null;
  headers: Record<string, string>;
  bodyText: string | null;
  bodyBytes: number;
  parseStatus: string | null;
  authResult: string | null;
  responseStatus: number;
  responseBody: string;
  deviceId: number | null;
  unknownPath?: boolean;
  quarantine?: boolean;
  authFailure?: boolean;
  duplicate?: boolean;
}

export interface CaptureRow {
  id: number;
  received_at: number;
  remote_ip: string | null;
  method: string;
  raw_path: string;
  router: string;
  route_key: string | null;
  path_prefix: string | null;
  headers_json: string;
  body_text: string | null;
  body_bytes: number;
  body_truncated: number;
  parse_status: string | null;
  auth_result: string | null;
  response_status: number | null;
  response_body: string | null;
  device_id: number | null;
  unknown_path: number;
  quarantine: number;
  auth_failure: number;
  duplicate: number;
  dismissed: number;
}

export class CapturesRepo {
  private readonly insertStmt: Statement<{ id: number }>;
  private readonly byIdStmt: Statement<CaptureRow, [number]>;
  private readonly existsStmt: Statement<{ one: number }, [number]>;
  private readonly flaggedStmt: Statement<CaptureRow, [number]>;
  private readonly dismissStmt: Statement<unknown, [number]>;
  private readonly pruneStmt: Statement<unknown, [number, number]>;
  private readonly finishStmt: Statement<unknown>;

  constructor(db: Database) {
    this.insertStmt = db.query(`
      INSERT INTO captures (received_at, remote_ip, method, raw_path, router, route_key, path_prefix, headers_json, body_text,
        body_bytes, body_truncated, parse_status, auth_result, response_status, response_body, device_id,
        unknown_path, quarantine, auth_failure, duplicate)
      VALUES ($receivedAt, $remoteIp, $method, $rawPath, $router, $routeKey, $pathPrefix, $headers, $body, $bodyBytes, $truncated,
        $parseStatus, $authResult, $responseStatus, $responseBody, $deviceId, $unknownPath, $quarantine, $authFailure, $duplicate)
      RETURNING id`);
    this.byIdStmt = db.query("SELECT * FROM captures WHERE id = ?");
    this.existsStmt = db.query("SELECT 1 AS one FROM captures WHERE id = ?");
    this.flaggedStmt = db.query(
      "SELECT * FROM captures WHERE (unknown_path = 1 OR quarantine = 1) AND dismissed = 0 ORDER BY id DESC LIMIT ?",
    );
    this.dismissStmt = db.query("UPDATE captures SET dismissed = 1 WHERE id = ?");
    // Oldest first along captures_received, at most ?2 rows: a batch (retention.ts keeps each one short).
    this.pruneStmt = db.query(`
      DELETE FROM captures WHERE id IN (
        SELECT id FROM captures WHERE received_at < ?1 AND unknown_path = 0 AND quarantine = 0 ORDER BY received_at LIMIT ?2)`);
    this.finishStmt = db.query(
      "UPDATE captures SET duplicate = max(duplicate, $duplicate), quarantine = max(quarantine, $quarantine) WHERE id = $id",
    );
  }

  /** Call inside a write job. Text is assumed redacted already. */
  insert(c: CaptureInput): number {
    const body = c.bodyText;
    const truncated = body !== null && body.length > CAPTURE_BODY_MAX;
    return this.insertStmt.get({
      receivedAt: c.receivedAt,
      remoteIp: c.remoteIp,
      method: c.method,
      rawPath: c.rawPath,
      router: c.router,
      routeKey: c.routeKey,
      pathPrefix: c.pathPrefix,
      headers: JSON.stringify(c.headers),
      body: truncated ? body!.slice(0, CAPTURE_BODY_MAX) : body,
      bodyBytes: c.bodyBytes,
      truncated: truncated ? 1 : 0,
      parseStatus: c.parseStatus,
      authResult: c.authResult,
      responseStatus: c.responseStatus,
      responseBody: c.responseBody.slice(0, CAPTURE_RESPONSE_MAX),
      deviceId: c.deviceId,
      unknownPath: c.unknownPath ? 1 : 0,
      quarantine: c.quarantine ? 1 : 0,
      authFailure: c.authFailure ? 1 : 0,
      duplicate: c.duplicate ? 1 : 0,
    } as never)!.id;
  }

  /** Flags what persisting the request's data found out (a replay, a quarantined item). */
  flag(id: number, duplicate: boolean, quarantine: boolean): void {
    this.finishStmt.run({ id, duplicate: duplicate ? 1 : 0, quarantine: quarantine ? 1 : 0 } as never);
  }

  byId(id: number): CaptureRow | null {
    return this.byIdStmt.get(id);
  }
  /** Whether the row exists (without reading its headers and bodies). */
  exists(id: number): boolean {
    return this.existsStmt.get(id) !== null;
  }
  /** Unknown-path and quarantine captures that staff have not dismissed. */
  flagged(limit = 100): CaptureRow[] {
    return this.flaggedStmt.all(limit);
  }
  dismiss(id: number): void {
    this.dismissStmt.run(id);
  }
  /**
   * Deletes ordinary captures older than `before` (flagged ones stay until dismissed), at most `limit` of
   * them, oldest first; returns how many. Call inside a write job; store/retention.ts calls it in batches.
   */
  prune(before: number, limit = Number.MAX_SAFE_INTEGER): number {
    return this.pruneStmt.run(before, limit).changes;
  }
}
