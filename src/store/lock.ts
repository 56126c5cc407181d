/**
 * The data-dir lock: one running server per data folder (issue 13, point 7).
 *
 * `serve` holds an exclusive SQLite lock on `<dataDir>/bodydock.lock` for as long as it runs.
 * SQLite locks are POSIX record locks: the kernel drops them when the process ends, however it
 * ends (SIGKILL, power loss), so there is never a stale lock file to delete by hand. A second
 * `serve` on the same folder gets SQLITE_BUSY at once and exits with a plain message.
 *
 * Only `serve` takes it: `bodydock staff`, `backup` and `migrate` stay usable beside a running
 * server (restore has its own check, store/backup.ts).
 */
import { Database } from "bun:sqlite";
import { chmodSync, closeSync, openSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "bodydock.lock";

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`another bodydock is already running on the data folder ${dataDir}; stop it first (two servers on one database would split the devices' traffic between them)`);
    this.name = "DataDirLockedError";
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  closeSync(openSync(file, "a", 0o600));
  const db = new Database(file);
  try {
    db.run("PRAGMA busy_timeout = 0");
    db.run("PRAGMA locking_mode = EXCLUSIVE");
    // The write lock is taken by the first write and, in EXCLUSIVE locking mode, kept until the connection closes.
    db.run("BEGIN EXCLUSIVE");
    db.run("CREATE TABLE IF NOT EXISTS holder (pid INTEGER, since INTEGER)");
    db.run("DELETE FROM holder");
    db.run("INSERT INTO holder VALUES (?, ?)", [process.pid, Date.now()]);
    db.run("COMMIT");
  } catch (e) {
    db.close();
    if (/SQLITE_BUSY|database is locked/i.test(`${(e as { code?: string }).code ?? ""} ${(e as Error).message}`)) throw new DataDirLockedError(dataDir);
    throw e;
  }
  try {
    chmodSync(file, 0o600);
  } catch {
    /* not ours to change: the lock still works */
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
