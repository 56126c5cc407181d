/**
 * Write queue with group commit.
 *
 * Every durable write goes through `enqueue(fn)`. Jobs that arrive while a
 * transaction is being committed wait and are committed together in the next
 * one. Each job runs inside its own SAVEPOINT: a job that throws is rolled back
 * alone and its caller gets the error, while the other jobs of the batch still
 * commit. A caller's promise resolves only after the COMMIT that contains its
 * job has returned; with synchronous=FULL that means the data is on disk.
 *
 * bun:sqlite is synchronous, so "while committing" is literal: the event loop is
 * blocked in fsync, requests pile up, and the next flush takes them all.
 */
import type { Database, Statement } from "bun:sqlite";

type Job = {
  fn: (db: Database) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
};

/** The last write that failed because of the store itself (disk full, I/O error, read-only file), for /healthz. */
export interface StoreFailure {
  /** SQLite's code, e.g. SQLITE_FULL. */
  code: string;
  message: string;
  /** Epoch ms (wall clock). */
  at: number;
}

/**
 * SQLite codes that mean the store cannot take writes, as opposed to one job's own error (a
 * constraint, an AppError): they turn /healthz red until a write succeeds again.
 */
const STORE_FAILURES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|NOMEM|PROTOCOL|BUSY|LOCKED)/;

export function isStoreFailure(e: unknown): e is Error & { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && STORE_FAILURES.test(code);
}

export interface WriteQueueStats {
  batches: number;
  jobs: number;
  largestBatch: number;
}

export class WriteQueue {
  private pending: Job[] = [];
  private scheduled = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  readonly stats: WriteQueueStats = { batches: 0, jobs: 0, largestBatch: 0 };
  /** Set when a write failed because of the store; cleared by the next commit in which a job succeeded. */
  lastFailure: StoreFailure | null = null;

  /** Transaction control statements, prepared once (db.run would compile them on every call). */
  private readonly sql: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Statement>;

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 1000,
  ) {
    this.sql = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT job"),
      release: db.prepare("RELEASE job"),
      rollbackTo: db.prepare("ROLLBACK TO job"),
    };
  }

  get depth(): number {
    return this.pending.length;
  }

  /** True once close() has begun: the database may be closed right after (background work stops touching it). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `fn` inside the next group transaction; resolves after that transaction is committed. */
  enqueue<T>(fn: (db: Database) => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error("write queue is closed"));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every request that is already readable enqueue first.
    setImmediate(() => this.flush());
  }

  /** Commits everything pending now. Normally called by the scheduler. */
  flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.commitBatch(batch);
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private commitBatch(batch: Job[]): void {
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.sql.begin.run();
    } catch (error) {
      this.noteFailure(error);
      for (const job of batch) job.reject(error);
      return;
    }
    for (const job of batch) {
      this.sql.savepoint.run();
      try {
        const value = job.fn(this.db);
        this.sql.release.run();
        results.push({ ok: true, value });
      } catch (error) {
        this.sql.rollbackTo.run();
        this.sql.release.run();
        results.push({ ok: false, error });
      }
    }
    try {
      this.sql.commit.run();
    } catch (error) {
      this.noteFailure(error);
      try {
        this.sql.rollback.run();
      } catch {
        /* already rolled back */
      }
      for (const job of batch) job.reject(error);
      return;
    }
    // Healthy again only when something was really written; a batch of store failures keeps the last one.
    let wrote = false;
    for (const r of results) {
      if (r.ok) wrote = true;
      else this.noteFailure(r.error);
    }
    if (wrote && !results.some((r) => !r.ok && isStoreFailure(r.error))) this.lastFailure = null;
    this.stats.batches++;
    this.stats.jobs += batch.length;
    if (batch.length > this.stats.largestBatch) this.stats.largestBatch = batch.length;
    batch.forEach((job, i) => {
      const r = results[i]!;
      if (r.ok) job.resolve(r.value);
      else job.reject(r.error);
    });
  }

  private noteFailure(error: unknown): void {
    if (isStoreFailure(error)) this.lastFailure = { code: error.code, message: error.message, at: Date.now() };
  }

  /** Resolves once nothing is pending (used on graceful stop). */
  drain(): Promise<void> {
    if (this.pending.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((r) => {
      this.idleWaiters.push(r);
      this.schedule();
    });
  }

  /** Commits what is queued, then refuses new work. */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
  }
}
