/** Staff accounts. Passwords are argon2id hashes made with Bun.password. */
import type { Database, Statement } from "bun:sqlite";

export type Role = "admin" | "staff";

export interface StaffRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  disabled: number;
  token_version: number;
  created_at: number;
  updated_at: number;
}

export class StaffError extends Error {
  constructor(
    readonly code: "exists" | "not_found" | "weak_password" | "invalid_username",
    message: string,
  ) {
    super(message);
    this.name = "StaffError";
  }
}

export const MIN_PASSWORD = 8;

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD) throw new StaffError("weak_password", `the password must have at least ${MIN_PASSWORD} characters`);
}
export function checkUsername(username: string): void {
  if (!/^[A-Za-z0-9._@-]{2,64}$/.test(username)) throw new StaffError("invalid_username", "a username has 2–64 letters, digits or . _ @ -");
}

export class StaffRepo {
  private readonly byIdStmt: Statement<StaffRow, [number]>;
  private readonly byNameStmt: Statement<StaffRow, [string]>;
  private readonly listStmt: Statement<StaffRow, []>;
  private readonly adminCountStmt: Statement<{ n: number }, []>;
  private readonly insertStmt: Statement<StaffRow>;
  private readonly passwdStmt: Statement<StaffRow>;
  private readonly disableStmt: Statement<StaffRow>;
  private readonly roleStmt: Statement<StaffRow>;
  private readonly bumpStmt: Statement<StaffRow>;
  private readonly anyAdminStmt: Statement<{ n: number }, []>;

  constructor(db: Database) {
    this.byIdStmt = db.query("SELECT * FROM staff WHERE id = ?");
    this.byNameStmt = db.query("SELECT * FROM staff WHERE username = ? COLLATE NOCASE");
    this.listStmt = db.query("SELECT * FROM staff ORDER BY username COLLATE NOCASE");
    this.adminCountStmt = db.query("SELECT COUNT(*) AS n FROM staff WHERE role = 'admin' AND disabled = 0");
    this.anyAdminStmt = db.query("SELECT COUNT(*) AS n FROM staff WHERE role = 'admin'");
    this.insertStmt = db.query(
      "INSERT INTO staff (username, password_hash, role, created_at, updated_at) VALUES ($username, $hash, $role, $now, $now) RETURNING *",
    );
    this.passwdStmt = db.query(
      "UPDATE staff SET password_hash = $hash, token_version = token_version + 1, updated_at = $now WHERE id = $id RETURNING *",
    );
    this.disableStmt = db.query(
      "UPDATE staff SET disabled = $disabled, token_version = token_version + 1, updated_at = $now WHERE id = $id RETURNING *",
    );
    this.roleStmt = db.query("UPDATE staff SET role = $role, updated_at = $now WHERE id = $id RETURNING *");
    this.bumpStmt = db.query("UPDATE staff SET token_version = token_version + 1, updated_at = $now WHERE id = $id RETURNING *");
  }

  byId(id: number): StaffRow | null {
    return this.byIdStmt.get(id);
  }
  byUsername(username: string): StaffRow | null {
    return this.byNameStmt.get(username);
  }
  list(): StaffRow[] {
    return this.listStmt.all();
  }
  /** An enabled admin exists. */
  hasAdmin(): boolean {
    return this.adminCountStmt.get()!.n > 0;
  }
  /** Any admin account was ever made (even if disabled now): first-run setup is over for good. */
  anyAdmin(): boolean {
    return this.anyAdminStmt.get()!.n > 0;
  }
  enabledAdmins(): number {
    return this.adminCountStmt.get()!.n;
  }

  /** Call inside a write job; hash first (hashing is slow and must not hold the transaction). */
  insert(username: string, hash: string, role: Role, now: number): StaffRow {
    checkUsername(username);
    if (this.byUsername(username)) throw new StaffError("exists", `a staff account named ${username} exists already`);
    return this.insertStmt.get({ username, hash, role, now } as never)!;
  }
  setPassword(id: number, hash: string, now: number): StaffRow {
    const row = this.passwdStmt.get({ id, hash, now } as never);
    if (!row) throw new StaffError("not_found", `no staff account ${id}`);
    return row;
  }
  setRole(id: number, role: Role, now: number): StaffRow {
    const row = this.roleStmt.get({ id, role, now } as never);
    if (!row) throw new StaffError("not_found", `no staff account ${id}`);
    return row;
  }
  /** Ends every session of the account (they carry the old token_version). */
  endSessions(id: number, now: number): StaffRow {
    const row = this.bumpStmt.get({ id, now } as never);
    if (!row) throw new StaffError("not_found", `no staff account ${id}`);
    return row;
  }
  setDisabled(id: number, disabled: boolean, now: number): StaffRow {
    const row = this.disableStmt.get({ id, disabled: disabled ? 1 : 0, now } as never);
    if (!row) throw new StaffError("not_found", `no staff account ${id}`);
    return row;
  }
}

/** Rejects (never throws) for a weak password, so callers can `.catch()` it. */
export async function hashPassword(password: string): Promise<string> {
  checkPassword(password);
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

export function staffView(s: StaffRow) {
  return { id: s.id, username: s.username, role: s.role, disabled: s.disabled === 1, createdAt: s.created_at, updatedAt: s.updated_at };
}
