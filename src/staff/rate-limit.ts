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

/**
 * Failed sign-ins per username, as a growing delay instead of a lock (issue 13, point 8).
 *
 * The first FREE_FAILURES failures cost nothing; after that each attempt must wait
 * 2^(failures - FREE_FAILURES) seconds after the last failure, at most MAX_DELAY_MS. The count is
 * forgotten FORGET_MS after the last failure, on a successful sign-in, when an admin unlocks the
 * account, and when its password is set.
 *
 * An address from which the account has signed in successfully (the front-desk PC) is not held
 * back by the username's delay, so someone guessing elsewhere cannot keep staff out; that address
 * is still limited per address like any other. Kept in memory: a restart forgets it all.
 */
export class SignInThrottle {
  static readonly FREE_FAILURES = 5;
  static readonly MAX_DELAY_MS = 5 * 60 * 1000;
  static readonly FORGET_MS = 60 * 60 * 1000;
  static readonly KNOWN_ADDRESS_MS = 30 * 24 * 3600 * 1000;
  private readonly users = new Map<string, { failures: number; lastFailureAt: number }>();
  private readonly known = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number) {}

  private entry(user: string) {
    const e = this.users.get(user);
    if (e && this.now() - e.lastFailureAt >= SignInThrottle.FORGET_MS) {
      this.users.delete(user);
      return undefined;
    }
    return e;
  }

  private static delayAfter(failures: number): number {
    if (failures < SignInThrottle.FREE_FAILURES) return 0;
    return Math.min(1000 * 2 ** (failures - SignInThrottle.FREE_FAILURES), SignInThrottle.MAX_DELAY_MS);
  }

  /** Epoch ms until which `user` is held back (for addresses it has not signed in from), or 0. */
  throttledUntil(user: string): number {
    const e = this.entry(user);
    if (!e) return 0;
    const until = e.lastFailureAt + SignInThrottle.delayAfter(e.failures);
    return until > this.now() ? until : 0;
  }

  failures(user: string): number {
    return this.entry(user)?.failures ?? 0;
  }

  private knownAddress(user: string, address: string): boolean {
    const at = this.known.get(user)?.get(address);
    return at !== undefined && this.now() - at < SignInThrottle.KNOWN_ADDRESS_MS;
  }

  /**
   * Counts an attempt before the slow password check (as RateLimiter.take does) and says how many
   * seconds to wait first (0: go ahead). succeeded() gives the attempt back.
   */
  take(user: string, address: string): number {
    const now = this.now();
    const until = this.throttledUntil(user);
    if (until > now && !this.knownAddress(user, address)) return Math.ceil((until - now) / 1000);
    const e = this.entry(user);
    if (e) {
      e.failures++;
      e.lastFailureAt = now;
    } else this.users.set(user, { failures: 1, lastFailureAt: now });
    if (this.users.size > 10_000) for (const k of this.users.keys()) this.entry(k);
    return 0;
  }

  /** A correct password: the count is cleared and the address remembered for this user. */
  succeeded(user: string, address: string): void {
    this.users.delete(user);
    let m = this.known.get(user);
    if (!m) this.known.set(user, (m = new Map()));
    m.set(address, this.now());
    if (m.size > 50) m.delete(m.keys().next().value!);
  }

  /** Admin unlock, or a new password. */
  clear(user: string): void {
    this.users.delete(user);
  }
}
