/**
 * Device last-seen writes, at most one a second per device (issue 18). A device that calls again within a
 * second with the same details (address, versions, battery, ...) is not written again: its last-seen time
 * is kept in memory, and the staff views read it from here (`lastSeen`), so "online" stays exact. Anything
 * that changed is written at once. One throttle per store (store/repos.ts), shared by every repository on it.
 *
 * A write that was rolled back (its job failed) leaves the throttle believing it happened: the next write of
 * that device is then at most a second late, and the callers re-read the row, so nothing is lost but a second.
 */

export const SEEN_WRITE_INTERVAL_MS = 1000;

interface Entry {
  writtenAt: number;
  /** A hash of the details, not the details: a device's fields can be kilobytes (fuzzing found this). */
  sig: number | bigint;
  lastSeen: number;
}

/** At most this many devices are remembered (made-up device keys cannot grow the map without bound). */
const MAX_ENTRIES = 10_000;

export class SeenThrottle {
  private readonly entries = new Map<string, Entry>();

  /** True when the row must be written now; otherwise the call is only noted in memory. */
  mustWrite(key: string, sig: string, now: number): boolean {
    const e = this.entries.get(key);
    if (e && e.sig === Bun.hash(sig) && now >= e.writtenAt && now - e.writtenAt < SEEN_WRITE_INTERVAL_MS) {
      if (now > e.lastSeen) e.lastSeen = now;
      return false;
    }
    return true;
  }

  /** Records that the row was written with these details at `now`. */
  written(key: string, sig: string, now: number): void {
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(key)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { writtenAt: now, sig: Bun.hash(sig), lastSeen: now });
  }

  /** The latest time the device was heard from, counting calls not written yet (or the stored time). */
  lastSeen(key: string, stored: number): number {
    const e = this.entries.get(key);
    // Memory adds only calls not written yet to the row this process wrote; a row changed by other means
    // (a restore, a repair) is the truth as it is.
    return e && stored >= e.writtenAt && e.lastSeen > stored ? e.lastSeen : stored;
  }

  /** Forgets a device (its row changed by other means), so the next call writes. */
  forget(key: string): void {
    this.entries.delete(key);
  }
}


/** Short keys: a device key can be as long as a device sends it. */
export const seenKey = (vendor: string, deviceKey: string) => `${vendor}\u0000${deviceKey.length > 64 ? Bun.hash(deviceKey).toString(36) : deviceKey}`;
