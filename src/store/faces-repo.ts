/** Face login templates (migration 008): descriptor, 96 px thumbnail and the consent they were enrolled under. */
import type { Database, Statement } from "bun:sqlite";
import { blobToDescriptor } from "../face/match.ts";

export interface FaceTemplate {
  id: number;
  memberId: number;
  source: "image" | "device";
  sourceDevice: string | null;
  consentBy: string;
  consentAt: number;
  createdAt: number;
}

interface Row {
  id: number;
  member_id: number;
  source: "image" | "device";
  source_device: string | null;
  consent_by: string;
  consent_at: number;
  created_at: number;
}

const COLS = "id, member_id, source, source_device, consent_by, consent_at, created_at";
const view = (r: Row): FaceTemplate => ({
  id: r.id,
  memberId: r.member_id,
  source: r.source,
  sourceDevice: r.source_device,
  consentBy: r.consent_by,
  consentAt: r.consent_at,
  createdAt: r.created_at,
});

export interface NewTemplate {
  memberId: number;
  descriptor: Uint8Array;
  thumbnail: Uint8Array;
  source: "image" | "device";
  sourceDevice: string | null;
  consentBy: string;
  now: number;
}

export class FacesRepo {
  private readonly insertStmt: Statement<Row>;
  private readonly byMemberStmt: Statement<Row, [number]>;
  private readonly oneStmt: Statement<Row, [number, number]>;
  private readonly thumbStmt: Statement<{ thumbnail: Uint8Array }, [number, number]>;
  private readonly countStmt: Statement<{ n: number }, [number]>;
  private readonly deleteStmt: Statement<unknown, [number]>;
  private readonly allStmt: Statement<{ id: number; member_id: number; descriptor: Uint8Array }, []>;
  private readonly signatureStmt: Statement<{ n: number; m: number }, []>;
  private readonly deleteAllStmt: Statement<unknown, []>;
  private readonly memberStatusStmt: Statement<{ status: string }, [number]>;

  constructor(db: Database) {
    this.insertStmt = db.query(`INSERT INTO face_templates (member_id, descriptor, thumbnail, source, source_device, consent_by, consent_at, created_at)
      VALUES ($memberId, $descriptor, $thumbnail, $source, $sourceDevice, $consentBy, $now, $now) RETURNING ${COLS}`);
    this.byMemberStmt = db.query(`SELECT ${COLS} FROM face_templates WHERE member_id = ? ORDER BY id`);
    this.oneStmt = db.query(`SELECT ${COLS} FROM face_templates WHERE member_id = ? AND id = ?`);
    this.thumbStmt = db.query("SELECT thumbnail FROM face_templates WHERE member_id = ? AND id = ?");
    this.countStmt = db.query("SELECT count(*) AS n FROM face_templates WHERE member_id = ?");
    this.deleteStmt = db.query("DELETE FROM face_templates WHERE id = ?");
    this.allStmt = db.query("SELECT id, member_id, descriptor FROM face_templates ORDER BY id");
    this.signatureStmt = db.query("SELECT count(*) AS n, coalesce(max(id), 0) AS m FROM face_templates");
    this.deleteAllStmt = db.query("DELETE FROM face_templates");
    this.memberStatusStmt = db.query("SELECT status FROM members WHERE id = ?");
  }

  add(t: NewTemplate): FaceTemplate {
    return view(this.insertStmt.get({ $memberId: t.memberId, $descriptor: t.descriptor, $thumbnail: t.thumbnail, $source: t.source, $sourceDevice: t.sourceDevice, $consentBy: t.consentBy, $now: t.now } as never)!);
  }
  forMember(memberId: number): FaceTemplate[] {
    return this.byMemberStmt.all(memberId).map(view);
  }
  one(memberId: number, id: number): FaceTemplate | null {
    const r = this.oneStmt.get(memberId, id);
    return r ? view(r) : null;
  }
  thumbnail(memberId: number, id: number): Uint8Array | null {
    return this.thumbStmt.get(memberId, id)?.thumbnail ?? null;
  }
  count(memberId: number): number {
    return this.countStmt.get(memberId)!.n;
  }
  delete(id: number): void {
    this.deleteStmt.run(id);
  }
  /** Deletes every template; returns how many there were. */
  deleteAll(): number {
    const n = this.signatureStmt.get()!.n;
    this.deleteAllStmt.run();
    return n;
  }
  /** Every template's descriptor, for the in-memory matching index. */
  all(): { id: number; memberId: number; descriptor: Float32Array }[] {
    return this.allStmt.all().map((r) => ({ id: r.id, memberId: r.member_id, descriptor: blobToDescriptor(r.descriptor) }));
  }
  /** Changes whenever a template is added or removed (count and newest id): the index reloads then. */
  signature(): string {
    const s = this.signatureStmt.get()!;
    return `${s.n}:${s.m}`;
  }
  /** A member's status, null when the member does not exist (any more). */
  memberStatus(memberId: number): string | null {
    return this.memberStatusStmt.get(memberId)?.status ?? null;
  }
}
