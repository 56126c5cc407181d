/**
 * Measurements, quarantine, claim queue, Lefu identities and diagnostics.
 * Inserts are idempotent on `idem_key` (device-protocols §1.7): a replay stores
 * nothing and is reported as a duplicate so the caller can count it.
 */
import type { Database, Statement } from "bun:sqlite";
import type { OutboxRepo } from "./outbox-repo.ts";
import { seenKey, type SeenThrottle } from "./seen-throttle.ts";

export type MeasurementStatus = "assigned" | "unassigned" | "discarded";

export interface NewMeasurement {
  idemKey: string;
  source: string;
  deviceId: number | null;
  memberId: number | null;
  status: MeasurementStatus;
  claimReason: string | null;
  suggestedMemberId: number | null;
  groupKey: string | null;
  candidates: number[] | null;
  measuredAt: number;
  deviceTsRaw: string | null;
  clockSuspect: boolean;
  receivedAt: number;
  weightKg: number;
  heartRate: number | null;
  impedance: string[] | null;
  scaleType: number | null;
  eightElectrode: boolean;
  backlogTotal: number | null;
  backlogCurrent: number | null;
  rssi: number | null;
  dataType: string | null;
  lefuMemberid: string | null;
  lefuUserid: string | null;
  captureId: number | null;
  rawItem: unknown;
  indicators: unknown | null;
  indicatorsNote: string | null;
  indicatorsProfileMemberId: number | null;
  hmac?: string | null;
  /** Yolanda: 50 kHz and 500 kHz resistances, model id, slot, WSP Mini's ownership flag, WSP-Lite's resistance flag. */
  resistance?: number | null;
  secResistance?: number | null;
  modelId?: string | null;
  userIndex?: number | null;
  definiteFlag?: boolean | null;
  resistanceFlag?: number | null;
}

export interface MeasurementRow {
  id: number;
  idem_key: string;
  source: string;
  device_id: number | null;
  member_id: number | null;
  status: MeasurementStatus;
  claim_reason: string | null;
  suggested_member_id: number | null;
  group_key: string | null;
  candidates_json: string | null;
  measured_at: number;
  device_ts_raw: string | null;
  clock_suspect: number;
  received_at: number;
  weight_kg: number;
  heart_rate: number | null;
  impedance_json: string | null;
  scale_type: number | null;
  indicators_json: string | null;
  indicators_note: string | null;
  indicators_profile_member_id: number | null;
  eight_electrode: number;
  backlog_total: number | null;
  backlog_current: number | null;
  rssi: number | null;
  data_type: string | null;
  lefu_memberid: string | null;
  lefu_userid: string | null;
  capture_id: number | null;
  raw_item_json: string | null;
  hmac: string | null;
  resistance: number | null;
  sec_resistance: number | null;
  model_id: string | null;
  user_index: number | null;
  definite_flag: number | null;
  resistance_flag: number | null;
}

export interface LefuIdentityRow {
  memberid: string;
  userid: string | null;
  member_id: number | null;
  device_id: number | null;
  /** The scale the member link belongs to (migration 007); null while unlinked. */
  device_key: string | null;
  first_seen: number;
  last_seen: number;
}

export class MeasurementsRepo {
  private readonly insertStmt: Statement<MeasurementRow>;
  private readonly byIdemStmt: Statement<MeasurementRow, [string]>;
  private readonly byIdStmt: Statement<MeasurementRow, [number]>;
  private readonly quarantineStmt: Statement<unknown>;
  private readonly diagStmt: Statement<unknown>;
  private readonly dupStmt: Statement<unknown, [number]>;
  private readonly identityUpsertStmt: Statement<LefuIdentityRow>;
  private readonly identityStmt: Statement<LefuIdentityRow, [string]>;
  private readonly suggestUpStmt: Statement<{ id: number; w: number }, [number, number]>;
  private readonly suggestDownStmt: Statement<{ id: number; w: number }, [number, number]>;

  constructor(
    private readonly db: Database,
    private readonly throttle: SeenThrottle,
    private readonly outbox: OutboxRepo,
  ) {
    this.insertStmt = db.query(`
      INSERT INTO measurements (idem_key, source, device_id, member_id, status, claim_reason, suggested_member_id, group_key,
        candidates_json, measured_at, device_ts_raw, clock_suspect, received_at, weight_kg, heart_rate, impedance_json, scale_type,
        eight_electrode, backlog_total, backlog_current, rssi, data_type, lefu_memberid, lefu_userid, capture_id, raw_item_json,
        indicators_json, indicators_note, indicators_profile_member_id, hmac, resistance, sec_resistance, model_id, user_index,
        definite_flag, resistance_flag, assigned_at)
      VALUES ($idemKey, $source, $deviceId, $memberId, $status, $claimReason, $suggested, $groupKey, $candidates, $measuredAt,
        $deviceTsRaw, $clockSuspect, $receivedAt, $weightKg, $heartRate, $impedance, $scaleType, $eight, $backlogTotal,
        $backlogCurrent, $rssi, $dataType, $lefuMemberid, $lefuUserid, $captureId, $rawItem, $indicators, $indicatorsNote,
        $profileMemberId, $hmac, $resistance, $secResistance, $modelId, $userIndex, $definiteFlag, $resistanceFlag, CASE WHEN $memberId IS NULL THEN NULL ELSE $receivedAt END)
      ON CONFLICT (idem_key) DO NOTHING
      RETURNING *`);
    this.byIdemStmt = db.query("SELECT * FROM measurements WHERE idem_key = ?");
    this.byIdStmt = db.query("SELECT * FROM measurements WHERE id = ?");
    this.quarantineStmt = db.query(
      "INSERT INTO quarantine (capture_id, source, reason, raw_item_json, created_at) VALUES ($captureId, $source, $reason, $raw, $now)",
    );
    this.diagStmt = db.query(
      "INSERT INTO diagnostics (at, kind, device_id, capture_id, detail_json) VALUES ($at, $kind, $deviceId, $captureId, $detail)",
    );
    this.dupStmt = db.query("UPDATE devices SET dup_count = dup_count + 1 WHERE id = ?");
    this.identityUpsertStmt = db.query(`
      INSERT INTO lefu_identities (memberid, userid, device_id, first_seen, last_seen) VALUES ($memberid, $userid, $deviceId, $now, $now)
      ON CONFLICT (memberid) DO UPDATE SET userid = COALESCE($userid, userid), device_id = COALESCE($deviceId, device_id), last_seen = $now
      RETURNING *`);
    this.identityStmt = db.query("SELECT * FROM lefu_identities WHERE memberid = ?");
    // Active members whose last weight (latest assigned measurement, else the reference weight; kept in
    // member_weights by triggers, migration 009) is nearest: the 3 nearest at or above, the 3 nearest below,
    // each an index walk from the weight outwards (O(log n)), merged in suggest().
    const near = (cmp: string, order: string) =>
      db.query<{ id: number; w: number }, [number, number]>(`
        SELECT w.member_id AS id, w.weight_kg AS w FROM member_weights w CROSS JOIN members m ON m.id = w.member_id
        WHERE w.weight_kg ${cmp} AND m.status = 'active'
        ORDER BY w.weight_kg ${order}, w.member_id LIMIT 3`);
    this.suggestUpStmt = near(">= ?1 AND w.weight_kg <= ?1 + ?2", "ASC");
    this.suggestDownStmt = near("< ?1 AND w.weight_kg >= ?1 - ?2", "DESC");
  }

  /**
   * Returns the new row id, or null when the idem_key exists already (a replay). Call inside a write job.
   * A new row also writes measurement.created (and report.computed when it has a report) to the outbox.
   */
  insert(m: NewMeasurement): number | null {
    const row = this.insertStmt.get({
      idemKey: m.idemKey,
      source: m.source,
      deviceId: m.deviceId,
      memberId: m.memberId,
      status: m.status,
      claimReason: m.claimReason,
      suggested: m.suggestedMemberId,
      groupKey: m.groupKey,
      candidates: m.candidates && m.candidates.length ? JSON.stringify(m.candidates) : null,
      measuredAt: m.measuredAt,
      deviceTsRaw: m.deviceTsRaw,
      clockSuspect: m.clockSuspect ? 1 : 0,
      receivedAt: m.receivedAt,
      weightKg: m.weightKg,
      heartRate: m.heartRate,
      impedance: m.impedance ? JSON.stringify(m.impedance) : null,
      scaleType: m.scaleType,
      eight: m.eightElectrode ? 1 : 0,
      backlogTotal: m.backlogTotal,
      backlogCurrent: m.backlogCurrent,
      rssi: m.rssi,
      dataType: m.dataType,
      lefuMemberid: m.lefuMemberid,
      lefuUserid: m.lefuUserid,
      captureId: m.captureId,
      rawItem: m.rawItem === undefined ? null : JSON.stringify(m.rawItem),
      indicators: m.indicators == null ? null : JSON.stringify(m.indicators),
      indicatorsNote: m.indicatorsNote,
      profileMemberId: m.indicatorsProfileMemberId,
      hmac: m.hmac ?? null,
      resistance: m.resistance ?? null,
      secResistance: m.secResistance ?? null,
      modelId: m.modelId ?? null,
      userIndex: m.userIndex ?? null,
      definiteFlag: m.definiteFlag == null ? null : m.definiteFlag ? 1 : 0,
      resistanceFlag: m.resistanceFlag ?? null,
    } as never);
    if (!row) return null;
    // Its events go to the outbox in this same transaction (issue 17); RETURNING * is the row as stored.
    this.outbox.measurementStored(row, m.receivedAt);
    return row.id;
  }

  /**
   * The one way device roles store a measurement (call inside a write job): inserts it, or, for a replay
   * (its idem_key exists), counts the duplicate on its device and, when the replay differs from the stored
   * row (weight by more than 50 g, or another HMAC when the role sends one), writes a
   * `conflicting_duplicate` diagnostic. Returns the new row id, or null for a replay.
   */
  ingest(m: NewMeasurement, now: number): number | null {
    const id = this.insert(m);
    if (id !== null) return id;
    if (m.deviceId !== null) this.dupStmt.run(m.deviceId);
    const first = this.byIdemStmt.get(m.idemKey);
    if (!first) return null;
    const hmacDiffers = m.hmac !== undefined && (first.hmac ?? null) !== (m.hmac ?? null);
    if (Math.abs(first.weight_kg - m.weightKg) > 0.05 || hmacDiffers) {
      const detail = { idemKey: m.idemKey, firstWeightKg: first.weight_kg, replayWeightKg: m.weightKg, ...(m.hmac !== undefined ? { hmacDiffers } : {}) };
      this.diagnostic("conflicting_duplicate", m.deviceId, m.captureId, detail, now);
    }
    return null;
  }

  byIdem(key: string): MeasurementRow | null {
    return this.byIdemStmt.get(key);
  }
  byId(id: number): MeasurementRow | null {
    return this.byIdStmt.get(id);
  }

  quarantine(captureId: number | null, source: string, reason: string, raw: unknown, now: number): void {
    this.quarantineStmt.run({ captureId, source, reason, raw: raw === undefined ? null : JSON.stringify(raw), now } as never);
  }

  diagnostic(kind: string, deviceId: number | null, captureId: number | null, detail: unknown, at: number): void {
    this.diagStmt.run({ at, kind, deviceId, captureId, detail: JSON.stringify(detail) } as never);
  }

  /**
   * Records that a Lefu identity weighed in (call inside a write job). Like device rows, an identity's
   * row is written at most once a second when its userid and scale are the same (seen-throttle.ts).
   */
  lefuIdentitySeen(memberid: string, userid: string | null, deviceId: number | null, now: number): LefuIdentityRow {
    const key = seenKey("lefu-identity", memberid);
    const sig = `${userid}\u0000${deviceId}`;
    if (!this.throttle.mustWrite(key, sig, now)) {
      const row = this.identityStmt.get(memberid);
      if (row) return row;
    }
    const row = this.identityUpsertStmt.get({ memberid, userid, deviceId, now } as never)!;
    this.throttle.written(key, sig, now);
    return row;
  }
  lefuIdentity(memberid: string): LefuIdentityRow | null {
    return this.identityStmt.get(memberid);
  }

  /** Up to 3 active members whose last weight is within `withinKg` of `weightKg`, nearest first. */
  suggest(weightKg: number, withinKg = 3): number[] {
    const rows = [...this.suggestUpStmt.all(weightKg, withinKg), ...this.suggestDownStmt.all(weightKg, withinKg)];
    return rows
      .map((r) => ({ id: r.id, d: Math.abs(r.w - weightKg) }))
      .filter((r) => r.d <= withinKg)
      .sort((a, b) => a.d - b.d || a.id - b.id)
      .slice(0, 3)
      .map((r) => r.id);
  }
}
