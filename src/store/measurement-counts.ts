/**
 * Measurements by source and status, for GET /metrics, without reading the whole table on every scrape
 * (issue 18). Measurements are never deleted and never change source, so the total per source is kept
 * and only rows with a higher id than the last count are read (a rowid range); pending and discarded
 * rows come from their partial indexes (migration 009); assigned = total − pending − discarded.
 * The first call after start reads the table once.
 */
import type { Database, Statement } from "bun:sqlite";

export class MeasurementCounts {
  private readonly newerStmt: Statement<{ source: string; n: number; last: number }, [number]>;
  private readonly pendingStmt: Statement<{ source: string; n: number }, []>;
  private readonly discardedStmt: Statement<{ source: string; n: number }, []>;
  private readonly totals = new Map<string, number>();
  private watermark = 0;

  constructor(db: Database) {
    this.newerStmt = db.query("SELECT source, COUNT(*) AS n, MAX(id) AS last FROM measurements WHERE id > ? GROUP BY source");
    this.pendingStmt = db.query("SELECT source, COUNT(*) AS n FROM measurements WHERE status = 'unassigned' GROUP BY source");
    this.discardedStmt = db.query("SELECT source, COUNT(*) AS n FROM measurements WHERE status = 'discarded' GROUP BY source");
  }

  /** [source, status, count] sorted by source then status; only non-zero counts. */
  bySourceAndStatus(): Array<{ source: string; status: string; n: number }> {
    for (const r of this.newerStmt.all(this.watermark)) {
      this.totals.set(r.source, (this.totals.get(r.source) ?? 0) + r.n);
      if (r.last > this.watermark) this.watermark = r.last;
    }
    const pending = new Map(this.pendingStmt.all().map((r) => [r.source, r.n]));
    const discarded = new Map(this.discardedStmt.all().map((r) => [r.source, r.n]));
    const out: Array<{ source: string; status: string; n: number }> = [];
    for (const source of [...this.totals.keys()].sort()) {
      const p = pending.get(source) ?? 0;
      const d = discarded.get(source) ?? 0;
      const a = this.totals.get(source)! - p - d;
      if (a > 0) out.push({ source, status: "assigned", n: a });
      if (d > 0) out.push({ source, status: "discarded", n: d });
      if (p > 0) out.push({ source, status: "unassigned", n: p });
    }
    return out;
  }
}
