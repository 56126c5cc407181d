/**
 * The one SQLite connection. Pragmas in this order: busy_timeout first (so even
 * the journal-mode switch waits for a lock instead of failing), WAL,
 * synchronous=FULL (an answer to a device means its data is on disk),
 * foreign_keys=ON, temp_store=MEMORY; auto_vacuum=INCREMENTAL on a new database.
 */
import { Database } from "bun:sqlite";
import { mkdirSync, accessSync, chmodSync, closeSync, constants, existsSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { migrate, MIGRATIONS, type MigrationResult } from "./migrations/index.ts";

export const DB_FILE = "bodydock.sqlite";

export class DataDirError extends Error {
  constructor(dir: string, why: string) {
    super(`cannot use data folder ${dir}: ${why}`);
    this.name = "DataDirError";
  }
}

/** Folder and file modes: the database holds members' health data, so only bodydock's own user may read it. */
export const DATA_DIR_MODE = 0o700;
export const DB_FILE_MODE = 0o600;

/**
 * Creates the data dir if missing (0700); the error says why it cannot be used. An existing
 * folder this user owns is tightened to 0700 too; one it does not own is left as it is.
 */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
    tighten(dir, DATA_DIR_MODE);
  } catch (e) {
    throw new DataDirError(dir, (e as NodeJS.ErrnoException).code === "EACCES" ? "permission denied while creating it" : (e as Error).message);
  }
  try {
    accessSync(dir, constants.W_OK | constants.R_OK);
  } catch {
    throw new DataDirError(dir, "it is not readable and writable by this user");
  }
}

export function dbPath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/** chmod when the path exists, is ours and is looser than `mode`; quiet otherwise (a mounted volume may not allow it). */
function tighten(path: string, mode: number): void {
  try {
    const st = statSync(path);
    if ((st.mode & 0o777 & ~mode) === 0) return;
    if (typeof process.getuid === "function" && st.uid !== process.getuid()) return;
    chmodSync(path, mode);
  } catch {
    /* missing or not ours */
  }
}

/**
 * The database file and its -wal/-shm companions are 0600. The main file is created 0600 before
 * SQLite opens it; SQLite gives -wal and -shm the main file's mode, and existing ones are tightened.
 */
export function restrictDbFiles(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, "a", DB_FILE_MODE));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) tighten(f, DB_FILE_MODE);
}

export function applyPragmas(db: Database): void {
  db.run("PRAGMA busy_timeout = 5000");
  // Takes effect only on a database that has no table yet (a new one): freed pages can then be given back
  // in small steps (`PRAGMA incremental_vacuum`, store/retention.ts). An existing database keeps its mode
  // (only a full VACUUM, which rewrites the file, could change it); a `bodydock backup` of it is written in
  // the new mode, so restoring one converts it (README, "Disk space").
  db.run("PRAGMA auto_vacuum = INCREMENTAL");
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = FULL");
  db.run("PRAGMA foreign_keys = ON");
  // Savepoints (one per write job) and sorts keep their temporary data in memory, not in a temp file.
  db.run("PRAGMA temp_store = MEMORY");
  // SQLite's default page cache is 2 MB; a gym's database is hundreds of MB, and one upload touches the
  // upper pages of five b-trees. 32 MB keeps them (and a staff view's pages) without a read system call.
  db.run("PRAGMA cache_size = -32768");
  // The WAL is reused from its start after each complete checkpoint but keeps the size it once reached: a
  // backup holds checkpoints off while it copies (store/backup.ts), and the WAL can reach hundreds of MB then.
  // Past 64 MB it is cut back at the next reset (normally it stays near 4 MB: wal_autocheckpoint = 1000 pages).
  db.run("PRAGMA journal_size_limit = 67108864");
}

export interface OpenResult {
  db: Database;
  migration: MigrationResult;
}

/** Opens (creating if needed) and migrates the database. Throws SchemaTooNewError for a newer schema. */
export function openDatabase(file: string, now: () => number = Date.now): OpenResult {
  if (file !== ":memory:") restrictDbFiles(file);
  const db = new Database(file, { create: true, strict: true });
  try {
    applyPragmas(db);
    if (file !== ":memory:") restrictDbFiles(file);
    const migration = migrate(db, MIGRATIONS, now);
    return { db, migration };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Checkpoints the WAL into the main file and closes. */
export function closeDatabase(db: Database): void {
  try {
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}
