/** A member's body profile, as the computation core needs it (sex, birthday, height, athlete). */
import type { Database, Statement } from "bun:sqlite";

export interface MemberProfile {
  id: number;
  sex: "male" | "female" | "unspecified";
  birthday: string | null;
  heightCm: number | null;
  athlete: boolean;
}

interface Row {
  id: number;
  sex: MemberProfile["sex"];
  birthday: string | null;
  height_cm: number | null;
  athlete: number;
}

const statements = new WeakMap<Database, Statement<Row, [number]>>();

/** The profile of member `id`, or null when there is no such member. One prepared statement per database. */
export function memberProfile(db: Database, id: number): MemberProfile | null {
  let stmt = statements.get(db);
  if (!stmt) {
    stmt = db.query("SELECT id, sex, birthday, height_cm, athlete FROM members WHERE id = ?");
    statements.set(db, stmt);
  }
  const r = stmt.get(id);
  return r ? { id: r.id, sex: r.sex, birthday: r.birthday, heightCm: r.height_cm, athlete: r.athlete === 1 } : null;
}
