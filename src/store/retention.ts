/**
 * Capture retention in small steps (issue 18). Ordinary device captures older than the retention are
 * deleted in batches, each its own write job, so a device request waits behind at most one batch: the
 * batch size adapts to keep each batch near TARGET_MS (a deleted capture also clears capture_id on its
 * measurements), with a pause between batches. Then, on a database with auto_vacuum=INCREMENTAL (every database created since
 * migration 009; see db.ts), the freed pages are given back to the file system in steps of VACUUM_PAGES.
 */
import type { Database, Statement } from "bun:sqlite";
import type { WriteQueue } from "./write-queue.ts";
import { CapturesRepo } from "./captures-repo.ts";

export const TARGET_MS = 2;
export const MAX_BATCH = 2000;
export const VACUUM_PAGES = 256;
/** Pause between two batches: pruning is never urgent, device requests are (a batch every ~10 ms at most). */
export const PAUSE_MS = 8;

export interface PruneReport {
  deleted: number;
  batches: number;
  /** Longest time one batch held the write queue (its job), ms. */
  longestBatchMs: number;
  /** Median batch time, ms. */
  medianBatchMs: number;
  /** Batches that held the queue for more than 5 ms (a busy machine can stretch any of them). */
  over5ms: number;
  pagesFreed: number;
  ms: number;
}

class Vacuum {
  private readonly modeStmt: Statement<{ auto_vacuum: number }, []>;
  private readonly freeStmt: Statement<{ freelist_count: number }, []>;
  private readonly stepStmt: Statement<unknown, []>;
  constructor(db: Database) {
    this.modeStmt = db.query("PRAGMA auto_vacuum");
    this.freeStmt = db.query("PRAGMA freelist_count");
    this.stepStmt = db.query(`PRAGMA incremental_vacuum(${VACUUM_PAGES})`);
  }
  incremental(): boolean {
    return this.modeStmt.get()!.auto_vacuum === 2;
  }
  free(): number {
    return this.freeStmt.get()!.freelist_count;
  }
  step(): void {
    // A PRAGMA that returns no rows still has to be stepped to the end.
    this.stepStmt.all();
  }
}

/** Capture retention, built once (store/repos.ts, `deps.repos.retention`): its statements are prepared once. */
export class CaptureRetention {
  private readonly vacuum: Vacuum;
  constructor(
    db: Database,
    private readonly captures: CapturesRepo,
  ) {
    this.vacuum = new Vacuum(db);
  }

  /** Deletes ordinary captures received before `before` in adaptive batches, then gives freed pages back. */
  prune(writes: WriteQueue, before: number, opts: { pauseMs?: number } = {}): Promise<PruneReport> {
    return prune(this.captures, this.vacuum, writes, before, opts);
  }
}

/** The same as `deps.repos.retention.prune`, on any database (tests and benches). */
export function pruneCaptures(db: Database, writes: WriteQueue, before: number, opts: { pauseMs?: number } = {}): Promise<PruneReport> {
  return new CaptureRetention(db, new CapturesRepo(db)).prune(writes, before, opts);
}

async function prune(captures: CapturesRepo, vacuum: Vacuum, writes: WriteQueue, before: number, opts: { pauseMs?: number }): Promise<PruneReport> {
  const t0 = performance.now();
  const r: PruneReport = { deleted: 0, batches: 0, longestBatchMs: 0, medianBatchMs: 0, over5ms: 0, pagesFreed: 0, ms: 0 };
  const times: number[] = [];
  const note = (ms: number) => {
    times.push(ms);
    if (ms > r.longestBatchMs) r.longestBatchMs = ms;
    if (ms > 5) r.over5ms++;
  };
  const pauseMs = opts.pauseMs ?? PAUSE_MS;
  const pause = () => (pauseMs > 0 ? Bun.sleep(pauseMs) : Promise.resolve());
  let size = 100;
  for (;;) {
    const { n, ms } = await writes.enqueue(() => {
      const s = performance.now();
      const n = captures.prune(before, size);
      return { n, ms: performance.now() - s };
    });
    r.deleted += n;
    r.batches++;
    note(ms);
    if (n < size) break;
    await pause();
    // Aim each batch at TARGET_MS: grow slowly, shrink at once.
    size = ms > TARGET_MS ? Math.max(10, Math.floor(size * (TARGET_MS / ms) * 0.8)) : Math.min(MAX_BATCH, Math.ceil(size * 1.25));
  }
  if (vacuum.incremental()) {
    while (vacuum.free() > 0) {
      const before = vacuum.free();
      const ms = await writes.enqueue(() => {
        const s = performance.now();
        vacuum.step();
        return performance.now() - s;
      });
      note(ms);
      const after = vacuum.free();
      r.pagesFreed += before - after;
      if (after >= before) break;
      await pause();
    }
  }
  times.sort((a, b) => a - b);
  r.medianBatchMs = times[Math.floor(times.length / 2)] ?? 0;
  r.ms = performance.now() - t0;
  return r;
}
