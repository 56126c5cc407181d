/** The audit log: every staff change, who, what, when, before and after. */
import type { Database, Statement } from "bun:sqlite";

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  before_json: string | null;
  after_json: string | null;
}

export class AuditRepo {
  private readonly insertStmt: Statement<unknown>;
  private readonly listStmt: Statement<AuditRow, [string | null, string | null, number, number]>;
  private readonly countStmt: Statement<{ n: number }, [string | null, string | null]>;

  constructor(
    db: Database,
    private readonly now: () => number,
  ) {
    this.insertStmt = db.query(
      "INSERT INTO audit (at, actor, action, entity, entity_id, before_json, after_json) VALUES ($at, $actor, $action, $entity, $entityId, $before, $after)",
    );
    const where = "WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR entity_id = ?2)";
    this.listStmt = db.query(`SELECT * FROM audit ${where} ORDER BY id DESC LIMIT ?3 OFFSET ?4`);
    this.countStmt = db.query(`SELECT COUNT(*) AS n FROM audit ${where}`);
  }

  /** Call inside the write job of the change it records. */
  record(actor: string, action: string, entity: string, entityId: string | null, before: unknown, after: unknown): void {
    this.insertStmt.run({
      at: this.now(),
      actor,
      action,
      entity,
      entityId,
      before: before === undefined || before === null ? null : JSON.stringify(before),
      after: after === undefined || after === null ? null : JSON.stringify(after),
    } as never);
  }

  list(entity: string | null, entityId: string | null, limit: number, offset: number): { items: AuditRow[]; total: number } {
    return { items: this.listStmt.all(entity, entityId, limit, offset), total: this.countStmt.get(entity, entityId)!.n };
  }
}
