/**
 * Member search at size (issue 18). A search by part of a name, nickname, e-mail or phone has to look at
 * every member (a substring match); in SQL that was a LIKE per column per member, twice (page and total):
 * ~45 ms at 5,000 members. Here the searchable columns are kept in memory, in the directory's order
 * (name COLLATE NOCASE, id), and matched with plain string operations that mean exactly what the SQL
 * meant (LIKE folds ASCII letters only); cards and codes are still exact look-ups on their indexes.
 * The copy is rebuilt when members_version moves (triggers on members, migration 009), so no write path
 * can leave it stale: one read of a single row per search tells.
 */
import type { Database, Statement } from "bun:sqlite";

/** ASCII-only case folding, as SQLite's LIKE and NOCASE do. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

interface Entry {
  id: number;
  status: string;
  name: string;
  nickname: string;
  memberNo: string;
  email: string;
  phone: string;
}

export interface SearchTerms {
  /** Trimmed query text. */
  text: string;
  /** Phone variants (digits), each matched as a substring of the stored digits without leading zeros. */
  phones: string[];
  /** Members who own a card or code equal to the text (found on the credential indexes). */
  owners: Set<number>;
}

export class MemberSearchIndex {
  private readonly versionStmt: Statement<{ v: number }, []>;
  private readonly rowsStmt: Statement<{ id: number; status: string; name: string; nickname: string | null; member_no: string | null; email_norm: string | null; phone_norm: string | null }, []>;
  private version = -1;
  private entries: Entry[] = [];

  constructor(db: Database) {
    this.versionStmt = db.query("SELECT v FROM members_version WHERE id = 1");
    this.rowsStmt = db.query("SELECT id, status, name, nickname, member_no, email_norm, phone_norm FROM members ORDER BY name COLLATE NOCASE, id");
  }

  private current(): Entry[] {
    const v = this.versionStmt.get()?.v ?? 0;
    if (v !== this.version) {
      this.entries = this.rowsStmt.all().map((r) => ({
        id: r.id,
        status: r.status,
        name: asciiLower(r.name),
        nickname: asciiLower(r.nickname ?? ""),
        memberNo: asciiLower(r.member_no ?? ""),
        email: asciiLower(r.email_norm ?? ""),
        phone: (r.phone_norm ?? "").replace(/^0+/, ""),
      }));
      this.version = v;
    }
    return this.entries;
  }

  /** Ids of the matching members in directory order, and how many match. */
  search(t: SearchTerms, status: string | null, limit: number, offset: number): { ids: number[]; total: number } {
    const q = asciiLower(t.text);
    const qLower = asciiLower(t.text.toLowerCase());
    const ids: number[] = [];
    let total = 0;
    for (const e of this.current()) {
      if (status !== null && e.status !== status) continue;
      const hit =
        (q !== "" && (e.name.includes(q) || (e.nickname !== "" && e.nickname.includes(q)) || (e.memberNo !== "" && e.memberNo.startsWith(q)))) ||
        (e.email !== "" && e.email.includes(qLower)) ||
        (e.phone !== "" && t.phones.some((p) => e.phone.includes(p))) ||
        t.owners.has(e.id);
      if (!hit) continue;
      if (total >= offset && ids.length < limit) ids.push(e.id);
      total++;
    }
    return { ids, total };
  }
}

