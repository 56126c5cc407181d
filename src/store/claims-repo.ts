/**
 * The claim queue (device-protocols §1.9) and Lefu identities (§2.4): what staff
 * do with measurements nobody could attribute. Every change returns the row
 * before and after, for the audit log.
 */
import type { Database, Statement } from "bun:sqlite";
import type { MeasurementsRepo, LefuIdentityRow, MeasurementRow } from "./measurements-repo.ts";
import type { OutboxRepo } from "./outbox-repo.ts";

export interface ClaimListItem extends MeasurementRow {
  device_name: string | null;
  device_sn: string | null;
  device_mac: string | null;
  device_model: string | null;
}

export interface IdentityListItem extends LefuIdentityRow {
  pending: number;
  member_name: string | null;
}

export type ListStatus = "unassigned" | "discarded";

export class ClaimError extends Error {
  constructor(
    readonly code: "not_found" | "not_pending" | "not_discarded" | "no_member" | "member_inactive",
    message: string,
  ) {
    super(message);
    this.name = "ClaimError";
  }
}

export class ClaimsRepo {
  private readonly listStmt: Record<ListStatus, Statement<ClaimListItem, [number, number]>>;
  private readonly countStmt: Record<ListStatus, Statement<{ n: number }, []>>;
  private readonly byIdStmt: Statement<MeasurementRow, [number]>;
  private readonly assignStmt: Statement<MeasurementRow>;
  private readonly discardStmt: Statement<MeasurementRow>;
  private readonly pendingOfGroupStmt: Statement<MeasurementRow, [string]>;
  private readonly identitiesStmt: Statement<IdentityListItem, [number, number, number]>;
  private readonly identityStmt: Statement<LefuIdentityRow, [string]>;
  private readonly linkStmt: Statement<LefuIdentityRow>;
  private readonly memberStmt: Statement<{ id: number; status: string }, [number]>;

  constructor(
    private readonly db: Database,
    private readonly measurements: MeasurementsRepo,
    private readonly outbox: OutboxRepo,
  ) {
    // The status is written into each statement, so that the partial index for it (migration 009) is used.
    const list = (status: ListStatus) =>
      db.query<ClaimListItem, [number, number]>(`
        SELECT m.*, d.name AS device_name, d.sn AS device_sn, d.mac AS device_mac, d.model AS device_model
        FROM measurements m LEFT JOIN devices d ON d.id = m.device_id
        WHERE m.status = '${status}' ORDER BY m.measured_at DESC, m.id DESC LIMIT ? OFFSET ?`);
    const count = (status: ListStatus) => db.query<{ n: number }, []>(`SELECT COUNT(*) AS n FROM measurements WHERE status = '${status}'`);
    this.listStmt = { unassigned: list("unassigned"), discarded: list("discarded") };
    this.countStmt = { unassigned: count("unassigned"), discarded: count("discarded") };
    this.byIdStmt = db.query("SELECT * FROM measurements WHERE id = ?");
    this.assignStmt = db.query(`
      UPDATE measurements SET member_id = $memberId, status = 'assigned', claim_reason = NULL, assigned_by = $by, assigned_at = $now,
        indicators_json = $indicators, indicators_note = $note, indicators_profile_member_id = $profileMemberId
      WHERE id = $id RETURNING *`);
    this.discardStmt = db.query(
      "UPDATE measurements SET status = 'discarded', assigned_by = $by, assigned_at = $now WHERE id = $id RETURNING *",
    );
    this.pendingOfGroupStmt = db.query("SELECT * FROM measurements WHERE group_key = ? AND status = 'unassigned' ORDER BY measured_at");
    this.identitiesStmt = db.query(`
      SELECT i.*, mb.name AS member_name,
        (SELECT COUNT(*) FROM measurements m WHERE m.group_key = 'lefu:' || i.memberid AND m.status = 'unassigned') AS pending
      FROM lefu_identities i LEFT JOIN members mb ON mb.id = i.member_id
      WHERE ?1 = 0 OR i.member_id IS NULL
      ORDER BY i.last_seen DESC LIMIT ?2 OFFSET ?3`);
    this.identityStmt = db.query("SELECT * FROM lefu_identities WHERE memberid = ?");
    // The link belongs to the scale the identity was last seen on (device-protocols §0.3): the same memberid
    // from another scale becomes a claim with this member suggested.
    this.linkStmt = db.query(`
      UPDATE lefu_identities SET member_id = $memberId,
        device_key = CASE WHEN $memberId IS NULL THEN NULL ELSE (SELECT d.device_key FROM devices d WHERE d.id = lefu_identities.device_id) END
      WHERE memberid = $memberid RETURNING *`);
    this.memberStmt = db.query("SELECT id, status FROM members WHERE id = ?");
  }

  /**
   * One page of the claim queue (or of the discarded rows). Pending rows get their suggestions now, not at
   * ingest (issue 18): the member the device pointed at (a Yolanda slot holder) first, then the stored
   * candidates, then up to 3 active members whose last weight is within 3 kg, nearest first — except for
   * an ambiguous Yolanda group, whose candidates are exactly the relay's records.
   */
  list(status: ListStatus, limit: number, offset: number, filter: { deviceId?: number; source?: string } = {}): { items: ClaimListItem[]; total: number } {
    const { items, total } = filter.deviceId === undefined && filter.source === undefined ? { items: this.listStmt[status].all(limit, offset), total: this.countStmt[status].get()!.n } : this.filtered(status, limit, offset, filter);
    if (status === "unassigned") for (const item of items) this.addSuggestions(item);
    return { items, total };
  }

  /** How many weighings wait in the claim queue. */
  pendingCount(): number {
    return this.countStmt.unassigned.get()!.n;
  }

  /** Claims of one status, newest first, of one device and/or one source (the claim page's filters). */
  private filtered(status: ListStatus, limit: number, offset: number, filter: { deviceId?: number; source?: string }): { items: ClaimListItem[]; total: number } {
    const where = [`m.status = '${status}'`];
    const p: Record<string, string | number> = {};
    if (filter.deviceId !== undefined) (where.push("m.device_id = $deviceId"), (p.$deviceId = filter.deviceId));
    if (filter.source !== undefined) (where.push("m.source = $source"), (p.$source = filter.source));
    const w = where.join(" AND ");
    const items = this.db
      .query(
        `SELECT m.*, d.name AS device_name, d.sn AS device_sn, d.mac AS device_mac, d.model AS device_model FROM measurements m LEFT JOIN devices d ON d.id = m.device_id
         WHERE ${w} ORDER BY m.measured_at DESC, m.id DESC LIMIT $limit OFFSET $offset`,
      )
      .all({ ...p, $limit: limit, $offset: offset } as never) as ClaimListItem[];
    const total = (this.db.query(`SELECT COUNT(*) AS n FROM measurements m WHERE ${w}`).get(p as never) as { n: number }).n;
    return { items, total };
  }

  private addSuggestions(item: ClaimListItem): void {
    const out: number[] = [];
    const add = (id: number | null | undefined) => {
      if (id != null && !out.includes(id)) out.push(id);
    };
    add(item.suggested_member_id);
    if (item.candidates_json) for (const id of JSON.parse(item.candidates_json) as number[]) add(id);
    if (item.claim_reason !== "ambiguous") for (const id of this.measurements.suggest(item.weight_kg)) add(id);
    item.candidates_json = out.length ? JSON.stringify(out) : null;
    item.suggested_member_id = item.suggested_member_id ?? (item.claim_reason === "ambiguous" ? null : (out[0] ?? null));
  }

  /** The devices and sources claims of a status come from, for the claim page's filters. */
  facets(status: "unassigned" | "discarded"): { devices: Array<{ id: number; name: string | null; sn: string | null; mac: string | null; model: string | null; n: number }>; sources: Array<{ source: string; n: number }> } {
    return {
      devices: this.db
        .query(
          `SELECT d.id, d.name, d.sn, d.mac, d.model, COUNT(*) AS n FROM measurements m JOIN devices d ON d.id = m.device_id
           WHERE m.status = ? GROUP BY d.id ORDER BY coalesce(d.name, d.sn, d.mac) COLLATE NOCASE`,
        )
        .all(status) as Array<{ id: number; name: string | null; sn: string | null; mac: string | null; model: string | null; n: number }>,
      sources: this.db.query("SELECT source, COUNT(*) AS n FROM measurements WHERE status = ? GROUP BY source ORDER BY source").all(status) as Array<{ source: string; n: number }>,
    };
  }

  /** A discarded measurement back in the queue (staff undo a discard). Call inside a write job. */
  restore(id: number): { before: MeasurementRow; after: MeasurementRow } {
    const before = this.byIdStmt.get(id);
    if (!before) throw new ClaimError("not_found", `measurement ${id} does not exist`);
    if (before.status !== "discarded") throw new ClaimError("not_discarded", `measurement ${id} is ${before.status}, not discarded`);
    const after = this.db.query("UPDATE measurements SET status = 'unassigned', assigned_by = NULL, assigned_at = NULL WHERE id = ? RETURNING *").get(id) as MeasurementRow;
    return { before, after };
  }

  byId(id: number): MeasurementRow | null {
    return this.byIdStmt.get(id);
  }

  private requireMember(memberId: number): void {
    const m = this.memberStmt.get(memberId);
    if (!m) throw new ClaimError("no_member", `member ${memberId} does not exist`);
  }

  /**
   * Assigns one pending measurement. `report` recomputes the report with the
   * new member's profile (where raw impedance is known). Call inside a write job.
   */
  assign(
    id: number,
    memberId: number,
    by: string,
    now: number,
    report: (row: MeasurementRow, memberId: number) => { indicators: unknown | null; note: string | null; profileMemberId?: number | null },
  ): { before: MeasurementRow; after: MeasurementRow } {
    const before = this.byIdStmt.get(id);
    if (!before) throw new ClaimError("not_found", `measurement ${id} does not exist`);
    if (before.status !== "unassigned") throw new ClaimError("not_pending", `measurement ${id} is ${before.status}, not waiting to be claimed`);
    this.requireMember(memberId);
    const r = report(before, memberId);
    const after = this.assignStmt.get({
      id,
      memberId,
      by,
      now,
      indicators: r.indicators == null ? null : JSON.stringify(r.indicators),
      note: r.note,
      // A relay's report may have been computed for another profile (the slot's member): keep saying so.
      profileMemberId: r.indicators == null ? null : (r.profileMemberId ?? memberId),
    } as never)!;
    // measurement.assigned (and report.computed for its report) in the same transaction (issue 17).
    const outbox = this.outbox;
    outbox.measurement("measurement.assigned", after, now);
    if (after.indicators_json !== null) outbox.measurement("report.computed", after, now);
    return { before, after };
  }

  /** Discards (tombstones) a pending measurement; it is kept so a replay cannot bring it back. */
  discard(id: number, by: string, now: number): { before: MeasurementRow; after: MeasurementRow } {
    const before = this.byIdStmt.get(id);
    if (!before) throw new ClaimError("not_found", `measurement ${id} does not exist`);
    if (before.status !== "unassigned") throw new ClaimError("not_pending", `measurement ${id} is ${before.status}, not waiting to be claimed`);
    return { before, after: this.discardStmt.get({ id, by, now } as never)! };
  }

  identities(unlinkedOnly: boolean, limit: number, offset: number): IdentityListItem[] {
    return this.identitiesStmt.all(unlinkedOnly ? 1 : 0, limit, offset);
  }

  identity(memberid: string): LefuIdentityRow | null {
    return this.identityStmt.get(memberid);
  }

  /** Links (or unlinks, with null) a Lefu identity; future uploads of it are attributed at once. */
  link(memberid: string, memberId: number | null): { before: LefuIdentityRow; after: LefuIdentityRow } {
    const before = this.identityStmt.get(memberid);
    if (!before) throw new ClaimError("not_found", `Lefu identity ${memberid} has never been seen`);
    if (memberId !== null) this.requireMember(memberId);
    return { before, after: this.linkStmt.get({ memberid, memberId } as never)! };
  }

  /** The identity's measurements still waiting to be claimed. */
  pendingOfIdentity(memberid: string): MeasurementRow[] {
    return this.pendingOfGroupStmt.all(`lefu:${memberid}`);
  }
}
