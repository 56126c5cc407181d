/** Youjiu device credentials, login events and unknown cards (migration 004). */
import type { Database, Statement } from "bun:sqlite";
import { secretHash } from "../http/secrets.ts";
import type { OutboxRepo } from "./outbox-repo.ts";

export interface YoujiuDeviceRow {
  id: number;
  device_key: string;
  family: string;
  secret: string | null;
  revoked: number;
  last_seen: number;
  last_ip: string | null;
  name: string | null;
  /** Hash of the secret staff last reset: /tokens refuses it (it cannot be trusted on first use again). */
  old_secret_hash: string | null;
}

export interface LoginEvent {
  at: number;
  sn: string | null;
  remoteIp: string | null;
  type: string;
  scene: string | null;
  outcome: "delivered" | "unknown" | "inactive" | "ambiguous" | "unsupported" | "face_unavailable" | "scene_not_allowed" | "rejected_inactive";
  memberId: number | null;
  /** The `extend_data` the device was sent with a member (none for the other outcomes). */
  extendData?: string | null;
  valueHint: string | null;
  pushedBy?: string | null;
}

export interface UnknownCardRow {
  card_dec: string;
  card_hex: string;
  sn: string | null;
  first_seen: number;
  last_seen: number;
  taps: number;
}

export class YoujiuRepo {
  private readonly deviceStmt: Statement<YoujiuDeviceRow, [string]>;
  private readonly setSecretStmt: Statement<unknown>;
  private readonly tokenAtStmt: Statement<unknown>;
  private readonly eventStmt: Statement<unknown>;
  private readonly cardStmt: Statement<unknown>;
  private readonly cardsStmt: Statement<UnknownCardRow, [number]>;
  private readonly resetStmt: Statement<unknown>;

  constructor(
    private readonly db: Database,
    private readonly outbox: OutboxRepo,
  ) {
    this.deviceStmt = db.query("SELECT id, device_key, family, secret, revoked, last_seen, last_ip, name, old_secret_hash FROM devices WHERE vendor = 'youjiu' AND device_key = ?");
    this.setSecretStmt = db.query("UPDATE devices SET secret = $secret, secret_set_at = $now WHERE vendor = 'youjiu' AND device_key = $sn AND secret IS NULL");
    this.tokenAtStmt = db.query("UPDATE devices SET last_token_at = $now WHERE vendor = 'youjiu' AND device_key = $sn");
    this.eventStmt = db.query(`
      INSERT INTO login_events (at, sn, remote_ip, type, scene, outcome, member_id, extend_data, value_hint, pushed_by)
      VALUES ($at, $sn, $ip, $type, $scene, $outcome, $memberId, $extendData, $hint, $pushedBy)`);
    this.cardStmt = db.query(`
      INSERT INTO youjiu_unknown_cards (card_dec, card_hex, sn, first_seen, last_seen) VALUES ($dec, $hex, $sn, $now, $now)
      ON CONFLICT (card_dec) DO UPDATE SET last_seen = $now, taps = taps + 1, sn = COALESCE($sn, sn)`);
    this.cardsStmt = db.query(`
      SELECT u.* FROM youjiu_unknown_cards u
      WHERE u.last_seen >= ? AND NOT EXISTS (SELECT 1 FROM credentials c WHERE c.card_dec = u.card_dec)
      ORDER BY u.last_seen DESC`);
    this.resetStmt = db.query(
      "UPDATE devices SET old_secret_hash = COALESCE($oldHash, old_secret_hash), secret = NULL, secret_set_at = NULL WHERE vendor = 'youjiu' AND device_key = $sn",
    );
  }

  device(sn: string): YoujiuDeviceRow | null {
    return this.deviceStmt.get(sn);
  }
  /**
   * Stores `secret` for a device that has none (a new one, or one staff reset); a stored secret is never
   * replaced. The row itself is DevicesRepo.seen's (the one device upsert). Call inside a write job.
   */
  setSecretIfNone(sn: string, secret: string, now: number): void {
    this.setSecretStmt.run({ sn, secret, now } as never);
  }
  tokenIssued(sn: string, now: number): void {
    this.tokenAtStmt.run({ sn, now } as never);
  }
  event(e: LoginEvent): void {
    this.eventStmt.run({
      at: e.at,
      sn: e.sn ?? "-",
      ip: e.remoteIp,
      type: e.type,
      scene: e.scene,
      outcome: e.outcome,
      memberId: e.memberId,
      extendData: e.extendData ?? null,
      hint: e.valueHint,
      pushedBy: e.pushedBy ?? null,
    } as never);
    // login.delivered in the same transaction (issue 17).
    if (e.outcome === "delivered") this.outbox.loginDelivered(e);
  }
  unknownCard(dec: string, hex: string, sn: string | null, now: number): void {
    this.cardStmt.run({ dec, hex, sn, now } as never);
  }
  /** Unknown cards tapped since `since` that are still not enrolled. */
  unknownCards(since: number): UnknownCardRow[] {
    return this.cardsStmt.all(since);
  }
  /**
   * Revokes the device's secret: the next /activate issues a new one, and the old one stops working at
   * once (its hash is kept so /tokens cannot trust it on first use). Returns false for an unknown SN.
   */
  resetSecret(sn: string): boolean {
    const d = this.device(sn);
    if (!d) return false;
    this.resetStmt.run({ sn, oldHash: d.secret === null ? null : secretHash(d.secret) } as never);
    return true;
  }
}
