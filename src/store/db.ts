/**
 * The one SQLite connection. Pragmas in this order: busy_timeout first (so even
 * the journal-mode switch waits for a lock instead of failing), WAL,
 * synchronous=FULL (an answer to a device means its data is on disk),
 * foreign_keys=ON, temp_store=MEMORY; auto_vacuum=INCREMENTAL on a new database.
 */
import { Database } from "bun:sqlite";
import { mkdirSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import { migrate, type MigrationResult } from "./migrations/index.ts";

export const DB_FILE = "bodydock.sqlite";

export class DataDirError extends Error {
  constructor(dir: string, why: string) {
    super(`cannot use data folder ${dir}: ${why}`);
    this.name = "DataDirError";
  }
}

/** Creates the data dir if missing; the error says why it cannot be used. */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
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
}

export interface OpenResult {
  db: Database;
  migration: MigrationResult;
}

/** Opens (creating if needed) and migrates the database. Throws SchemaTooNewError for a newer schema. */
export function openDatabase(file: string): OpenResult {
  const db = new Database(file, { create: true, strict: true });
  try {
    applyPragmas(db);
    const migration = migrate(db);
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
