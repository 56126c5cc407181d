/**
 * The outbox (issue 17): every event is written here in the transaction of the change that caused
 * it, together with one pending delivery per webhook endpoint that wants it. Call `add` (and the
 * helpers built on it) only inside a write job. The sender (integrations/sender.ts) is woken after
 * the job's transaction has committed.
 */
import type { Database, Statement } from "bun:sqlite";
import { measurementData, type EventType } from "../integrations/events.ts";
import type { MeasurementRow } from "./measurements-repo.ts";
import type { MembersRepo, Member } from "./members-repo.ts";

export interface OutboxRow {
  id: number;
  event_id: string;
  type: string;
  created_at: number;
  payload_json: string;
}

export function newEventId(): string {
  return "evt_" + Bun.randomUUIDv7().replace(/-/g, "");
}

export class OutboxRepo {
  private readonly insertStmt: Statement<{ id: number }>;
  private readonly fanOutStmt: Statement<unknown>;
  private readonly onlyStmt: Statement<unknown>;
  private readonly memberNoStmt: Statement<{ member_no: string | null }, [number]>;
  private readonly deviceStmt: Statement<{ id: number; vendor: string; family: string; sn: string | null; mac: string | null; name: string | null; model: string | null; last_ip: string | null }, [number]>;
  private readonly byEventStmt: Statement<OutboxRow, [string]>;
  private readonly pruneStmt: Statement<{ created_at: number }, [number, number, number]>;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  constructor(
    db: Database,
    private readonly members: MembersRepo,
  ) {
    this.insertStmt = db.query("INSERT INTO outbox (event_id, type, created_at, payload_json) VALUES ($eventId, $type, $now, $payload) RETURNING id");
    this.fanOutStmt = db.query(`
      INSERT INTO webhook_deliveries (endpoint_id, outbox_id, state, next_attempt_at)
      SELECT e.id, $outboxId, 'pending', $now FROM webhook_endpoints e
      WHERE e.state != 'disabled' AND EXISTS (SELECT 1 FROM json_each(e.events_json) j WHERE j.value = $type OR j.value = '*')`);
    this.onlyStmt = db.query("INSERT INTO webhook_deliveries (endpoint_id, outbox_id, state, next_attempt_at) VALUES ($endpointId, $outboxId, 'pending', $now)");
    this.memberNoStmt = db.query("SELECT member_no FROM members WHERE id = ?");
    this.deviceStmt = db.query("SELECT id, vendor, family, sn, mac, name, model, last_ip FROM devices WHERE id = ?");
    this.byEventStmt = db.query("SELECT * FROM outbox WHERE event_id = ?");
    // Old events nobody still waits for (deliveries go with them, ON DELETE CASCADE): at most ?2, oldest first
    // along outbox_created from ?3 on (the previous batch's newest), so events still pending are walked once.
    this.pruneStmt = db.query(`
      DELETE FROM outbox WHERE id IN (
        SELECT o.id FROM outbox o WHERE o.created_at < ?1 AND o.created_at >= ?3
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.outbox_id = o.id AND d.state = 'pending')
        ORDER BY o.created_at LIMIT ?2)
      RETURNING created_at`);
  }

  /** Writes one event and its deliveries (to `onlyEndpoint` alone when given: test events). Inside a write job. */
  add(type: EventType | "webhook.test", data: unknown, now: number, onlyEndpoint?: number): { id: number; eventId: string } {
    return this.addJson(type, JSON.stringify(data), now, onlyEndpoint);
  }

  /** `add` with the payload already serialised (one payload for several events of one change). */
  private addJson(type: EventType | "webhook.test", payload: string, now: number, onlyEndpoint?: number): { id: number; eventId: string } {
    const eventId = newEventId();
    const { id } = this.insertStmt.get({ eventId, type, now, payload } as never)!;
    if (onlyEndpoint !== undefined) this.onlyStmt.run({ endpointId: onlyEndpoint, outboxId: id, now } as never);
    else this.fanOutStmt.run({ outboxId: id, now, type } as never);
    this.notify();
    return { id, eventId };
  }

  /** Calls `fn` (soon) after outbox rows were added; returns the unsubscribe function. */
  onAdded(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Wakes the sender. Called inside a write job: the write queue commits synchronously, so a
   * timer callback runs after that commit (or its rollback: then the sender finds nothing new).
   */
  notify(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    }, 0);
  }

  byEventId(eventId: string): OutboxRow | null {
    return this.byEventStmt.get(eventId);
  }

  /** measurement.created / measurement.assigned / report.computed for one stored row. */
  measurement(type: "measurement.created" | "measurement.assigned" | "report.computed", row: MeasurementRow, now: number): void {
    this.addJson(type, this.measurementPayload(row), now);
  }

  private measurementPayload(row: MeasurementRow): string {
    const memberNo = row.member_id === null ? null : (this.memberNoStmt.get(row.member_id)?.member_no ?? null);
    const device = row.device_id === null ? null : this.deviceStmt.get(row.device_id);
    return JSON.stringify(measurementData(row, memberNo, device));
  }

  /**
   * A new row, or one whose report changed: measurement.created (+ report.computed when it has a report).
   * Both carry the same data: it is looked up and serialised once (this runs for every upload).
   */
  measurementStored(row: MeasurementRow, now: number): void {
    const payload = this.measurementPayload(row);
    this.addJson("measurement.created", payload, now);
    if (row.indicators_json !== null) this.addJson("report.computed", payload, now);
  }

  /** member.created / member.updated / member.deleted; `gone` is the member as it was, for a deletion. */
  member(type: "member.created" | "member.updated" | "member.deleted", memberId: number, actor: string, gone: Member | null, now: number): void {
    const member = type === "member.deleted" ? gone : this.members.get(memberId);
    if (!member) return;
    const creds = type === "member.deleted" ? [] : this.members.credentials(memberId);
    this.add(
      type,
      {
        memberNo: member.memberNo,
        member: {
          ...member,
          cards: creds.filter((c) => c.kind === "card").map((c) => c.cardDec),
          codes: creds.filter((c) => c.kind === "code").map((c) => c.code),
          createdAt: new Date(member.createdAt).toISOString(),
          updatedAt: new Date(member.updatedAt).toISOString(),
        },
        changedBy: actor,
      },
      now,
    );
  }

  /** login.delivered: a member's login reached a device. */
  loginDelivered(e: { at: number; sn: string | null; type: string; scene: string | null; memberId: number | null; pushedBy?: string | null }): void {
    const memberNo = e.memberId === null ? null : (this.memberNoStmt.get(e.memberId)?.member_no ?? null);
    this.add(
      "login.delivered",
      { memberId: e.memberId, memberNo, device: { sn: e.sn }, method: e.type, scene: e.scene, pushedBy: e.pushedBy ?? null, at: new Date(e.at).toISOString() },
      e.at,
    );
  }

  /** device.online / device.offline. */
  device(type: "device.online" | "device.offline", deviceId: number, lastSeen: number, now: number): void {
    const d = this.deviceStmt.get(deviceId);
    if (!d) return;
    this.add(type, { device: { id: d.id, vendor: d.vendor, family: d.family, sn: d.sn, mac: d.mac, model: d.model, name: d.name, lastIp: d.last_ip }, lastSeen: new Date(lastSeen).toISOString() }, now);
  }

  /** Deletes events older than `before` that no endpoint still has pending. Inside a write job. */
  prune(before: number): number {
    return this.pruneBatch(before, Number.MAX_SAFE_INTEGER, 0).deleted;
  }

  /**
   * One batch of `prune` (store/retention.ts runs them): at most `limit` of the oldest such events created at
   * `from` or later. `next` is where the following batch starts (the newest created_at deleted).
   */
  pruneBatch(before: number, limit: number, from: number): { deleted: number; next: number } {
    const gone = this.pruneStmt.all(before, limit, from);
    let next = from;
    for (const g of gone) if (g.created_at > next) next = g.created_at;
    return { deleted: gone.length, next };
  }
}

