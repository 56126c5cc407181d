/**
 * Online backup and offline restore.
 *
 * backup: `VACUUM INTO` gives a consistent copy while the server runs (it reads
 * a snapshot; WAL writers are not blocked for long).
 * restore: only while the server is stopped. The file is checked first
 * (SQLite header, `PRAGMA integrity_check`, schema version not newer than this
 * binary); the replaced database is kept as a dated copy.
 */
import { Database } from "bun:sqlite";
import { existsSync, renameSync, copyFileSync, unlinkSync, openSync, closeSync, readSync, rmSync } from "node:fs";
import { LATEST_VERSION, SchemaTooNewError } from "./migrations/index.ts";
import { applyPragmas } from "./db.ts";

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

export function backupTo(dbFile: string, target: string): void {
  if (!existsSync(dbFile)) throw new BackupError(`no database at ${dbFile}`);
  if (existsSync(target)) throw new BackupError(`${target} already exists; choose a new file name`);
  // Created empty and 0600 first (VACUUM INTO accepts an empty file): a backup holds the same health data as the database.
  closeSync(openSync(target, "wx", 0o600));
  const db = new Database(dbFile, { readonly: false });
  try {
    db.run("PRAGMA busy_timeout = 5000");
    // The copy is written with auto_vacuum=INCREMENTAL whatever the source has (this changes nothing in the
    // source): restoring a backup is how an older database gets the mode that gives freed space back.
    db.run("PRAGMA auto_vacuum = INCREMENTAL");
    db.run("VACUUM INTO ?", [target]);
  } catch (e) {
    rmSync(target, { force: true });
    throw e;
  } finally {
    db.close();
  }
}

export interface CheckResult {
  schemaVersion: number;
}

/** Validates a backup file without changing it. */
export function checkBackup(file: string): CheckResult {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  const head = Buffer.alloc(16);
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString("latin1") !== "SQLite format 3\0") throw new BackupError(`${file} is not an SQLite database`);
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.query("PRAGMA integrity_check").all() as Array<{ integrity_check: string }>;
    if (rows.length !== 1 || rows[0]!.integrity_check !== "ok") {
      throw new BackupError(`${file} failed the integrity check: ${rows.map((r) => r.integrity_check).slice(0, 5).join("; ")}`);
    }
    const version = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    if (version > LATEST_VERSION) throw new SchemaTooNewError(version, LATEST_VERSION);
    const hasMigrations = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!hasMigrations) throw new BackupError(`${file} is not a bodydock database (no schema_migrations table)`);
    return { schemaVersion: version };
  } finally {
    db.close();
  }
}

/** True if another process holds the database (a running server). */
export function databaseInUse(dbFile: string): boolean {
  if (!existsSync(dbFile)) return false;
  const db = new Database(dbFile);
  try {
    db.run("PRAGMA busy_timeout = 0");
    // An exclusive lock fails while any other connection has the file open in WAL mode with a read or write lock.
    db.run("PRAGMA locking_mode = EXCLUSIVE");
    db.run("BEGIN EXCLUSIVE");
    db.run("COMMIT");
    return false;
  } catch {
    return true;
  } finally {
    db.close();
  }
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Replaces dbFile with the backup; returns the path of the kept previous database (or null). */
export function restoreFrom(dbFile: string, backup: string, now = new Date()): string | null {
  checkBackup(backup);
  if (databaseInUse(dbFile)) throw new BackupError("the database is in use: stop the bodydock server first, then restore");
  let kept: string | null = null;
  if (existsSync(dbFile)) {
    // Fold any WAL into the main file so the kept copy is complete.
    const old = new Database(dbFile);
    try {
      applyPragmas(old);
      old.run("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      old.close();
    }
    kept = `${dbFile}.replaced-${stamp(now)}`;
    renameSync(dbFile, kept);
    for (const ext of ["-wal", "-shm"]) if (existsSync(dbFile + ext)) unlinkSync(dbFile + ext);
  }
  const tmp = `${dbFile}.restoring`;
  copyFileSync(backup, tmp);
  renameSync(tmp, dbFile);
  return kept;
}
