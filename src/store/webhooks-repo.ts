/**
 * Webhook endpoints and their deliveries (issue 17). Changes are made inside write jobs;
 * the sender (integrations/sender.ts) reads the head of each endpoint's queue from here.
 */
import type { Database, Statement } from "bun:sqlite";
import type { OutboxRepo } from "./outbox-repo.ts";

export type EndpointState = "active" | "paused" | "disabled";

export interface EndpointRow {
  id: number;
  url: string;
  events_json: string;
  description: string | null;
  secret: string;
  previous_secret: string | null;
  previous_until: number | null;
  state: EndpointState;
  state_reason: string | null;
  timeout_ms: number;
  created_at: number;
  updated_at: number;
  last_success_at: number | null;
  last_error_at: number | null;
  last_error_status: number | null;
  last_error: string | null;
}

/** The oldest pending delivery of an endpoint, with its event. */
export interface QueueHead {
  endpoint_id: number;
  outbox_id: number;
  attempts: number;
  next_attempt_at: number;
  generation: number;
  event_id: string;
  type: string;
  created_at: number;
  payload_json: string;
}

export interface EndpointStats {
  pending: number;
  failed: number;
  delivered: number;
  oldest_pending_at: number | null;
}

export interface DeliveryItem {
  outbox_id: number;
  event_id: string;
  type: string;
  created_at: number;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

export interface NewEndpoint {
  url: string;
  events: string[];
  secret: string;
  timeoutMs: number;
  description: string | null;
}

export class WebhooksRepo {
  private readonly insertStmt: Statement<EndpointRow>;
  private readonly byIdStmt: Statement<EndpointRow, [number]>;
  private readonly listStmt: Statement<EndpointRow, []>;
  private readonly headStmt: Statement<QueueHead, [number, number]>;
  private readonly statsStmt: Statement<EndpointStats, [number]>;
  private readonly deliveredStmt: Statement<unknown>;
  private readonly retryStmt: Statement<unknown>;
  private readonly failStmt: Statement<unknown>;
  private readonly okEndpointStmt: Statement<unknown>;
  private readonly errEndpointStmt: Statement<unknown>;
  private readonly stateStmt: Statement<EndpointRow>;
  private readonly replayStmt: Statement<unknown>;
  private readonly replayRangeStmt: Statement<unknown>;
  private readonly recentStmt: Statement<DeliveryItem, [number, number]>;
  private readonly pendingTotalStmt: Statement<{ endpoint_id: number; n: number }, []>;

  constructor(
    private readonly db: Database,
    private readonly outbox: OutboxRepo,
  ) {
    this.insertStmt = db.query(`
      INSERT INTO webhook_endpoints (url, events_json, description, secret, timeout_ms, created_at, updated_at)
      VALUES ($url, $events, $description, $secret, $timeoutMs, $now, $now) RETURNING *`);
    this.byIdStmt = db.query("SELECT * FROM webhook_endpoints WHERE id = ?");
    this.listStmt = db.query("SELECT * FROM webhook_endpoints ORDER BY id");
    this.headStmt = db.query(`
      SELECT d.endpoint_id, d.outbox_id, d.attempts, d.next_attempt_at, d.generation, o.event_id, o.type, o.created_at, o.payload_json
      FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
      WHERE d.endpoint_id = ? AND d.state = 'pending' ORDER BY d.outbox_id LIMIT ?`);
    this.statsStmt = db.query(`
      SELECT
        (SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?1 AND state = 'pending') AS pending,
        (SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?1 AND state = 'failed') AS failed,
        (SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?1 AND state = 'delivered') AS delivered,
        (SELECT o.created_at FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
          WHERE d.endpoint_id = ?1 AND d.state = 'pending' ORDER BY d.outbox_id LIMIT 1) AS oldest_pending_at`);
    this.deliveredStmt = db.query(`
      UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_attempt_at = $now, last_status = $status,
        last_error = NULL, delivered_at = $now WHERE endpoint_id = $endpointId AND outbox_id = $outboxId AND generation = $generation`);
    this.retryStmt = db.query(`
      UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $now, last_status = $status, last_error = $error,
        next_attempt_at = $next WHERE endpoint_id = $endpointId AND outbox_id = $outboxId AND generation = $generation`);
    this.failStmt = db.query(`
      UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + 1, last_attempt_at = $now, last_status = $status,
        last_error = $error WHERE endpoint_id = $endpointId AND outbox_id = $outboxId AND generation = $generation`);
    this.okEndpointStmt = db.query("UPDATE webhook_endpoints SET last_success_at = $now WHERE id = $id");
    this.errEndpointStmt = db.query(
      "UPDATE webhook_endpoints SET last_error_at = $now, last_error_status = $status, last_error = $error WHERE id = $id",
    );
    this.stateStmt = db.query("UPDATE webhook_endpoints SET state = $state, state_reason = $reason, updated_at = $now WHERE id = $id RETURNING *");
    this.replayStmt = db.query(`
      INSERT INTO webhook_deliveries (endpoint_id, outbox_id, state, next_attempt_at) VALUES ($endpointId, $outboxId, 'pending', $now)
      ON CONFLICT (endpoint_id, outbox_id) DO UPDATE SET state = 'pending', attempts = 0, next_attempt_at = $now, delivered_at = NULL,
        generation = generation + 1`);
    this.replayRangeStmt = db.query(`
      INSERT INTO webhook_deliveries (endpoint_id, outbox_id, state, next_attempt_at)
      SELECT e.id, o.id, 'pending', $now FROM outbox o JOIN webhook_endpoints e ON e.id = $endpointId
      WHERE o.created_at >= $from AND o.created_at < $to
        AND EXISTS (SELECT 1 FROM json_each(e.events_json) j WHERE j.value = o.type OR j.value = '*')
      ON CONFLICT (endpoint_id, outbox_id) DO UPDATE SET state = 'pending', attempts = 0, next_attempt_at = $now, delivered_at = NULL,
        generation = generation + 1`);
    this.recentStmt = db.query(`
      SELECT d.outbox_id, o.event_id, o.type, o.created_at, d.state, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status,
        d.last_error, d.delivered_at
      FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE d.endpoint_id = ? ORDER BY d.outbox_id DESC LIMIT ?`);
    this.pendingTotalStmt = db.query("SELECT endpoint_id, COUNT(*) AS n FROM webhook_deliveries WHERE state = 'pending' GROUP BY endpoint_id");
  }

  create(e: NewEndpoint, now: number): EndpointRow {
    return this.insertStmt.get({ url: e.url, events: JSON.stringify(e.events), description: e.description, secret: e.secret, timeoutMs: e.timeoutMs, now } as never)!;
  }
  get(id: number): EndpointRow | null {
    return this.byIdStmt.get(id);
  }
  list(): EndpointRow[] {
    return this.listStmt.all();
  }
  update(id: number, patch: { url?: string; events?: string[]; timeoutMs?: number; description?: string | null }, now: number): EndpointRow | null {
    const sets: string[] = ["updated_at = $now"];
    const p: Record<string, unknown> = { $id: id, $now: now };
    if (patch.url !== undefined) (sets.push("url = $url"), (p.$url = patch.url));
    if (patch.events !== undefined) (sets.push("events_json = $events"), (p.$events = JSON.stringify(patch.events)));
    if (patch.timeoutMs !== undefined) (sets.push("timeout_ms = $timeout"), (p.$timeout = patch.timeoutMs));
    if (patch.description !== undefined) (sets.push("description = $description"), (p.$description = patch.description));
    return this.db.query(`UPDATE webhook_endpoints SET ${sets.join(", ")} WHERE id = $id RETURNING *`).get(p as never) as EndpointRow | null;
  }
  delete(id: number): boolean {
    return this.db.query("DELETE FROM webhook_endpoints WHERE id = ?").run(id).changes > 0;
  }
  setState(id: number, state: EndpointState, reason: string | null, now: number): EndpointRow | null {
    const r = this.stateStmt.get({ id, state, reason, now } as never);
    this.outbox.notify();
    return r;
  }
  /** New secret; the old one keeps signing until `previousUntil` (epoch ms). */
  rotate(id: number, secret: string, previousUntil: number, now: number): EndpointRow | null {
    return this.db
      .query(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $until, secret = $secret, updated_at = $now WHERE id = $id RETURNING *",
      )
      .get({ $id: id, $secret: secret, $until: previousUntil, $now: now } as never) as EndpointRow | null;
  }

  /** The oldest pending deliveries of an endpoint, in order (the head of its queue). */
  head(endpointId: number, limit = 1): QueueHead[] {
    return this.headStmt.all(endpointId, limit);
  }
  stats(endpointId: number): EndpointStats {
    return this.statsStmt.get(endpointId)!;
  }
  recent(endpointId: number, limit: number): DeliveryItem[] {
    return this.recentStmt.all(endpointId, limit);
  }
  /** Pending deliveries per endpoint (the outbox depth, for /metrics). */
  pendingByEndpoint(): Map<number, number> {
    return new Map(this.pendingTotalStmt.all().map((r) => [r.endpoint_id, r.n]));
  }

  /** The attempt of `head` (its generation) succeeded. */
  delivered(head: Pick<QueueHead, "endpoint_id" | "outbox_id" | "generation">, status: number, now: number): void {
    const endpointId = head.endpoint_id;
    this.deliveredStmt.run({ endpointId, outboxId: head.outbox_id, generation: head.generation, status, now } as never);
    this.okEndpointStmt.run({ id: endpointId, now } as never);
  }
  /** A failed attempt: try again at `next`, or (next === null) give up: the delivery is failed and stays replayable. */
  attemptFailed(head: Pick<QueueHead, "endpoint_id" | "outbox_id" | "generation">, status: number | null, error: string, next: number | null, now: number): void {
    const endpointId = head.endpoint_id;
    const p = { endpointId, outboxId: head.outbox_id, generation: head.generation, status, error, now };
    if (next === null) this.failStmt.run(p as never);
    else this.retryStmt.run({ ...p, next } as never);
    this.errEndpointStmt.run({ id: endpointId, now, status, error } as never);
  }

  /** Queues one event again for an endpoint (whatever its state was). False when no such event. */
  replayOne(endpointId: number, eventId: string, now: number): boolean {
    const o = this.db.query("SELECT id FROM outbox WHERE event_id = ?").get(eventId) as { id: number } | null;
    if (!o) return false;
    this.replayStmt.run({ endpointId, outboxId: o.id, now } as never);
    this.outbox.notify();
    return true;
  }
  /** Queues again every event in [from, to) of the types the endpoint takes; returns how many. */
  replayRange(endpointId: number, from: number, to: number, now: number): number {
    const n = this.replayRangeStmt.run({ endpointId, from, to, now } as never).changes;
    this.outbox.notify();
    return n;
  }
}

