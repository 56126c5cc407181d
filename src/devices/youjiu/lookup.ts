/**
 * Member lookups for Youjiu logins (device-protocols §4.6.3): codes, member
 * numbers, cards (either byte order), phones, e-mail. Each returns member ids;
 * `decide` turns them into an outcome (one active member, inactive, ambiguous, none).
 * Only the order of the steps and what the ids mean live here: the statements are
 * MembersRepo's (store/members-repo.ts `idsBy…`).
 */
import { phoneVariants, type MemberProfile } from "../../core/members.ts";
import type { MembersRepo } from "../../store/members-repo.ts";
import { cardCandidates, normDec, normHex, type CardNumber } from "./wire.ts";

export type Decision =
  | { kind: "member"; member: MemberProfile }
  | { kind: "inactive"; memberId: number }
  | { kind: "ambiguous" }
  | { kind: "unknown" };

export class MemberLookup {
  constructor(private readonly members: MembersRepo) {}

  profile(id: number): MemberProfile | null {
    return this.members.profile(id);
  }

  byCard(card: CardNumber): number[] {
    for (const c of cardCandidates(card)) {
      const ids = this.members.idsByCard(c.by, c.value);
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
    let ids = this.members.idsByCode(v);
    if (ids.length) return ids;
    ids = this.members.idsByMemberNo(v);
    if (ids.length) return ids;
    return this.byCard({ dec: normDec(v), hex: normHex(v) });
  }

  /** id: member number, phone, e-mail (with @), code. */
  byId(value: string, countryCode: string | null): number[] {
    const v = value.trim();
    if (!v) return [];
    let ids = this.members.idsByMemberNo(v);
    if (ids.length) return ids;
    const variants = phoneVariants(v, countryCode);
    if (variants.length && /^[+\d\s().-]+$/.test(v)) {
      ids = this.members.idsByPhone(variants);
      if (ids.length) return ids;
    }
    if (v.includes("@")) {
      ids = this.members.idsByEmail(v);
      if (ids.length) return ids;
    }
    return this.members.idsByCode(v);
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
