/**
 * A real webhook receiver for tests: a second Bun.serve on 127.0.0.1 that verifies Standard
 * Webhooks signatures with the secrets it is told, records every request, and answers what the
 * test says (a status, a delay, or hanging past the sender's timeout).
 */
import { verify } from "../../src/integrations/signature.ts";

export interface Received {
  id: string;
  timestamp: number;
  signatures: string[];
  body: string;
  event: { type: string; timestamp: string; data: any };
  /** Which of the receiver's secrets verified it (by name). */
  verifiedBy: string[];
  status: number;
}

export type Behaviour = (r: { id: string; attempt: number }) => number | { status: number; delayMs?: number; body?: string } | Promise<number | { status: number; delayMs?: number; body?: string }>;

export class Receiver {
  server: ReturnType<typeof Bun.serve> | null = null;
  readonly received: Received[] = [];
  secrets = new Map<string, string>();
  behave: Behaviour = () => 200;
  /** The receiver's clock for the timestamp tolerance (the tests' skewed clock). */
  now: () => number = Date.now;
  inFlight = 0;
  maxInFlight = 0;
  private attempts = new Map<string, number>();
  port = 0;

  start(port = 0): this {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port,
      idleTimeout: 30,
      fetch: async (req) => {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          const body = await req.text();
          const id = req.headers.get("webhook-id") ?? "";
          const attempt = (this.attempts.get(id) ?? 0) + 1;
          this.attempts.set(id, attempt);
          const verifiedBy = [...this.secrets].filter(([, s]) => verify(s, req.headers, body, Math.floor(this.now() / 1000))).map(([n]) => n);
          let b = await this.behave({ id, attempt });
          if (typeof b === "number") b = { status: b };
          if (b.delayMs) await Bun.sleep(b.delayMs);
          this.received.push({
            id,
            timestamp: Number(req.headers.get("webhook-timestamp")),
            signatures: (req.headers.get("webhook-signature") ?? "").split(" "),
            body,
            event: JSON.parse(body),
            verifiedBy,
            status: b.status,
          });
          return new Response(b.body ?? "", { status: b.status });
        } finally {
          this.inFlight--;
        }
      },
    });
    this.port = this.server.port!;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Requests that were answered 2xx. */
  get delivered(): Received[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  ofType(type: string): Received[] {
    return this.delivered.filter((r) => r.event.type === type);
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
    this.server = null;
  }
}

/** Polls `cond` until true (every 10 ms) or fails after `ms` with `what`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await Bun.sleep(10);
  }
}
