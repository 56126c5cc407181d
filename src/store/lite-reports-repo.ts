/**
 * The WSP-Lite report queue (device-protocols §3.7.2; devices/yolanda/lite-reports.ts asks the relay):
 * assigned `yolanda-lite` weighings without a report, the member's previous 8-electrode hmac, and the
 * report once the relay computed it (with its report.computed event, in the same write job).
 */
import type { Database, Statement } from "bun:sqlite";
import type { MeasurementsRepo } from "./measurements-repo.ts";
import type { OutboxRepo } from "./outbox-repo.ts";
import type { Sex } from "../core/members.ts";

/** An assigned WSP-Lite weighing waiting for its report, with what the relay needs of its member. */
export interface LitePending {
  id: number;
  member_id: number;
  weight_kg: number;
  hmac: string;
  eight_electrode: number;
  measured_at: number;
  sex: Sex;
  birthday: string | null;
  height_cm: number | null;
}

export class LiteReportsRepo {
  private readonly pendingStmt: Statement<LitePending, [number]>;
  private readonly previousEightStmt: Statement<{ hmac: string }, [number, number, number]>;
  private readonly storeStmt: Statement<unknown>;
  private readonly noteStmt: Statement<unknown>;

  constructor(
    db: Database,
    private readonly measurements: MeasurementsRepo,
    private readonly outbox: OutboxRepo,
  ) {
    this.pendingStmt = db.query(`
      SELECT m.id, m.member_id, m.weight_kg, m.hmac, m.eight_electrode, m.measured_at, mb.sex, mb.birthday, mb.height_cm
      FROM measurements m JOIN members mb ON mb.id = m.member_id
      WHERE m.source = 'yolanda-lite' AND m.status = 'assigned' AND m.indicators_json IS NULL AND m.hmac IS NOT NULL
      ORDER BY m.measured_at LIMIT ?`);
    this.previousEightStmt = db.query(`
      SELECT hmac FROM measurements WHERE member_id = ?1 AND eight_electrode = 1 AND hmac IS NOT NULL AND status = 'assigned'
        AND measured_at < ?2 AND id != ?3 ORDER BY measured_at DESC LIMIT 1`);
    // Only if the row is still assigned to the member the report was computed for.
    this.storeStmt = db.query(`
      UPDATE measurements SET indicators_json = $indicators, indicators_note = NULL, indicators_profile_member_id = $memberId
      WHERE id = $id AND member_id = $memberId AND status = 'assigned' AND indicators_json IS NULL`);
    this.noteStmt = db.query("UPDATE measurements SET indicators_note = $note WHERE id = $id AND indicators_json IS NULL");
  }

  /** Up to `limit` weighings waiting for a report, oldest first. */
  pending(limit: number): LitePending[] {
    return this.pendingStmt.all(limit);
  }

  /** The hmac of the member's last 8-electrode weighing before `before` (other than `exceptId`), or null. */
  previousEightHmac(memberId: number, before: number, exceptId: number): string | null {
    return this.previousEightStmt.get(memberId, before, exceptId)?.hmac ?? null;
  }

  /**
   * Call inside a write job. Stores the relay's report on weighing `id` if it is still assigned to `memberId`
   * and has none, and then writes report.computed (issue 17). False when the weighing changed meanwhile.
   */
  store(id: number, memberId: number, indicators: unknown, now: number): boolean {
    const changes = this.storeStmt.run({ id, memberId, indicators: JSON.stringify(indicators) } as never).changes;
    if (changes) this.outbox.measurement("report.computed", this.measurements.byId(id)!, now);
    return changes > 0;
  }

  /** Call inside a write job. Why weighing `id` has no report yet (kept until a report is stored). */
  note(id: number, note: string): void {
    this.noteStmt.run({ id, note } as never);
  }
}
