/** A fixed-window counter per key: at most `max` failures per `windowMs`; tells how long to wait. */
export class RateLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Seconds to wait if `key` is over the limit, else 0. */
  retryAfter(key: string): number {
    const h = this.hits.get(key);
    const now = this.now();
    if (!h || now >= h.resetAt) return 0;
    return h.count >= this.max ? Math.ceil((h.resetAt - now) / 1000) : 0;
  }

  fail(key: string): void {
    const now = this.now();
    const h = this.hits.get(key);
    if (!h || now >= h.resetAt) this.hits.set(key, { count: 1, resetAt: now + this.windowMs });
    else h.count++;
    if (this.hits.size > 10_000) for (const [k, v] of this.hits) if (now >= v.resetAt) this.hits.delete(k);
  }

  /**
   * Counts an attempt before its outcome is known and says how long to wait (0: go ahead).
   * A burst of parallel attempts cannot outrun the limit while each one awaits a slow check.
   */
  take(key: string): number {
    const wait = this.retryAfter(key);
    if (wait === 0) this.fail(key);
    return wait;
  }

  /** Gives back an attempt counted by take() that turned out not to be a failure. */
  refund(key: string): void {
    const h = this.hits.get(key);
    if (h && h.count > 0) h.count--;
  }

  reset(key: string): void {
    this.hits.delete(key);
  }
}
