/**
 * Member look-ups by value (`id`, `scan`, `scan-ed`, `card-ed`; not `face_image`) are limited per device
 * and per address (security issue, point 4): a device on the LAN cannot walk the member directory by
 * trying numbers. A real XONE at a front desk logs in a member every minute or so; the limits leave
 * room for a queue of members and a few typos.
 */
export const LOOKUPS_PER_MINUTE_PER_DEVICE = 20;
export const LOOKUPS_PER_MINUTE_PER_ADDRESS = 40;
const WINDOW_MS = 60_000;
/** Keys kept at most; the oldest windows are dropped first (made-up SNs cannot grow the map). */
const MAX_KEYS = 10_000;

interface Window {
  start: number;
  n: number;
}

export class LookupThrottle {
  private readonly windows = new Map<string, Window>();
  /** Look-ups refused so far, by what hit its limit (for /metrics). */
  readonly throttled = { device: 0, address: 0 };

  /** Counts one look-up; returns what is over its limit, or null when it may go ahead. */
  take(sn: string | null, address: string | null, now: number): "device" | "address" | null {
    const over = (key: string, limit: number): boolean => {
      let w = this.windows.get(key);
      if (!w || now - w.start >= WINDOW_MS) {
        if (!w && this.windows.size >= MAX_KEYS) this.windows.delete(this.windows.keys().next().value!);
        w = { start: now, n: 0 };
        this.windows.delete(key);
        this.windows.set(key, w);
      }
      w.n++;
      return w.n > limit;
    };
    const byDevice = sn !== null && over(`sn:${sn}`, LOOKUPS_PER_MINUTE_PER_DEVICE);
    const byAddress = address !== null && over(`ip:${address}`, LOOKUPS_PER_MINUTE_PER_ADDRESS);
    if (byDevice) {
      this.throttled.device++;
      return "device";
    }
    if (byAddress) {
      this.throttled.address++;
      return "address";
    }
    return null;
  }

  metrics(): string[] {
    return [
      "# HELP bodydock_youjiu_lookups_throttled_total Youjiu member look-ups refused by the per-device or per-address limit.",
      "# TYPE bodydock_youjiu_lookups_throttled_total counter",
      `bodydock_youjiu_lookups_throttled_total{by="device"} ${this.throttled.device}`,
      `bodydock_youjiu_lookups_throttled_total{by="address"} ${this.throttled.address}`,
    ];
  }
}
