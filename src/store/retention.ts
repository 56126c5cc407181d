/**
 * Retention in small steps (issue 18): ordinary device captures and outbox events older than their
 * retention are deleted in batches, each its own write job, so a device request waits behind at most one
 * batch: the batch size adapts to keep each batch near TARGET_MS (a deleted capture also clears capture_id
 * on its measurements; a deleted event takes its deliveries), with a pause between batches. Then, on a
 * database with auto_vacuum=INCREMENTAL (every database created since migration 009; see db.ts), the freed
 * pages are given back to the file system in steps of at most VACUUM_PAGES, sized the same way.
 */
import type { Database, Statement } from "bun:sqlite";
import type { WriteQueue } from "./write-queue.ts";
import { CapturesRepo } from "./captures-repo.ts";
import type { OutboxRepo } from "./outbox-repo.ts";

export const TARGET_MS = 2;
export const MAX_BATCH = 2000;
/** Most pages one incremental-vacuum step moves. */
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
  /** Incremental-vacuum steps, and the pages the first and the largest one gave back. */
  vacuumSteps: number;
  firstStepPages: number;
  largestStepPages: number;
  ms: number;
}

class Vacuum {
  private readonly modeStmt: Statement<{ auto_vacuum: number }, []>;
  private readonly freeStmt: Statement<{ freelist_count: number }, []>;
  private readonly steps = new Map<number, Statement<unknown, []>>();
  constructor(private readonly db: Database) {
    this.modeStmt = db.query("PRAGMA auto_vacuum");
    this.freeStmt = db.query("PRAGMA freelist_count");
  }
  incremental(): boolean {
    return this.modeStmt.get()!.auto_vacuum === 2;
  }
  free(): number {
    return this.freeStmt.get()!.freelist_count;
  }
  step(pages: number): void {
    // A PRAGMA that returns no rows still has to be stepped to the end. Its argument cannot be bound.
    let stmt = this.steps.get(pages);
    if (!stmt) this.steps.set(pages, (stmt = this.db.query(`PRAGMA incremental_vacuum(${Math.floor(pages)})`)));
    stmt.all();
  }
}

/** Deletes up to `limit` of the oldest expired rows and returns how many went. Called inside a write job. */
type BatchDelete = (limit: number) => number;

/**
 * Retention, built once (store/repos.ts, `deps.repos.retention`): its statements are prepared once.
 * Captures (hourly, server.ts) and outbox events (hourly, integrations/index.ts).
 */
export class CaptureRetention {
  private readonly vacuum: Vacuum;
  constructor(
    db: Database,
    private readonly captures: CapturesRepo,
    private readonly outbox: OutboxRepo | null = null,
  ) {
    this.vacuum = new Vacuum(db);
  }

  /** Deletes ordinary captures received before `before` in adaptive batches, then gives freed pages back. */
  prune(writes: WriteQueue, before: number, opts: { pauseMs?: number } = {}): Promise<PruneReport> {
    return pruneInBatches(this.vacuum, writes, (limit) => this.captures.prune(before, limit), opts);
  }

  /**
   * Outbox events created before `before` that no endpoint still has pending (issue 17's retention), in the
   * same batches. It was one DELETE in one write job: on a database holding a year of events, or after the
   * retention was lowered, that held the write queue (and the event loop) for seconds (9.3 s for 460,000
   * events of the 3-year bench dataset), and the 200,000 pages it freed were then given back in 6.5 ms steps
   * for 24 s.
   */
  pruneOutbox(writes: WriteQueue, before: number, opts: { pauseMs?: number } = {}): Promise<PruneReport> {
    const outbox = this.outbox;
    if (!outbox) throw new Error("this retention was built without the outbox");
    let from = 0;
    return pruneInBatches(
      this.vacuum,
      writes,
      (limit) => {
        const b = outbox.pruneBatch(before, limit, from);
        from = b.next;
        return b.deleted;
      },
      opts,
    );
  }
}

/** The same as `deps.repos.retention.prune`, on any database (tests and benches). */
export function pruneCaptures(db: Database, writes: WriteQueue, before: number, opts: { pauseMs?: number } = {}): Promise<PruneReport> {
  return new CaptureRetention(db, new CapturesRepo(db)).prune(writes, before, opts);
}

/**
 * The batching both prunes share: each batch its own write job, sized to hold the write queue about
 * TARGET_MS, with a pause between batches; then, on a database with auto_vacuum=INCREMENTAL, the freed
 * pages go back to the file system in steps sized the same way (a step moves pages from the end of the
 * file into the holes and rewrites their parents: 256 pages took ~6.5 ms a step on a 1.2 GB file, so it
 * starts at 32 and adapts).
 */
async function pruneInBatches(vacuum: Vacuum, writes: WriteQueue, deleteBatch: BatchDelete, opts: { pauseMs?: number }): Promise<PruneReport> {
  const t0 = performance.now();
  const r: PruneReport = { deleted: 0, batches: 0, longestBatchMs: 0, medianBatchMs: 0, over5ms: 0, pagesFreed: 0, vacuumSteps: 0, firstStepPages: 0, largestStepPages: 0, ms: 0 };
  const times: number[] = [];
  const note = (ms: number) => {
    times.push(ms);
    if (ms > r.longestBatchMs) r.longestBatchMs = ms;
    if (ms > 5) r.over5ms++;
  };
  const pauseMs = opts.pauseMs ?? PAUSE_MS;
  const pause = () => (pauseMs > 0 ? Bun.sleep(pauseMs) : Promise.resolve());
  // Aim each batch at TARGET_MS: grow slowly, shrink at once.
  const adapt = (size: number, ms: number, min: number, max: number) =>
    ms > TARGET_MS ? Math.max(min, Math.floor(size * (TARGET_MS / ms) * 0.8)) : Math.min(max, Math.ceil(size * 1.25));
  let size = 100;
  for (;;) {
    const { n, ms } = await writes.enqueue(() => {
      const s = performance.now();
      const n = deleteBatch(size);
      return { n, ms: performance.now() - s };
    });
    r.deleted += n;
    r.batches++;
    note(ms);
    if (n < size) break;
    await pause();
    size = adapt(size, ms, 10, MAX_BATCH);
  }
  // Between two jobs the server may have stopped: the database is closed then, and the next start carries on.
  if (!writes.isClosed && vacuum.incremental()) {
    let pages = 32;
    while (!writes.isClosed && vacuum.free() > 0) {
      const before = vacuum.free();
      const n = pages;
      const ms = await writes.enqueue(() => {
        const s = performance.now();
        vacuum.step(n);
        return performance.now() - s;
      });
      note(ms);
      if (writes.isClosed) break;
      const after = vacuum.free();
      // Another prune running at the same time (captures and outbox start together) may have freed more
      // pages meanwhile: then this loop stops, and that prune's own loop gives them back.
      if (after >= before) break;
      r.pagesFreed += before - after;
      if (r.vacuumSteps++ === 0) r.firstStepPages = before - after;
      if (before - after > r.largestStepPages) r.largestStepPages = before - after;
      await pause();
      pages = adapt(pages, ms, 8, VACUUM_PAGES);
    }
  }
  times.sort((a, b) => a - b);
  r.medianBatchMs = times[Math.floor(times.length / 2)] ?? 0;
  r.ms = performance.now() - t0;
  return r;
}
