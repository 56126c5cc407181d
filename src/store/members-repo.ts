/**
 * The member directory and member credentials (cards and codes).
 * Member ids are stable integers; devices see them as `uid`.
 */
import type { Database, Statement } from "bun:sqlite";
import { cardForms, codeNorm, emailNorm, memberProfile, phoneDigits, phoneVariants, type MemberProfile, type MemberProfileRow, type Sex } from "../core/members.ts";
import type { MemberSearchIndex } from "./member-search.ts";

/** The one member sex type (core/members.ts), re-exported for the store's callers. */
export type { Sex };
export type MemberStatus = "active" | "suspended";

export interface Member {
  id: number;
  memberNo: string | null;
  name: string;
  nickname: string | null;
  phone: string | null;
  email: string | null;
  sex: Sex;
  birthday: string | null;
  heightCm: number | null;
  referenceWeightKg: number | null;
  goalWeightKg: number | null;
  athlete: boolean;
  avatarUrl: string | null;
  notes: string | null;
  status: MemberStatus;
  extendData: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The fields staff write (everything but id, status and timestamps). */
export type MemberInput = Omit<Member, "id" | "status" | "createdAt" | "updatedAt">;

export const MEMBER_FIELDS = [
  "memberNo",
  "name",
  "nickname",
  "phone",
  "email",
  "sex",
  "birthday",
  "heightCm",
  "referenceWeightKg",
  "goalWeightKg",
  "athlete",
  "avatarUrl",
  "notes",
  "extendData",
] as const satisfies readonly (keyof MemberInput)[];

const COLUMN: Record<(typeof MEMBER_FIELDS)[number], string> = {
  memberNo: "member_no",
  name: "name",
  nickname: "nickname",
  phone: "phone",
  email: "email",
  sex: "sex",
  birthday: "birthday",
  heightCm: "height_cm",
  referenceWeightKg: "reference_weight_kg",
  goalWeightKg: "goal_weight_kg",
  athlete: "athlete",
  avatarUrl: "avatar_url",
  notes: "notes",
  extendData: "extend_data",
};

interface MemberRow {
  id: number;
  member_no: string | null;
  name: string;
  nickname: string | null;
  phone: string | null;
  email: string | null;
  sex: Sex;
  birthday: string | null;
  height_cm: number | null;
  reference_weight_kg: number | null;
  goal_weight_kg: number | null;
  athlete: number;
  avatar_url: string | null;
  notes: string | null;
  status: MemberStatus;
  extend_data: string | null;
  created_at: number;
  updated_at: number;
}

function toMember(r: MemberRow): Member {
  return {
    id: r.id,
    memberNo: r.member_no,
    name: r.name,
    nickname: r.nickname,
    phone: r.phone,
    email: r.email,
    sex: r.sex,
    birthday: r.birthday,
    heightCm: r.height_cm,
    referenceWeightKg: r.reference_weight_kg,
    goalWeightKg: r.goal_weight_kg,
    athlete: r.athlete === 1,
    avatarUrl: r.avatar_url,
    notes: r.notes,
    status: r.status,
    extendData: r.extend_data,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface Credential {
  id: number;
  memberId: number;
  kind: "card" | "code";
  cardDec: string | null;
  cardHex: string | null;
  code: string | null;
  label: string | null;
  createdAt: number;
}

interface CredentialRow {
  id: number;
  member_id: number;
  kind: "card" | "code";
  card_dec: string | null;
  card_hex: string | null;
  code_norm: string | null;
  label: string | null;
  created_at: number;
}

const toCredential = (r: CredentialRow): Credential => ({
  id: r.id,
  memberId: r.member_id,
  kind: r.kind,
  cardDec: r.card_dec,
  cardHex: r.card_hex,
  code: r.code_norm,
  label: r.label,
  createdAt: r.created_at,
});

/** Names as people sort them: Chinese by pinyin, numbers in a name by value, case ignored. */
const byName = new Intl.Collator("zh-u-co-pinyin", { sensitivity: "base", numeric: true });

/** A member as staff know them: name and member number. */
export function ownerLabel(m: { name: string; memberNo: string | null }): string {
  return m.memberNo ? `${m.name} (${m.memberNo})` : m.name;
}

/** How many phone variants one look-up statement takes (phoneVariants returns at most 4). */
const PHONE_VARIANTS = 4;

function distinctIds(rows: Array<{ id: number }>): number[] {
  return [...new Set(rows.map((r) => r.id))];
}

export class MemberError extends Error {
  constructor(
    readonly code: "not_found" | "conflict" | "has_measurements" | "invalid",
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "MemberError";
  }
}

export class MembersRepo {
  private readonly byIdStmt: Statement<MemberRow, [number]>;
  private readonly byNoStmt: Statement<MemberRow, [string]>;
  private readonly insertStmt: Statement<MemberRow>;
  private readonly statusStmt: Statement<MemberRow>;
  private readonly deleteStmt: Statement<unknown, [number]>;
  private readonly measuredStmt: Statement<{ n: number }, [number]>;
  private readonly credsStmt: Statement<CredentialRow, [number]>;
  private readonly credByIdStmt: Statement<CredentialRow, [number]>;
  private readonly credCardStmt: Statement<CredentialRow, [string, string]>;
  private readonly credCodeStmt: Statement<CredentialRow, [string]>;
  private readonly insertCredStmt: Statement<CredentialRow>;
  private readonly deleteCredStmt: Statement<unknown, [number]>;
  private readonly lastWeightStmt: Statement<{ weight_kg: number }, [number]>;
  private readonly pageStmt: Statement<MemberRow, [number, number]>;
  private readonly credCodeAllStmt: Statement<{ member_id: number }, [string]>;

  private readonly profileStmt: Statement<MemberProfileRow, [number]>;
  private readonly existsStmt: Statement<{ id: number }, [number]>;
  /** Youjiu login look-ups (device-protocols §4.6.3): member ids by one identifier each. */
  private readonly login: {
    code: Statement<{ id: number }, [string]>;
    memberNo: Statement<{ id: number }, [string]>;
    cardDec: Statement<{ id: number }, [string]>;
    cardHex: Statement<{ id: number }, [string]>;
    email: Statement<{ id: number }, [string]>;
    phone: Statement<{ id: number }, [string, string, string, string]>;
  };

  constructor(
    private readonly db: Database,
    private readonly searchIndex: MemberSearchIndex,
  ) {
    this.byIdStmt = db.query("SELECT * FROM members WHERE id = ?");
    this.profileStmt = db.query("SELECT id, name, nickname, phone, sex, birthday, height_cm, athlete, status FROM members WHERE id = ?");
    this.byNoStmt = db.query("SELECT * FROM members WHERE member_no = ? COLLATE NOCASE");
    const cols = MEMBER_FIELDS.map((f) => COLUMN[f]);
    this.insertStmt = db.query(
      `INSERT INTO members (id, ${cols.join(", ")}, phone_norm, email_norm, status, created_at, updated_at)
       VALUES ($id, ${MEMBER_FIELDS.map((f) => "$" + f).join(", ")}, $phoneNorm, $emailNorm, 'active', $now, $now) RETURNING *`,
    );
    this.statusStmt = db.query("UPDATE members SET status = $status, updated_at = $now WHERE id = $id RETURNING *");
    this.deleteStmt = db.query("DELETE FROM members WHERE id = ?");
    this.measuredStmt = db.query("SELECT COUNT(*) AS n FROM measurements WHERE member_id = ?");
    this.credsStmt = db.query("SELECT * FROM credentials WHERE member_id = ? ORDER BY id");
    this.credByIdStmt = db.query("SELECT * FROM credentials WHERE id = ?");
    this.credCardStmt = db.query("SELECT * FROM credentials WHERE card_dec = ? OR card_hex = ?");
    this.credCodeStmt = db.query("SELECT * FROM credentials WHERE code_norm = ? COLLATE NOCASE");
    this.insertCredStmt = db.query(
      "INSERT INTO credentials (member_id, kind, card_dec, card_hex, code_norm, label, created_at) VALUES ($memberId, $kind, $dec, $hex, $code, $label, $now) RETURNING *",
    );
    this.deleteCredStmt = db.query("DELETE FROM credentials WHERE id = ?");
    this.pageStmt = db.query("SELECT * FROM members WHERE id > ? ORDER BY id LIMIT ?");
    this.credCodeAllStmt = db.query("SELECT member_id FROM credentials WHERE code_norm = ? COLLATE NOCASE");
    this.lastWeightStmt = db.query(
      "SELECT weight_kg FROM measurements WHERE member_id = ? AND status = 'assigned' ORDER BY measured_at DESC LIMIT 1",
    );
    this.existsStmt = db.query("SELECT id FROM members WHERE id = ?");
    this.login = {
      code: db.query("SELECT member_id AS id FROM credentials WHERE kind = 'code' AND code_norm = ?1 COLLATE NOCASE"),
      memberNo: db.query("SELECT id FROM members WHERE member_no = ?1 COLLATE NOCASE"),
      cardDec: db.query("SELECT member_id AS id FROM credentials WHERE kind = 'card' AND card_dec = ?1"),
      cardHex: db.query("SELECT member_id AS id FROM credentials WHERE kind = 'card' AND card_hex = ?1"),
      email: db.query("SELECT id FROM members WHERE email_norm = lower(trim(?1))"),
      // phoneVariants gives at most PHONE_VARIANTS numbers; fewer are padded by repeating the first.
      phone: db.query("SELECT id FROM members WHERE phone_norm IS NOT NULL AND ltrim(phone_norm, '0') IN (?1, ?2, ?3, ?4)"),
    };
  }

  /** Whether member `id` exists (any status). */
  exists(id: number): boolean {
    return this.existsStmt.get(id) !== null;
  }

  // ---- identifiers a device sends at login (devices/youjiu/lookup.ts decides what they mean) ----

  /** Members holding this scan code (case-insensitive), distinct ids. */
  idsByCode(code: string): number[] {
    return distinctIds(this.login.code.all(code));
  }
  /** The member with this member number (case-insensitive). */
  idsByMemberNo(memberNo: string): number[] {
    return distinctIds(this.login.memberNo.all(memberNo));
  }
  /** Members holding a card stored with this decimal (`dec`) or 8-digit hex (`hex`) form. */
  idsByCard(form: "dec" | "hex", value: string): number[] {
    return distinctIds((form === "dec" ? this.login.cardDec : this.login.cardHex).all(value));
  }
  /** Members with this e-mail (trimmed, case-insensitive). */
  idsByEmail(email: string): number[] {
    return distinctIds(this.login.email.all(email));
  }
  /**
   * Members whose phone, leading zeros ignored, is one of `variants` (core/members.ts phoneVariants: the
   * digit strings a typed number may stand for).
   */
  idsByPhone(variants: readonly string[]): number[] {
    const found: Array<{ id: number }> = [];
    for (let i = 0; i < variants.length; i += PHONE_VARIANTS) {
      const v = variants.slice(i, i + PHONE_VARIANTS);
      while (v.length < PHONE_VARIANTS) v.push(v[0]!);
      found.push(...this.login.phone.all(v[0]!, v[1]!, v[2]!, v[3]!));
    }
    return distinctIds(found);
  }
  /** The profile of member `id` (core/members.ts MemberProfile), or null: the one query every role uses for it. */
  profile(id: number): MemberProfile | null {
    const r = this.profileStmt.get(id);
    return r ? memberProfile(r) : null;
  }


  get(id: number): Member | null {
    const r = this.byIdStmt.get(id);
    return r ? toMember(r) : null;
  }
  require(id: number): Member {
    const m = this.get(id);
    if (!m) throw new MemberError("not_found", `member ${id} does not exist`);
    return m;
  }
  byMemberNo(no: string): Member | null {
    const r = this.byNoStmt.get(no.trim());
    return r ? toMember(r) : null;
  }

  /** The last measured weight from any source, else the reference weight. */
  lastWeight(id: number): number | null {
    return this.lastWeightStmt.get(id)?.weight_kg ?? this.get(id)?.referenceWeightKg ?? null;
  }

  private checkMemberNo(memberNo: string | null, self: number | null): void {
    if (!memberNo) return;
    const other = this.byMemberNo(memberNo);
    if (other && other.id !== self) {
      throw new MemberError("conflict", `member number ${memberNo} belongs to ${ownerLabel(other)}`, { field: "memberNo", ownerId: other.id, owner: ownerLabel(other) });
    }
  }

  private params(m: Partial<MemberInput>): Record<string, unknown> {
    const p: Record<string, unknown> = {};
    for (const f of MEMBER_FIELDS) if (f in m) p[f] = f === "athlete" ? (m.athlete ? 1 : 0) : (m[f] ?? null);
    return p;
  }

  /** Call inside a write job. `id` keeps an id given by the gym's own system (CSV import); else one is assigned. */
  create(input: MemberInput, now: number, id: number | null = null): Member {
    this.checkMemberNo(input.memberNo, null);
    if (id !== null && this.get(id)) throw new MemberError("conflict", `member ${id} exists already`, { field: "id", ownerId: id });
    const row = this.insertStmt.get({
      ...this.params(input),
      id,
      phoneNorm: phoneDigits(input.phone),
      emailNorm: emailNorm(input.email),
      now,
    } as never)!;
    return toMember(row);
  }

  /** Call inside a write job. */
  update(id: number, patch: Partial<MemberInput>, now: number): { before: Member; after: Member } {
    const before = this.require(id);
    if ("memberNo" in patch) this.checkMemberNo(patch.memberNo ?? null, id);
    const fields = MEMBER_FIELDS.filter((f) => f in patch);
    if (fields.length) {
      const sets = fields.map((f) => `${COLUMN[f]} = $${f}`);
      if (fields.includes("phone")) sets.push("phone_norm = $phoneNorm");
      if (fields.includes("email")) sets.push("email_norm = $emailNorm");
      this.db
        .query(`UPDATE members SET ${sets.join(", ")}, updated_at = $now WHERE id = $id`)
        .run({ ...this.params(patch), phoneNorm: phoneDigits(patch.phone), emailNorm: emailNorm(patch.email), now, id } as never);
    }
    return { before, after: this.require(id) };
  }

  setStatus(id: number, status: MemberStatus, now: number): { before: Member; after: Member } {
    const before = this.require(id);
    return { before, after: toMember(this.statusStmt.get({ id, status, now } as never)!) };
  }

  /** Deletes a member who has no measurements (their history must never disappear). */
  delete(id: number): Member {
    const m = this.require(id);
    const n = this.measuredStmt.get(id)!.n;
    if (n > 0) throw new MemberError("has_measurements", `member ${id} has ${n} measurements; suspend the member instead`);
    this.deleteStmt.run(id);
    return m;
  }

  /**
   * Search across name and nickname (substring), member number (prefix), phone
   * (digits, leading zeros and the country code ignored as the devices match),
   * e-mail (substring, case-insensitive), card number (decimal or hex) and code.
   */
  /**
   * Members matching a search, sorted by name as people read it (Chinese names by pinyin, with
   * Intl.Collator('zh-u-co-pinyin'); SQLite cannot collate so), each with the time of their last
   * measurement. `measuredSince` keeps those measured since then; `notMeasuredSince` those who were not.
   */
  search(
    q: string | null,
    status: MemberStatus | null,
    limit: number,
    offset: number,
    countryCode: string | null = null,
    opts: { measuredSince?: number; notMeasuredSince?: number } = {},
  ): { items: Array<Member & { lastMeasuredAt: number | null }>; total: number } {
    const where: string[] = [];
    const p: Record<string, string | number> = {};
    if (status) {
      where.push("m.status = $status");
      p.$status = status;
    }
    const text = q?.trim();
    const last = "(SELECT MAX(x.measured_at) FROM measurements x WHERE x.member_id = m.id AND x.status = 'assigned')";
    const filtered = opts.measuredSince !== undefined || opts.notMeasuredSince !== undefined;
    const lastOf = this.db.query<{ last_measured: number | null }, [number]>(`SELECT ${last} AS last_measured FROM members m WHERE m.id = ?`);
    if (text) {
      // Substring matches read every member: in memory (member-search.ts), not with a LIKE per row.
      const phones = /^[+\d\s().-]+$/.test(text) ? phoneVariants(text, countryCode).filter((v) => v.length >= 3) : [];
      const owners = new Set<number>();
      for (const c of [cardForms(text, "dec"), cardForms(text, "hex")]) if (c) for (const r of this.credCardStmt.all(c.dec, c.hex)) owners.add(r.member_id);
      for (const r of this.credCodeAllStmt.all(text)) owners.add(r.member_id);
      const withLast = (id: number) => {
        const r = this.byIdStmt.get(id);
        return r ? { ...toMember(r), lastMeasuredAt: lastOf.get(id)?.last_measured ?? null } : null;
      };
      if (!filtered) {
        const { ids, total } = this.searchIndex.search({ text, phones, owners }, status, limit, offset);
        return { items: ids.map(withLast).filter((m) => m !== null), total };
      }
      // With the "measured in the last N days" filters: every match, filtered, then the page.
      const all = this.searchIndex.search({ text, phones, owners }, status, 1_000_000, 0).ids.map(withLast).filter((m) => m !== null);
      const kept = all.filter((m) =>
        opts.measuredSince !== undefined ? (m.lastMeasuredAt ?? -1) >= opts.measuredSince : (m.lastMeasuredAt ?? 0) < opts.notMeasuredSince!,
      );
      return { items: kept.slice(offset, offset + limit), total: kept.length };
    }
    if (opts.measuredSince !== undefined) {
      where.push(`${last} >= $measuredSince`);
      p.$measuredSince = opts.measuredSince;
    }
    if (opts.notMeasuredSince !== undefined) {
      where.push(`coalesce(${last}, 0) < $notMeasuredSince`);
      p.$notMeasuredSince = opts.notMeasuredSince;
    }
    const w = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const keys = filtered ? this.sortedIds(w, p) : this.directoryOrder(status, w, p);
    const page = keys.slice(offset, offset + limit).map((k) => k.id);
    if (page.length === 0) return { items: [], total: keys.length };
    const rows = this.db
      .query(`SELECT m.*, ${last} AS last_measured FROM members m WHERE m.id IN (${page.map(() => "?").join(",")})`)
      .all(...page) as Array<MemberRow & { last_measured: number | null }>;
    const byId = new Map(rows.map((r) => [r.id, { ...toMember(r), lastMeasuredAt: r.last_measured }]));
    return { items: page.map((id) => byId.get(id)!), total: keys.length };
  }

  /** Ids and names matching `where`, in pinyin order (Intl.Collator; SQLite cannot collate so). */
  private sortedIds(where: string, p: Record<string, string | number>): Array<{ id: number; name: string }> {
    const keys = this.db.query(`SELECT m.id, m.name FROM members m ${where}`).all(p as never) as Array<{ id: number; name: string }>;
    return keys.sort((a, b) => byName.compare(a.name, b.name) || a.id - b.id);
  }

  /**
   * The directory's order (all members, or one status), sorted once and kept until a member changes
   * (members_version, migration 009): at 20,000 members a pinyin sort costs tens of milliseconds.
   */
  private directoryOrder(status: MemberStatus | null, where: string, p: Record<string, string | number>): Array<{ id: number; name: string }> {
    const v = (this.db.query("SELECT v FROM members_version WHERE id = 1").get() as { v: number } | null)?.v ?? -1;
    const key = status ?? "*";
    const hit = this.orderCache.get(key);
    if (hit && hit.v === v) return hit.keys;
    const keys = this.sortedIds(where, p);
    this.orderCache.set(key, { v, keys });
    return keys;
  }
  private readonly orderCache = new Map<string, { v: number; keys: Array<{ id: number; name: string }> }>();

  measurementCount(id: number): number {
    return this.measuredStmt.get(id)!.n;
  }

  byName(name: string): Member[] {
    return (this.db.query("SELECT * FROM members WHERE name = ? COLLATE NOCASE ORDER BY id").all(name.trim()) as MemberRow[]).map(toMember);
  }

  /** Up to `limit` members with an id above `afterId`, by id (keyset paging for the streamed export). */
  page(afterId: number, limit: number): Member[] {
    return this.pageStmt.all(afterId, limit).map(toMember);
  }

  all(): Member[] {
    return (this.db.query("SELECT * FROM members ORDER BY id").all() as MemberRow[]).map(toMember);
  }

  // ---- credentials ----

  credentials(memberId: number): Credential[] {
    return this.credsStmt.all(memberId).map(toCredential);
  }
  credential(id: number): Credential | null {
    const r = this.credByIdStmt.get(id);
    return r ? toCredential(r) : null;
  }
  /** Who owns this card (either form) or code, if anyone. */
  ownerOfCard(card: string): Credential | null {
    const f = cardForms(card);
    if (!f) return null;
    const r = this.credCardStmt.get(f.dec, f.hex);
    return r ? toCredential(r) : null;
  }
  ownerOfCode(code: string): Credential | null {
    const c = codeNorm(code);
    const r = c ? this.credCodeStmt.get(c) : null;
    return r ? toCredential(r) : null;
  }

  /** A credential someone else holds: the error names them (name and member number; the id for integrations). */
  private taken(kind: "card" | "code", ownerId: number): MemberError {
    const o = this.get(ownerId);
    const owner = o ? ownerLabel(o) : `member ${ownerId}`;
    return new MemberError("conflict", `this ${kind} belongs to ${owner}`, { field: "value", ownerId, owner });
  }

  /** Call inside a write job. A credential belongs to one member only: a conflict names the owner. */
  addCredential(memberId: number, kind: "card" | "code", value: string, label: string | null, now: number, cardAs: "auto" | "dec" | "hex" = "auto"): Credential {
    this.require(memberId);
    if (kind === "card") {
      const f = cardForms(value, cardAs);
      if (!f) throw new MemberError("invalid", "value: not a card number (decimal, or hex up to 16 digits)", { field: "value" });
      const owner = this.credCardStmt.get(f.dec, f.hex);
      if (owner) throw this.taken("card", owner.member_id);
      return toCredential(this.insertCredStmt.get({ memberId, kind, dec: f.dec, hex: f.hex, code: null, label, now } as never)!);
    }
    const c = codeNorm(value);
    if (!c || c.length > 500) throw new MemberError("invalid", "value: a code has 1–500 characters", { field: "value" });
    const owner = this.credCodeStmt.get(c);
    if (owner) throw this.taken("code", owner.member_id);
    return toCredential(this.insertCredStmt.get({ memberId, kind, dec: null, hex: null, code: c, label, now } as never)!);
  }

  deleteCredential(memberId: number, id: number): Credential {
    const c = this.credential(id);
    if (!c || c.memberId !== memberId) throw new MemberError("not_found", `credential ${id} of member ${memberId} does not exist`);
    this.deleteCredStmt.run(id);
    return c;
  }
}
