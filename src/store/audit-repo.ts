/** The audit log: every staff change, who, what, when, before and after. */
import type { Database, Statement } from "bun:sqlite";
import { isIntegrationActor, memberEventOf } from "../integrations/events.ts";
import type { Member } from "./members-repo.ts";
import type { OutboxRepo } from "./outbox-repo.ts";

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

export interface AuditFilter {
  entity?: string;
  entityId?: string;
  actor?: string;
  /** An exact action ("member.update") or a prefix ending in "." ("member."). */
  action?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

export class AuditRepo {
  private readonly insertStmt: Statement<unknown>;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    private readonly outbox: OutboxRepo,
  ) {
    this.insertStmt = db.query(
      "INSERT INTO audit (at, actor, action, entity, entity_id, before_json, after_json) VALUES ($at, $actor, $action, $entity, $entityId, $before, $after)",
    );
  }

  /**
   * Call inside the write job of the change it records. A change to a member made on the box
   * (not through an API key: that came from the gym's own system) also writes its member.*
   * event to the outbox, in the same transaction (issue 17).
   */
  record(actor: string, action: string, entity: string, entityId: string | null, before: unknown, after: unknown): void {
    const at = this.now();
    const event = entity === "member" && entityId !== null ? memberEventOf(action) : null;
    if (event && !isIntegrationActor(actor)) this.outbox.member(event, Number(entityId), actor, event === "member.deleted" ? (before as Member) : null, at);
    this.insertStmt.run({
      at,
      actor,
      action,
      entity,
      entityId,
      before: before === undefined || before === null ? null : JSON.stringify(before),
      after: after === undefined || after === null ? null : JSON.stringify(after),
    } as never);
  }

  /** Everyone who has done something, for the audit log's filter. */
  actors(): string[] {
    return (this.db.query("SELECT DISTINCT actor FROM audit ORDER BY actor COLLATE NOCASE").all() as Array<{ actor: string }>).map((r) => r.actor);
  }

  list(filter: AuditFilter, limit: number, offset: number): { items: AuditRow[]; total: number } {
    const where: string[] = [];
    const p: Record<string, string | number> = {};
    if (filter.entity !== undefined) (where.push("entity = $entity"), (p.$entity = filter.entity));
    if (filter.entityId !== undefined) (where.push("entity_id = $entityId"), (p.$entityId = filter.entityId));
    if (filter.actor !== undefined) (where.push("actor = $actor COLLATE NOCASE"), (p.$actor = filter.actor));
    if (filter.action !== undefined) {
      if (filter.action.endsWith(".")) (where.push("substr(action, 1, length($action)) = $action"), (p.$action = filter.action));
      else (where.push("action = $action"), (p.$action = filter.action));
    }
    if (filter.from !== undefined) (where.push("at >= $from"), (p.$from = filter.from));
    if (filter.to !== undefined) (where.push("at < $to"), (p.$to = filter.to));
    const w = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = (this.db.query(`SELECT COUNT(*) AS n FROM audit ${w}`).get(p as never) as { n: number }).n;
    const items = this.db.query(`SELECT * FROM audit ${w} ORDER BY id DESC LIMIT $limit OFFSET $offset`).all({ ...p, $limit: limit, $offset: offset } as never) as AuditRow[];
    return { items, total };
  }
}

