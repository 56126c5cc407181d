/**
 * Member lookups for Youjiu logins (device-protocols §4.6.3): codes, member
 * numbers, cards (either byte order), phones, e-mail. Each returns member ids;
 * `decide` turns them into an outcome (one active member, inactive, ambiguous, none).
 */
import type { Database, Statement } from "bun:sqlite";
import { phoneVariants, type MemberProfile } from "../../core/members.ts";
import type { MembersRepo } from "../../store/members-repo.ts";
import { cardCandidates, normDec, normHex, type CardNumber } from "./wire.ts";

export type Decision =
  | { kind: "member"; member: MemberProfile }
  | { kind: "inactive"; memberId: number }
  | { kind: "ambiguous" }
  | { kind: "unknown" };

type Ids = Array<{ id: number }>;

export class MemberLookup {
  private readonly code: Statement<{ id: number }, [string]>;
  private readonly memberNo: Statement<{ id: number }, [string]>;
  private readonly cardDec: Statement<{ id: number }, [string]>;
  private readonly cardHex: Statement<{ id: number }, [string]>;
  private readonly email: Statement<{ id: number }, [string]>;
  constructor(
    private readonly db: Database,
    private readonly members: MembersRepo,
  ) {
    this.code = db.query("SELECT member_id AS id FROM credentials WHERE kind = 'code' AND code_norm = ?1 COLLATE NOCASE");
    this.memberNo = db.query("SELECT id FROM members WHERE member_no = ?1 COLLATE NOCASE");
    this.cardDec = db.query("SELECT member_id AS id FROM credentials WHERE kind = 'card' AND card_dec = ?1");
    this.cardHex = db.query("SELECT member_id AS id FROM credentials WHERE kind = 'card' AND card_hex = ?1");
    this.email = db.query("SELECT id FROM members WHERE email_norm = lower(trim(?1))");
  }

  profile(id: number): MemberProfile | null {
    return this.members.profile(id);
  }

  private static ids(rows: Ids): number[] {
    return [...new Set(rows.map((r) => r.id))];
  }

  byCard(card: CardNumber): number[] {
    for (const c of cardCandidates(card)) {
      const ids = MemberLookup.ids(c.by === "dec" ? this.cardDec.all(c.value) : this.cardHex.all(c.value));
      if (ids.length) return ids;
    }
    return [];
  }

  /** scan / scan-ed: code, member number, card (dec or hex), then ID-card style segments. */
  byScan(value: string): number[] {
    const v = value.trim();
    const direct = this.scanSteps(v);
    if (direct.length || !v.includes("/")) return direct;
    const found = new Set<number>();
    for (const seg of v.split("/").map((s) => s.trim()).filter((s) => s.length >= 6)) for (const id of this.scanSteps(seg)) found.add(id);
    return [...found]; // several members → `decide` calls it ambiguous
  }

  private scanSteps(v: string): number[] {
    if (!v) return [];
    let ids = MemberLookup.ids(this.code.all(v));
    if (ids.length) return ids;
    ids = MemberLookup.ids(this.memberNo.all(v));
    if (ids.length) return ids;
    return this.byCard({ dec: normDec(v), hex: normHex(v) });
  }

  /** id: member number, phone, e-mail (with @), code. */
  byId(value: string, countryCode: string | null): number[] {
    const v = value.trim();
    if (!v) return [];
    let ids = MemberLookup.ids(this.memberNo.all(v));
    if (ids.length) return ids;
    const variants = phoneVariants(v, countryCode);
    if (variants.length && /^[+\d\s().-]+$/.test(v)) {
      const placeholders = variants.map(() => "?").join(", ");
      ids = MemberLookup.ids(
        this.db.query(`SELECT id FROM members WHERE phone_norm IS NOT NULL AND ltrim(phone_norm, '0') IN (${placeholders})`).all(...variants) as Ids,
      );
      if (ids.length) return ids;
    }
    if (v.includes("@")) {
      ids = MemberLookup.ids(this.email.all(v));
      if (ids.length) return ids;
    }
    return MemberLookup.ids(this.code.all(v));
  }

  /** One active member → that member; several active → ambiguous; only inactive → inactive; none → unknown. */
  decide(ids: number[]): Decision {
    const profiles = ids.map((id) => this.profile(id)).filter((p): p is MemberProfile => p !== null);
    const active = profiles.filter((p) => p.status === "active");
    if (active.length === 1) return { kind: "member", member: active[0]! };
    if (active.length > 1) return { kind: "ambiguous" };
    if (profiles.length) return { kind: "inactive", memberId: profiles[0]!.id };
    return { kind: "unknown" };
  }
}
