/** Request counters and latency percentiles for the simulator's live and final summaries. */
export class Stats {
  private readonly lat = new Map<string, number[]>();
  readonly requests = new Map<string, number>();
  readonly errors = new Map<string, number>();
  readonly statuses = new Map<number, number>();

  record(role: string, ms: number, status: number | null): void {
    this.requests.set(role, (this.requests.get(role) ?? 0) + 1);
    let l = this.lat.get(role);
    if (!l) this.lat.set(role, (l = []));
    l.push(ms);
    if (status === null || status >= 500) this.errors.set(role, (this.errors.get(role) ?? 0) + 1);
    if (status !== null) this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  percentiles(role: string): { p50: number; p95: number; p99: number } {
    const l = [...(this.lat.get(role) ?? [])].sort((a, b) => a - b);
    const p = (q: number) => (l.length ? l[Math.min(l.length - 1, Math.floor(q * l.length))]! : 0);
    return { p50: p(0.5), p95: p(0.95), p99: p(0.99) };
  }

  line(elapsedS: number): string {
    const roles = [...this.requests.keys()].sort();
    const parts = roles.map((r) => {
      const { p50, p99 } = this.percentiles(r);
      return `${r} ${this.requests.get(r)} req, ${this.errors.get(r) ?? 0} err, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`;
    });
    return `[${elapsedS.toFixed(0).padStart(4)} s] ${parts.join(" | ") || "no requests yet"}`;
  }

  get totalErrors(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}
