/** Reads a member's profile (core/members.ts MemberProfile): the one query every role uses for it. */
import type { Database, Statement } from "bun:sqlite";
import { memberProfile as fromRow, type MemberProfile, type MemberProfileRow } from "../core/members.ts";

export type { MemberProfile } from "../core/members.ts";

const statements = new WeakMap<Database, Statement<MemberProfileRow, [number]>>();

/** The profile of member `id`, or null when there is no such member. One prepared statement per database. */
export function memberProfile(db: Database, id: number): MemberProfile | null {
  let stmt = statements.get(db);
  if (!stmt) {
    stmt = db.query("SELECT id, name, nickname, phone, sex, birthday, height_cm, athlete, status FROM members WHERE id = ?");
    statements.set(db, stmt);
  }
  const r = stmt.get(id);
  return r ? fromRow(r) : null;
}
