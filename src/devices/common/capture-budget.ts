/**
 * Per-address cap on unauthenticated capture volume (issue 13, point 7).
 *
 * Every device request is captured (§1.6), and anyone on the LAN can send device requests: without
 * a cap, one machine could fill the disk with captures. Per remote address and per minute, requests
 * that did not authenticate get at most CAPTURE_CAP.rows capture rows and CAPTURE_CAP.bytes of
 * captured body text. Past the byte budget a capture keeps its metadata but not its body; past the
 * row budget the requests of that minute share one "overflow" capture (data rows still need a
 * capture to point at). Authenticated devices (a valid Youjiu token or secret, a WSP Mini JWT, a
 * relay's Authorization) are never capped. What the device is answered does not change.
 */
export const CAPTURE_CAP = { rows: 300, bytes: 4 * 1024 * 1024, windowMs: 60_000 };

/** authResult values the device roles write for a request that proved who it is. */
const AUTHENTICATED = /^(ok|ok_previous_secret|authorization_ok|secret_ok|token via .+)$/;

export function authenticated(authResult: string | null | undefined): boolean {
  return authResult != null && AUTHENTICATED.test(authResult);
}

export type CaptureDecision = { kind: "full" } | { kind: "no_body" } | { kind: "overflow" };

interface Window {
  start: number;
  rows: number;
  bytes: number;
  overflowId: number | null;
  dropped: number;
}

export class CaptureBudget {
  private readonly windows = new Map<string, Window>();
  /** Captures summarised or without body since start, for /metrics and the log. */
  limited = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** What to keep of the capture of a request from `address` with `bodyBytes` of body text. */
  take(address: string | null, bodyBytes: number): CaptureDecision {
    const key = address ?? "unknown";
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= CAPTURE_CAP.windowMs) {
      w = { start: now, rows: 0, bytes: 0, overflowId: null, dropped: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) for (const [k, v] of this.windows) if (now - v.start >= CAPTURE_CAP.windowMs) this.windows.delete(k);
    }
    if (w.rows >= CAPTURE_CAP.rows) {
      w.dropped++;
      this.limited++;
      return { kind: "overflow" };
    }
    w.rows++;
    if (w.bytes + bodyBytes > CAPTURE_CAP.bytes) {
      this.limited++;
      return { kind: "no_body" };
    }
    w.bytes += bodyBytes;
    return { kind: "full" };
  }

  /** The shared capture row of `address`'s current overflow minute; read and set inside the write job. */
  overflowId(address: string | null): number | null {
    return this.windows.get(address ?? "unknown")?.overflowId ?? null;
  }
  setOverflow(address: string | null, id: number): void {
    const w = this.windows.get(address ?? "unknown");
    if (w) w.overflowId = id;
  }

  /** How many requests of the current minute were summarised (for the overflow row's note). */
  dropped(address: string | null): number {
    return this.windows.get(address ?? "unknown")?.dropped ?? 0;
  }
}

