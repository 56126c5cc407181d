/**
 * The webhook sender (issue 17). One worker per active endpoint: it takes the endpoint's oldest
 * pending delivery, sends it, records the outcome in a write job, and only then takes the next,
 * so each endpoint gets its events in order, one at a time (concurrency 1), with its own timeout.
 *
 * - 2xx: delivered. 410 Gone: the endpoint is disabled (its queue is kept; resume sends it).
 * - Anything else (other status, timeout, connection refused): tried again after an exponential
 *   backoff with jitter; once the event is older than `maxAgeMs` (3 days) the delivery is marked
 *   failed and the next one goes. Failed deliveries stay replayable.
 * - The worker reads up to BATCH deliveries at a time and goes through them in order. A success
 *   is recorded in a write job it does not wait for (the group commit takes many together, so
 *   a fast receiver is not held to one fsync per event); any other outcome waits for everything
 *   recorded so far and reads the queue again. A crash may thus send a delivered event again:
 *   delivery is at least once, and receivers de-duplicate by webhook-id.
 * - The queue is in the database (webhook_deliveries), so a restart resumes where it stopped;
 *   a delivery whose outcome was not recorded before a crash is sent again (at least once).
 */
import type { Deps } from "../deps.ts";
import { type EndpointRow, type QueueHead } from "../store/webhooks-repo.ts";
import { signatureHeader } from "./signature.ts";

export interface SenderOptions {
  /** First retry delay; doubles each attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this long since the event, a failed attempt marks the delivery failed (3 days). */
  maxAgeMs: number;
  /** How often an idle worker looks again without being woken (safety net). */
  idleMs: number;
  /** Keep this many characters of an error answer. */
  excerptChars: number;
}

export const DEFAULT_SENDER: SenderOptions = { baseDelayMs: 5000, maxDelayMs: 3600_000, maxAgeMs: 3 * 24 * 3600_000, idleMs: 30_000, excerptChars: 300 };

/** Exponential backoff with "equal jitter": between half and all of min(max, base·2^(attempt−1)). */
export function backoffMs(attempt: number, o: Pick<SenderOptions, "baseDelayMs" | "maxDelayMs">, random = Math.random): number {
  const d = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.max(0, Math.min(attempt - 1, 40)));
  return Math.round(d / 2 + (random() * d) / 2);
}

export type Outcome = "delivered" | "retry" | "failed" | "gone";

/** Deliveries read from the queue at a time. */
const BATCH = 100;

/** The delivered body: the event as Standard Webhooks suggests (type, timestamp, data). */
export function eventBody(e: Pick<QueueHead, "type" | "created_at" | "payload_json">): string {
  return `{"type":${JSON.stringify(e.type)},"timestamp":"${new Date(e.created_at).toISOString()}","data":${e.payload_json}}`;
}

/** The secrets that sign now: the current one, and the previous one while its rotation lasts. */
export function signingSecrets(ep: Pick<EndpointRow, "secret" | "previous_secret" | "previous_until">, now: number): string[] {
  return ep.previous_secret && ep.previous_until !== null && ep.previous_until > now ? [ep.secret, ep.previous_secret] : [ep.secret];
}

export class WebhookSender {
  private readonly repo;
  private readonly opts: SenderOptions;
  private readonly workers = new Map<number, { wake: () => void }>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  /** Attempts in flight, aborted on stop (they are recorded as a retry, or sent again after the restart). */
  private readonly inFlight = new Set<AbortController>();
  private unsubscribe: (() => void) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly deps: Deps,
    opts: Partial<SenderOptions> = {},
  ) {
    this.repo = deps.repos.webhooks;
    this.opts = { ...DEFAULT_SENDER, ...opts };
  }

  start(): this {
    this.unsubscribe = this.deps.repos.outbox.onAdded(() => this.refresh());
    this.timer = setInterval(() => this.refresh(), this.opts.idleMs);
    this.timer.unref?.();
    this.refresh();
    return this;
  }

  /** Stops taking new deliveries and waits for attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    for (const w of this.workers.values()) w.wake();
    for (const c of this.inFlight) c.abort();
    await Promise.all([...this.running]);
  }

  /** Starts a worker for each active endpoint that has none, and wakes the others. */
  refresh(): void {
    if (this.stopped) return;
    for (const ep of this.repo.list()) {
      if (ep.state !== "active") continue;
      const w = this.workers.get(ep.id);
      if (w) w.wake();
      else this.spawn(ep.id);
    }
  }

  private spawn(id: number): void {
    let wakeUp: (() => void) | null = null;
    let woken = false;
    const worker = {
      wake: () => {
        woken = true;
        wakeUp?.();
      },
    };
    this.workers.set(id, worker);
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        if (woken || this.stopped) return resolve();
        const t = setTimeout(done, Math.max(0, ms));
        function done() {
          clearTimeout(t);
          wakeUp = null;
          resolve();
        }
        wakeUp = done;
      });
    const p = (async () => {
      try {
        while (!this.stopped) {
          woken = false;
          const ep = this.repo.get(id);
          if (!ep || ep.state !== "active") break;
          const heads = this.repo.head(id, BATCH);
          if (heads.length === 0) {
            await sleep(this.opts.idleMs);
            continue;
          }
          const wait = heads[0]!.next_attempt_at - this.deps.now();
          if (wait > 0) {
            await sleep(Math.min(wait, this.opts.idleMs));
            continue;
          }
          const recorded: Promise<unknown>[] = [];
          try {
            for (const head of heads) {
              const current = this.repo.get(id);
              if (this.stopped || !current || current.state !== "active" || head.next_attempt_at > this.deps.now()) break;
              const r = await this.attempt(current, head);
              recorded.push(r.recorded);
              if (r.outcome !== "delivered") break;
            }
          } finally {
            await Promise.all(recorded);
          }
        }
      } catch (e) {
        this.deps.log.error("webhook worker stopped on an error", { endpoint: id, error: (e as Error).message });
      } finally {
        this.workers.delete(id);
      }
    })();
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private count(endpointId: number, outcome: Outcome): void {
    const m = this.deps.metrics.webhookDeliveries;
    const key = `${endpointId}\u0000${outcome}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  /** One attempt of a queued delivery; `recorded` resolves when its outcome is committed. */
  private async attempt(ep: EndpointRow, head: QueueHead): Promise<{ outcome: Outcome; recorded: Promise<unknown> }> {
    const { deps, opts } = this;
    const body = eventBody(head);
    const sentAt = deps.now();
    const ts = Math.floor(sentAt / 1000);
    let status: number | null = null;
    let error = "";
    // One controller and one timer per attempt, both gone when it ends (AbortSignal.timeout would
    // leave a timer pending for the whole timeout after every quick answer).
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new DOMException(`timeout after ${ep.timeout_ms} ms`, "TimeoutError")), ep.timeout_ms);
    this.inFlight.add(ctl);
    try {
      const res = await fetch(ep.url, {
        method: "POST",
        body,
        redirect: "manual",
        signal: ctl.signal,
        headers: {
          "content-type": "application/json",
          "user-agent": `bodydock/${deps.version}`,
          "webhook-id": head.event_id,
          "webhook-timestamp": String(ts),
          "webhook-signature": signatureHeader(signingSecrets(ep, sentAt), head.event_id, ts, body),
        },
      });
      status = res.status;
      const text = await res.text();
      if (!res.ok) error = `HTTP ${res.status}: ${text.slice(0, opts.excerptChars)}`;
    } catch (e) {
      const err = e as Error;
      error = err.name === "TimeoutError" ? `timeout after ${ep.timeout_ms} ms` : `connection failed: ${err.message}`;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(ctl);
    }
    const now = deps.now();
    let outcome: Outcome;
    if (status !== null && status >= 200 && status < 300) outcome = "delivered";
    else if (status === 410) outcome = "gone";
    else outcome = now - head.created_at >= opts.maxAgeMs ? "failed" : "retry";
    const recorded = deps.writes.enqueue(() => {
      if (outcome === "delivered") this.repo.delivered(head, status!, now);
      else if (outcome === "gone") {
        this.repo.attemptFailed(head, status, error, now, now);
        this.repo.setState(ep.id, "disabled", "the receiver answered 410 Gone", now);
      } else this.repo.attemptFailed(head, status, error, outcome === "failed" ? null : now + backoffMs(head.attempts + 1, opts), now);
    });
    this.count(ep.id, outcome);
    if (outcome !== "delivered") deps.log.warn("webhook delivery failed", { endpoint: ep.id, event: head.event_id, outcome, status, error: error.slice(0, 200) });
    return { outcome, recorded };
  }
}

/** The webhook families for GET /metrics: attempts by endpoint and outcome, and the outbox depth. */
export function webhookMetrics(deps: Deps): string[] {
  const out = ["# HELP bodydock_webhook_deliveries_total Webhook delivery attempts, by endpoint and outcome (delivered, retry, failed, gone).", "# TYPE bodydock_webhook_deliveries_total counter"];
  for (const [key, n] of [...deps.metrics.webhookDeliveries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [endpoint, outcome] = key.split("\u0000");
    out.push(`bodydock_webhook_deliveries_total{endpoint="${endpoint}",outcome="${outcome}"} ${n}`);
  }
  const pending = deps.repos.webhooks.pendingByEndpoint();
  let total = 0;
  out.push("# HELP bodydock_webhook_queue_depth Deliveries waiting, by endpoint.", "# TYPE bodydock_webhook_queue_depth gauge");
  for (const [id, n] of [...pending].sort(([a], [b]) => a - b)) {
    out.push(`bodydock_webhook_queue_depth{endpoint="${id}"} ${n}`);
    total += n;
  }
  out.push("# HELP bodydock_outbox_depth Deliveries waiting in the outbox, all endpoints.", "# TYPE bodydock_outbox_depth gauge", `bodydock_outbox_depth ${total}`);
  return out;
}
