/**
 * Yolanda scales (device-protocols §3.3, §3.5, §3.7): the slots 1–8 of each
 * scale MAC bound to members, the per-scale relay key and last model_id, and
 * the "users of this scale" selection every Yolanda answer shares.
 *
 * Slots are soft-deleted: freeing one sets `removed_at`, so a measurement can be
 * attributed to whoever held the slot at its time. At most one active
 * assignment per (mac, user_index) is enforced by a partial unique index.
 */
import type { Database, Statement } from "bun:sqlite";
import type { Sex } from "../core/members.ts";

export const SLOT_MIN = 1;
export const SLOT_MAX = 8;

export interface SlotRow {
  id: number;
  mac: string;
  user_index: number;
  member_id: number;
  user_key: number;
  assigned_at: number;
  assigned_by: string | null;
  removed_at: number | null;
  removed_by: string | null;
  purge_pending: number;
  purged_at: number | null;
}

/** An active slot with what the Yolanda answers need from its member. */
export interface SlotMember {
  user_index: number;
  user_key: number;
  member_id: number;
  member_name: string;
  status: string;
  sex: Sex;
  birthday: string | null;
  height_cm: number | null;
  athlete: number;
  goal_weight_kg: number | null;
  /** Last measured weight (any source), else the reference weight. */
  weight_kg: number | null;
  assigned_at: number;
}

/** Why an active slot is left out of the users list (staff are warned). */
export type SlotProblem = "member_inactive" | "sex_unspecified" | "no_height" | "no_birthday" | "no_weight";

export interface ScaleUser {
  user_index: number;
  user_key: number;
  member_id: number;
  gender: 0 | 1;
  height: number;
  birthday: string;
  weight: number;
  goal_weight: number;
  sport_flag: 0 | 1;
}

export interface YolandaScaleRow {
  id: number;
  device_key: string;
  mac: string | null;
  family: string;
  name: string | null;
  notes: string | null;
  first_seen: number;
  last_seen: number;
  last_ip: string | null;
  path_prefix: string | null;
  scale_secret_key: string | null;
  last_model_id: string | null;
  dup_count: number;
}

export class SlotError extends Error {
  constructor(
    readonly code: "slot_taken" | "slot_empty" | "member_not_found" | "already_on_scale" | "no_user_key",
    message: string,
  ) {
    super(message);
    this.name = "SlotError";
  }
}

/** R1 for positive values: kg and cm to 0.1. */
const r1 = (x: number) => Math.round(x * 10) / 10;

/** YYYY-MM-DD, zero-padded, or null when the stored text is not a date. */
export function isoBirthday(s: string | null): string | null {
  if (!s) return null;
  const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${m[1]}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** Whether a slot's member can be sent to Yolanda, and if not, why. */
export function slotProblems(s: SlotMember): SlotProblem[] {
  const out: SlotProblem[] = [];
  if (s.status !== "active") out.push("member_inactive");
  if (s.sex !== "male" && s.sex !== "female") out.push("sex_unspecified");
  if (!(s.height_cm !== null && s.height_cm > 0)) out.push("no_height");
  if (isoBirthday(s.birthday) === null) out.push("no_birthday");
  if (!(s.weight_kg !== null && s.weight_kg > 0)) out.push("no_weight");
  return out;
}

export function toScaleUser(s: SlotMember): ScaleUser {
  const weight = r1(s.weight_kg!);
  return {
    user_index: s.user_index,
    user_key: s.user_key,
    member_id: s.member_id,
    gender: s.sex === "male" ? 1 : 0,
    height: r1(s.height_cm!),
    birthday: isoBirthday(s.birthday)!,
    weight,
    goal_weight: s.goal_weight_kg !== null && s.goal_weight_kg > 0 ? r1(s.goal_weight_kg) : weight,
    sport_flag: s.athlete ? 1 : 0,
  };
}

export class YolandaRepo {
  private readonly slotMembersStmt: Statement<SlotMember, [string]>;
  private readonly atTimeStmt: Statement<SlotRow, [string, number, number]>;
  private readonly activeStmt: Statement<SlotRow, [string, number]>;
  private readonly activeOfScaleStmt: Statement<SlotRow, [string]>;
  private readonly insertStmt: Statement<SlotRow>;
  private readonly removeStmt: Statement<SlotRow>;
  private readonly purgeStmt: Statement<unknown, [number, string]>;
  private readonly pendingPurgeStmt: Statement<SlotRow, [string]>;
  private readonly memberStmt: Statement<{ id: number; status: string }, [number]>;
  private readonly scaleKeyStmt: Statement<{ scale_secret_key: string | null }, [string]>;
  private readonly setScaleKeyStmt: Statement<unknown, [string | null, string]>;
  private readonly modelIdStmt: Statement<{ last_model_id: string | null }, [string]>;
  private readonly setModelIdStmt: Statement<unknown, [string, number]>;
  private readonly scalesStmt: Statement<YolandaScaleRow, []>;
  private readonly scaleStmt: Statement<YolandaScaleRow, [string]>;
  private readonly ensureScaleStmt: Statement<YolandaScaleRow>;
  private readonly slotMacsStmt: Statement<{ mac: string }, []>;

  constructor(db: Database) {
    // The member's last weight: the latest assigned measurement (clock-suspect ones last), else the reference weight.
    this.slotMembersStmt = db.query(`
      SELECT s.user_index, s.user_key, s.member_id, s.assigned_at, m.name AS member_name, m.status, m.sex, m.birthday, m.height_cm,
        m.athlete, m.goal_weight_kg,
        COALESCE((SELECT x.weight_kg FROM measurements x WHERE x.member_id = m.id AND x.status = 'assigned'
                  ORDER BY x.clock_suspect, x.measured_at DESC, x.id DESC LIMIT 1), m.reference_weight_kg) AS weight_kg
      FROM yolanda_slots s JOIN members m ON m.id = s.member_id
      WHERE s.mac = ? AND s.removed_at IS NULL
      ORDER BY s.user_index`);
    this.atTimeStmt = db.query(`
      SELECT * FROM yolanda_slots WHERE mac = ?1 AND user_index = ?2 AND assigned_at <= ?3 AND (removed_at IS NULL OR removed_at > ?3)
      ORDER BY assigned_at DESC, id DESC LIMIT 1`);
    this.activeStmt = db.query("SELECT * FROM yolanda_slots WHERE mac = ? AND user_index = ? AND removed_at IS NULL");
    this.activeOfScaleStmt = db.query("SELECT * FROM yolanda_slots WHERE mac = ? AND removed_at IS NULL ORDER BY user_index");
    this.insertStmt = db.query(`
      INSERT INTO yolanda_slots (mac, user_index, member_id, user_key, assigned_at, assigned_by)
      VALUES ($mac, $index, $memberId, $userKey, $now, $by) RETURNING *`);
    this.removeStmt = db.query(`
      UPDATE yolanda_slots SET removed_at = $now, removed_by = $by, purge_pending = 1
      WHERE mac = $mac AND user_index = $index AND removed_at IS NULL RETURNING *`);
    this.purgeStmt = db.query("UPDATE yolanda_slots SET purge_pending = 0, purged_at = ? WHERE mac = ? AND purge_pending = 1");
    this.pendingPurgeStmt = db.query("SELECT * FROM yolanda_slots WHERE mac = ? AND purge_pending = 1 ORDER BY user_index");
    this.memberStmt = db.query("SELECT id, status FROM members WHERE id = ?");
    this.scaleKeyStmt = db.query("SELECT scale_secret_key FROM devices WHERE vendor = 'yolanda' AND device_key = ?");
    this.setScaleKeyStmt = db.query("UPDATE devices SET scale_secret_key = ? WHERE vendor = 'yolanda' AND device_key = ?");
    this.modelIdStmt = db.query("SELECT last_model_id FROM devices WHERE vendor = 'yolanda' AND device_key = ?");
    this.setModelIdStmt = db.query("UPDATE devices SET last_model_id = ? WHERE id = ?");
    const cols = `id, device_key, mac, family, name, notes, first_seen, last_seen, last_ip, path_prefix, scale_secret_key, last_model_id, dup_count`;
    this.scalesStmt = db.query(`SELECT ${cols} FROM devices WHERE vendor = 'yolanda' ORDER BY device_key`);
    this.scaleStmt = db.query(`SELECT ${cols} FROM devices WHERE vendor = 'yolanda' AND device_key = ?`);
    // A scale staff set up before it ever called is listed like one that did (family unknown until it calls).
    this.ensureScaleStmt = db.query(`
      INSERT INTO devices (vendor, device_key, family, mac, first_seen, last_seen) VALUES ('yolanda', $mac, 'unknown', $mac, $now, $now)
      ON CONFLICT (vendor, device_key) DO UPDATE SET mac = COALESCE(mac, $mac)
      RETURNING ${cols}`);
    this.slotMacsStmt = db.query("SELECT DISTINCT mac FROM yolanda_slots WHERE removed_at IS NULL");
  }

  /** Active slots of a scale with their members (all of them, including those left out of the users list). */
  slotMembers(mac: string): SlotMember[] {
    return this.slotMembersStmt.all(mac);
  }

  /** The §3.3 selection: active slots of active members with sex, height, birthday and weight, by user_index. */
  users(mac: string): ScaleUser[] {
    return this.slotMembers(mac)
      .filter((s) => slotProblems(s).length === 0)
      .map(toScaleUser);
  }

  /** The assignment valid at `at` (epoch ms), else the current one (§3.4 attribution). */
  slotFor(mac: string, userIndex: number, at: number): SlotRow | null {
    return this.atTimeStmt.get(mac, userIndex, at) ?? this.activeStmt.get(mac, userIndex);
  }

  activeSlot(mac: string, userIndex: number): SlotRow | null {
    return this.activeStmt.get(mac, userIndex);
  }

  activeSlots(mac: string): SlotRow[] {
    return this.activeOfScaleStmt.all(mac);
  }

  memberStatus(memberId: number): string | null {
    return this.memberStmt.get(memberId)?.status ?? null;
  }

  /**
   * Binds a member to a free slot. Refuses an occupied slot (staff free one
   * first: no automatic eviction) and a member already on this scale. The
   * user_key is random in 1000–9999 and unique among the scale's active slots.
   * Call inside a write job.
   */
  assign(mac: string, userIndex: number, memberId: number, now: number, by: string | null, random: () => number = Math.random): SlotRow {
    if (!this.memberStmt.get(memberId)) throw new SlotError("member_not_found", `member ${memberId} does not exist`);
    const active = this.activeSlots(mac);
    const taken = active.find((s) => s.user_index === userIndex);
    if (taken) throw new SlotError("slot_taken", `slot ${userIndex} of ${mac} is held by member ${taken.member_id}; free it first`);
    const mine = active.find((s) => s.member_id === memberId);
    if (mine) throw new SlotError("already_on_scale", `member ${memberId} already holds slot ${mine.user_index} of ${mac}`);
    const used = new Set(active.map((s) => s.user_key));
    let userKey = 0;
    for (let i = 0; i < 1000 && (userKey === 0 || used.has(userKey)); i++) userKey = 1000 + Math.floor(random() * 9000);
    if (used.has(userKey) || userKey < 1000 || userKey > 9999) throw new SlotError("no_user_key", "could not pick a free user_key");
    this.ensureScale(mac, now);
    return this.insertStmt.get({ mac, index: userIndex, memberId, userKey, now, by } as never)!;
  }

  /** Frees a slot (soft delete; the relay purges it on its next finish_info_sync). Call inside a write job. */
  free(mac: string, userIndex: number, now: number, by: string | null): SlotRow {
    const row = this.removeStmt.get({ mac, index: userIndex, now, by } as never);
    if (!row) throw new SlotError("slot_empty", `slot ${userIndex} of ${mac} is not assigned`);
    return row;
  }

  /** Soft-deleted slots the relay has not synced yet. */
  pendingPurge(mac: string): SlotRow[] {
    return this.pendingPurgeStmt.all(mac);
  }

  /** finish_info_sync: the relay has synced the scale's users, so removals are done. Returns how many. */
  purgeRemoved(mac: string, now: number): number {
    return this.purgeStmt.run(now, mac).changes;
  }

  scaleKey(mac: string): string | null {
    return this.scaleKeyStmt.get(mac)?.scale_secret_key ?? null;
  }
  /** Call inside a write job. */
  setScaleKey(mac: string, key: string | null, now: number): void {
    this.ensureScale(mac, now);
    this.setScaleKeyStmt.run(key, mac);
  }

  lastModelId(mac: string): string | null {
    return this.modelIdStmt.get(mac)?.last_model_id ?? null;
  }
  setModelId(deviceId: number, modelId: string): void {
    this.setModelIdStmt.run(modelId, deviceId);
  }

  /** The scale's device row, created when staff set a scale up before it called. Call inside a write job. */
  ensureScale(mac: string, now: number): YolandaScaleRow {
    return this.ensureScaleStmt.get({ mac, now } as never)!;
  }

  scales(): YolandaScaleRow[] {
    return this.scalesStmt.all();
  }
  scale(mac: string): YolandaScaleRow | null {
    return this.scaleStmt.get(mac);
  }
  /** MACs with active slots (a scale row always exists for them; kept for consistency checks). */
  macsWithSlots(): string[] {
    return this.slotMacsStmt.all().map((r) => r.mac);
  }
}

