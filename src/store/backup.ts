/**
 * Online backup and offline restore.
 *
 * backup: a consistent copy while the server runs. `VACUUM INTO` reads a snapshot and rebuilds every
 * b-tree into the new file (CPU for every row and index entry; on the 2 GB bench database it took the
 * server's ingest p99 from 39 to 146 ms). `bodydock backup` (another process) copies the pages instead
 * (copyPages): it checkpoints, then holds a shared lock on the WAL's read-mark 0 (SQLite's own lock
 * protocol, in the -shm file) so no checkpoint can write into the main file, and copies that file in
 * paced chunks; the server keeps committing to the WAL meanwhile. An older database without
 * auto_vacuum=INCREMENTAL still goes through VACUUM INTO, which writes the copy in that mode.
 * restore: only while the server is stopped. The file is checked first
 * (SQLite header, `PRAGMA integrity_check`, schema version not newer than this
 * binary); the replaced database is kept as a dated copy.
 */
import { Database } from "bun:sqlite";
import { existsSync, linkSync, renameSync, copyFileSync, unlinkSync, openSync, closeSync, readSync, rmSync, writeSync, fdatasyncSync, fstatSync, fsyncSync } from "node:fs";
import { dirname } from "node:path";
import { LATEST_VERSION, SchemaTooNewError } from "./migrations/index.ts";
import { applyPragmas } from "./db.ts";

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

/**
 * How a backup or a restore makes its file, and then the directory entry that names it, durable. A copy
 * that is only in the page cache is lost with the power, and a rename is only durable once its directory
 * is flushed. Tests pass their own to see what is flushed, and when.
 */
export interface Flush {
  file(path: string): void;
  dir(path: string): void;
}

function fsyncPath(path: string, flags: "r" | "r+", fsync: (fd: number) => void = fsyncSync): void {
  const fd = openSync(path, flags);
  try {
    fsync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Flushes a directory. Some file systems a box may keep its data on (network shares, some container
 * volume drivers) refuse fsync on a directory (EINVAL, ENOTSUP); there the rename is as durable as
 * that file system makes it, and the restore or backup must not report a failure it did not have
 * (PostgreSQL's fsync_fname does the same). A real I/O error still throws.
 */
export function flushDir(path: string, fsync: (fd: number) => void = fsyncSync): void {
  try {
    fsyncPath(path, "r", fsync);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EINVAL" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "EISDIR" || code === "EBADF") return;
    throw e;
  }
}

export const DISK: Flush = {
  file: (path) => fsyncPath(path, "r+"),
  dir: (path) => flushDir(path),
};

export interface BackupOptions {
  /**
   * Copy pages in paced chunks under a read-mark-0 lock instead of VACUUM INTO (falls back to VACUUM INTO
   * when it cannot: no WAL, auto_vacuum not INCREMENTAL, no lock). Only from a process that has no other
   * connection to this database open: closing the lock's file would drop that connection's POSIX locks.
   */
  pages?: boolean;
  /** Bytes per chunk (default 1 MiB), pause after each chunk (default 2 ms), fdatasync every N bytes (default 2 MiB). */
  chunkBytes?: number;
  pauseMs?: number;
  syncBytes?: number;
  flush?: Flush;
}

export interface BackupReport {
  method: "pages" | "vacuum";
  /** Why VACUUM INTO was used when pages were asked for. */
  fallback?: string;
  bytes: number;
  ms: number;
}

export function backupTo(dbFile: string, target: string, opts: BackupOptions = {}): BackupReport {
  if (!existsSync(dbFile)) throw new BackupError(`no database at ${dbFile}`);
  if (existsSync(target)) throw new BackupError(`${target} already exists; choose a new file name`);
  const t0 = performance.now();
  const flush = opts.flush ?? DISK;
  // Created empty and 0600 first (VACUUM INTO accepts an empty file): a backup holds the same health data as the database.
  closeSync(openSync(target, "wx", 0o600));
  let fallback: string | undefined;
  try {
    if (opts.pages) {
      const r = copyPages(dbFile, target, opts);
      if (typeof r === "number") {
        // copyFile flushed the pages; the new file's name is flushed here.
        flush.dir(dirname(target));
        return { method: "pages", bytes: r, ms: performance.now() - t0 };
      }
      fallback = r.why;
    }
    const db = new Database(dbFile, { readonly: false });
    try {
      db.run("PRAGMA busy_timeout = 5000");
      // The copy is written with auto_vacuum=INCREMENTAL whatever the source has (this changes nothing in the
      // source): restoring a backup is how an older database gets the mode that gives freed space back.
      db.run("PRAGMA auto_vacuum = INCREMENTAL");
      db.run("VACUUM INTO ?", [target]);
    } finally {
      db.close();
    }
    // Whatever of VACUUM INTO's output is still in the page cache goes to disk, then the new name.
    flush.file(target);
    flush.dir(dirname(target));
    return { method: "vacuum", fallback, bytes: fstatSize(target), ms: performance.now() - t0 };
  } catch (e) {
    rmSync(target, { force: true });
    throw e;
  }
}

function fstatSize(file: string): number {
  const fd = openSync(file, "r");
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL lock bytes in the -shm file (wal.c: WALINDEX_LOCK_OFFSET 120; WAL_READ_LOCK(0) is lock 3). */
const SHM_READ_MARK_0 = 123;

type Fcntl = (fd: number, cmd: number, arg: NodeJS.TypedArray) => number;
let fcntlFn: Fcntl | null | undefined;

/** libc's fcntl through bun:ffi, on 64-bit Linux with glibc; null elsewhere (then VACUUM INTO is used). */
function libcFcntl(): Fcntl | null {
  if (fcntlFn !== undefined) return fcntlFn;
  fcntlFn = null;
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return null;
  try {
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", { fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 } });
    fcntlFn = (f, cmd, arg) => libc.symbols.fcntl(f, cmd, ptr(arg));
  } catch {
    /* no glibc: VACUUM INTO */
  }
  return fcntlFn;
}

/**
 * A shared open-file-description lock (F_OFD_SETLK, Linux) on one byte of the -shm file: SQLite's own
 * fcntl locks conflict with it, so a checkpointer, which must take read-mark 0 exclusively to write into
 * the main file, backs off (a PASSIVE auto-checkpoint returns at once; the WAL keeps growing meanwhile).
 * Null while a checkpoint holds the byte (the caller retries).
 */
function ofdReadLock(fcntl: Fcntl, fd: number, byte: number): (() => void) | null {
  const F_OFD_SETLK = 37;
  const F_RDLCK = 0;
  const F_UNLCK = 2;
  // struct flock on 64-bit Linux: short l_type, short l_whence, (pad), off_t l_start, off_t l_len, pid_t l_pid (0 for OFD locks).
  const flock = (type: number) => {
    const b = new ArrayBuffer(32);
    const v = new DataView(b);
    v.setInt16(0, type, true);
    v.setInt16(2, 0, true); // SEEK_SET
    v.setBigInt64(8, BigInt(byte), true);
    v.setBigInt64(16, 1n, true);
    return new Uint8Array(b);
  };
  if (fcntl(fd, F_OFD_SETLK, flock(F_RDLCK)) !== 0) return null;
  return () => void fcntl(fd, F_OFD_SETLK, flock(F_UNLCK));
}

/**
 * The paced page copy. Returns the bytes written, or why it could not be used (nothing written then).
 * The main file is consistent while no checkpoint runs: a checkpoint writes its frames into it under an
 * exclusive read-mark-0 lock and is complete when it lets go. So: checkpoint everything committed so far
 * (the copy then holds every write acknowledged before the backup started), take read-mark 0 shared (retry
 * while a checkpoint of the server holds it), copy the pages the header counts, let go.
 *
 * Order of closing: the lock is on a descriptor of the -shm file of our own, and closing any descriptor of a
 * file drops all of this process's POSIX locks on it, SQLite's included. So our connection (kept open during
 * the copy: it keeps the -shm in place when no server runs) is closed first, our descriptor last.
 */
function copyPages(dbFile: string, target: string, opts: BackupOptions): number | { why: string } {
  const db = new Database(dbFile, { readonly: false });
  let shmFd: number | null = null;
  try {
    db.run("PRAGMA busy_timeout = 5000");
    if ((db.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode !== "wal") return { why: "not in WAL mode" };
    if ((db.query("PRAGMA auto_vacuum").get() as { auto_vacuum: number }).auto_vacuum !== 2) return { why: "auto_vacuum is not INCREMENTAL (VACUUM INTO converts it)" };
    const pageSize = (db.query("PRAGMA page_size").get() as { page_size: number }).page_size;
    // busy, frames in the WAL, frames written into the main file: complete when the last two match.
    let done = false;
    for (let i = 0; i < 50 && !done; i++) {
      const c = db.query("PRAGMA wal_checkpoint(PASSIVE)").get() as { busy: number; log: number; checkpointed: number };
      done = c.busy === 0 && c.log === c.checkpointed;
      if (!done) Bun.sleepSync(20);
    }
    if (!done) return { why: "a reader kept the WAL from being checkpointed" };
    const shm = `${dbFile}-shm`;
    if (!existsSync(shm)) return { why: "no -shm file" };
    shmFd = openSync(shm, "r");
    let release: (() => void) | null = null;
    const fcntl = libcFcntl();
    if (!fcntl) return { why: "no open-file-description locks here (64-bit Linux with glibc only)" };
    for (let i = 0; i < 500 && !release; i++) {
      release = ofdReadLock(fcntl, shmFd, SHM_READ_MARK_0);
      if (!release) Bun.sleepSync(2); // a checkpoint of the server is writing: its frames are complete when it lets go
    }
    if (!release) return { why: "could not take the WAL read lock" };
    let bytes: number;
    try {
      bytes = copyFile(dbFile, target, pageSize, opts);
    } finally {
      release();
    }
    // The WAL grew during the copy (nothing could be checkpointed): write it into the main file from here,
    // at this process's priority, rather than leave it to the server's next auto-checkpoint, which runs
    // on its event loop (a server checkpoint meanwhile finds the checkpoint lock taken and skips).
    for (let i = 0; i < 20; i++) {
      const c = db.query("PRAGMA wal_checkpoint(PASSIVE)").get() as { busy: number; log: number; checkpointed: number };
      if (c.busy === 0 && c.log === c.checkpointed) break;
    }
    return bytes;
  } finally {
    db.close();
    if (shmFd !== null) closeSync(shmFd);
  }
}

function copyFile(dbFile: string, target: string, pageSize: number, opts: BackupOptions): number {
  const src = openSync(dbFile, "r");
  const out = openSync(target, "r+");
  try {
    const head = Buffer.alloc(100);
    readSync(src, head, 0, 100, 0);
    // In-header page count, valid when the change counter matches "version valid for" (always, since 3.7.0).
    const pages = head.readUInt32BE(24) === head.readUInt32BE(92) && head.readUInt32BE(28) > 0 ? head.readUInt32BE(28) : Math.ceil(fstatSync(src).size / pageSize);
    const total = pages * pageSize;
    const chunk = Math.max(pageSize, Math.floor((opts.chunkBytes ?? 1 << 20) / pageSize) * pageSize);
    const pauseMs = opts.pauseMs ?? 2;
    // 2 MiB: each flush of the copy is a few ms of disk time, which a device's commit (its fsync queued behind
    // it) can wait out. Uploads at 100/s during a backup of the 1M database: p99 22 and 21 ms with 16 MiB, 13 and
    // 10.5 ms with 2 MiB (bench/README.md, "Backups at size").
    const syncBytes = opts.syncBytes ?? 2 << 20;
    const buf = Buffer.alloc(chunk);
    let unsynced = 0;
    for (let at = 0; at < total; at += chunk) {
      const n = Math.min(chunk, total - at);
      let got = 0;
      while (got < n) {
        const r = readSync(src, buf, got, n - got, at + got);
        if (r === 0) throw new BackupError(`${dbFile} is shorter than its header says`);
        got += r;
      }
      if (at === 0) {
        // The copy is a rollback-journal database, like VACUUM INTO's: it opens without -wal/-shm files
        // (read-only too); the server switches it back to WAL after a restore.
        buf[18] = 1;
        buf[19] = 1;
      }
      writeSync(out, buf, 0, n, at);
      unsynced += n;
      // Written back in small steps, so the disk never has a burst of backup pages queued in front of the server's fsyncs.
      if (unsynced >= syncBytes) {
        fdatasyncSync(out);
        unsynced = 0;
      }
      if (pauseMs > 0) Bun.sleepSync(pauseMs);
    }
    fdatasyncSync(out);
    return total;
  } finally {
    closeSync(src);
    closeSync(out);
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
export function restoreFrom(dbFile: string, backup: string, now = new Date(), flush: Flush = DISK): string | null {
  checkBackup(backup);
  if (databaseInUse(dbFile)) throw new BackupError("the database is in use: stop the bodydock server first, then restore");
  // The copy is made, and on disk, before the live database is touched: a copy that fails (a full disk, an
  // I/O error) leaves the database where it was, so the server does not start on an empty one. On disk
  // before it takes the database's name: a power cut after the restore must not leave an empty or partial
  // database. It also keeps the write-back of the whole copy out of the server's first seconds
  // (bench/README.md, "Session 6": answering 0.43 s after a 460 MiB restore instead of 0.74 s).
  const tmp = `${dbFile}.restoring`;
  try {
    copyFileSync(backup, tmp);
    flush.file(tmp);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  let kept: string | null = null;
  if (existsSync(dbFile)) {
    // Fold any WAL into the main file so the kept copy is complete.
    try {
      const old = new Database(dbFile);
      try {
        applyPragmas(old);
        old.run("PRAGMA wal_checkpoint(TRUNCATE)");
      } finally {
        old.close();
      }
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    // A second restore within the same second must not replace the first one's kept database.
    kept = `${dbFile}.replaced-${stamp(now)}`;
    for (let n = 2; existsSync(kept); n++) kept = `${dbFile}.replaced-${stamp(now)}-${n}`;
    // The old database gets its kept name as a second link, so the live name always names a whole
    // database: the old one until the rename below replaces it in one step. A file system without hard
    // links gets two renames, with an instant between them where the live name names nothing.
    try {
      linkSync(dbFile, kept);
    } catch {
      renameSync(dbFile, kept);
    }
    // Checkpointed and closed above: its -wal is empty and its -shm stale; neither may meet the new file.
    for (const ext of ["-wal", "-shm"]) if (existsSync(dbFile + ext)) unlinkSync(dbFile + ext);
  }
  renameSync(tmp, dbFile);
  // The kept name and the restored database are durable together.
  flush.dir(dirname(dbFile));
  return kept;
}
