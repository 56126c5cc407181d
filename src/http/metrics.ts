/**
 * GET /metrics in the Prometheus text exposition format (version 0.0.4):
 *   bodydock_http_requests_total{route,status}       counter
 *   bodydock_http_request_duration_seconds{route}    histogram
 *   bodydock_measurements_stored{source,status}      gauge, from the database
 *   bodydock_write_queue_depth                       gauge
 *   bodydock_write_batches_total / _jobs_total       counters
 *   bodydock_devices_online{vendor}                  gauge (seen in the last 10 minutes)
 *   bodydock_uptime_seconds                          gauge
 *   bodydock_webhook_deliveries_total{endpoint,outcome} counter (issue 17, via `extra`)
 *   bodydock_webhook_queue_depth{endpoint}, bodydock_outbox_depth  gauges
 *   process_resident_memory_bytes, bodydock_heap_used_bytes
 *
 * Route labels are low-cardinality: the Elysia route pattern for the staff API
 * (`/api/v1/members/:id`), the device router's endpoint name for device calls
 * (`lefu.torre.record`), or `unmatched`. Never a raw path, so a fuzzing client
 * cannot blow up the label set.
 *
 * Access: `Authorization: Bearer <metrics.token>` when that setting is set, or
 * a signed-in admin's session cookie. Anything else gets 401.
 */
import { Elysia } from "elysia";
import { safeEqual } from "./secrets.ts";
import type { Deps } from "../deps.ts";
import { jsonError } from "./errors.ts";

/** Upper bounds in seconds: device answers are expected in single milliseconds, staff pages in tens. */
export const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const ONLINE_WINDOW_MS = 10 * 60 * 1000;
/** Routes beyond this many distinct labels are folded into `other` (defence in depth; labels are bounded anyway). */
const MAX_ROUTES = 500;

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  /** Webhook delivery attempts by `endpoint\u0000outcome` (integrations/sender.ts). */
  readonly webhookDeliveries = new Map<string, number>();
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();

  record(route: string, status: number, seconds: number): void {
    if (!this.durations.has(route) && this.durations.size >= MAX_ROUTES) route = "other";
    const key = `${route}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.durations.get(route);
    if (!h) {
      h = { counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, count: 0 };
      this.durations.set(route, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** The request families as exposition text. */
  renderRequests(): string[] {
    const out: string[] = [
      "# HELP bodydock_http_requests_total HTTP requests answered, by route and status.",
      "# TYPE bodydock_http_requests_total counter",
    ];
    for (const [key, n] of [...this.requests].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [route, status] = key.split("\u0000");
      out.push(`bodydock_http_requests_total{route="${esc(route!)}",status="${status}"} ${n}`);
    }
    out.push("# HELP bodydock_http_request_duration_seconds Time from request to answer, by route.", "# TYPE bodydock_http_request_duration_seconds histogram");
    for (const [route, h] of [...this.durations].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const r = esc(route);
      BUCKETS.forEach((le, i) => out.push(`bodydock_http_request_duration_seconds_bucket{route="${r}",le="${le}"} ${h.counts[i]}`));
      out.push(`bodydock_http_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${h.count}`);
      out.push(`bodydock_http_request_duration_seconds_sum{route="${r}"} ${h.sum}`);
      out.push(`bodydock_http_request_duration_seconds_count{route="${r}"} ${h.count}`);
    }
    return out;
  }
}

/** Label values escape backslash, double quote and newline (exposition format). */
export function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function bearer(request: Request): string | null {
  const h = request.headers.get("authorization");
  const m = h ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
  return m ? m[1]!.trim() : null;
}

const sameSecret = safeEqual;

export interface MetricsOptions {
  /** True when the request carries a signed-in admin's session (the staff guard decides). */
  isAdmin: (request: Request) => Promise<boolean>;
  /** More families, appended as given (the webhook sender's). */
  extra?: () => string[];
}

export const metricsPlugin = (deps: Deps, metrics: Metrics, opts: MetricsOptions) => {
  const { measurementCounts, devices } = deps.repos;

  return new Elysia({ name: "metrics" }).get(
    "/metrics",
    async ({ request, set }) => {
      const token = deps.settings.get("metrics.token");
      const presented = bearer(request);
      const allowed = (token !== null && presented !== null && sameSecret(presented, token)) || (presented === null && (await opts.isAdmin(request)));
      if (!allowed) {
        set.status = 401;
        return jsonError(401, "unauthorized", "metrics need the metrics token (Authorization: Bearer …) or an admin session", {}, { "www-authenticate": 'Bearer realm="bodydock-metrics"' });
      }
      const lines = metrics.renderRequests();
      lines.push("# HELP bodydock_measurements_stored Measurements in the database, by source and status.", "# TYPE bodydock_measurements_stored gauge");
      for (const r of measurementCounts.bySourceAndStatus()) lines.push(`bodydock_measurements_stored{source="${esc(r.source)}",status="${esc(r.status)}"} ${r.n}`);
      const seen = devices.onlineByVendor(deps.now() - ONLINE_WINDOW_MS);
      lines.push("# HELP bodydock_devices_online Devices heard from in the last 10 minutes, by vendor.", "# TYPE bodydock_devices_online gauge");
      for (const v of ["lefu", "yolanda", "youjiu"] as const) lines.push(`bodydock_devices_online{vendor="${v}"} ${seen.get(v) ?? 0}`);
      const q = deps.writes.stats;
      lines.push(
        "# HELP bodydock_write_queue_depth Write jobs waiting for the next group commit.",
        "# TYPE bodydock_write_queue_depth gauge",
        `bodydock_write_queue_depth ${deps.writes.depth}`,
        "# HELP bodydock_write_batches_total Group commits made.",
        "# TYPE bodydock_write_batches_total counter",
        `bodydock_write_batches_total ${q.batches}`,
        "# HELP bodydock_write_jobs_total Write jobs committed.",
        "# TYPE bodydock_write_jobs_total counter",
        `bodydock_write_jobs_total ${q.jobs}`,
        "# HELP bodydock_captures_limited_total Device captures summarised or kept without body by the per-address volume cap.",
        "# TYPE bodydock_captures_limited_total counter",
        `bodydock_captures_limited_total ${deps.captureBudget.limited}`,
        "# HELP bodydock_uptime_seconds Seconds since the process started.",
        "# TYPE bodydock_uptime_seconds gauge",
        `bodydock_uptime_seconds ${Math.max(0, Math.floor((deps.now() - deps.startedAt) / 1000))}`,
      );
      if (opts.extra) lines.push(...opts.extra());
      const mem = process.memoryUsage();
      lines.push(
        "# HELP process_resident_memory_bytes Resident memory of the bodydock process.",
        "# TYPE process_resident_memory_bytes gauge",
        `process_resident_memory_bytes ${mem.rss}`,
        "# HELP bodydock_heap_used_bytes JavaScript heap in use.",
        "# TYPE bodydock_heap_used_bytes gauge",
        `bodydock_heap_used_bytes ${mem.heapUsed}`,
      );
      return new Response(lines.join("\n") + "\n", { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" } });
    },
    { detail: { summary: "Prometheus metrics (metrics token or admin session)", tags: ["system"] } },
  );
};
