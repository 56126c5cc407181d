/**
 * One place that sees every answered request: it writes the request log line
 * and counts the request for /metrics. Elysia's onAfterResponse covers the
 * routed API; device routers answer early in onRequest (spec §1.3), where
 * Elysia runs no after-response hook, so they call `observe` themselves.
 */
import type { Deps } from "../deps.ts";

const started = new WeakMap<Request, { t0: number; remote: string | null }>();
export function noteStart(request: Request, remote: string | null): void {
  started.set(request, { t0: performance.now(), remote });
}

/** The remote address noted at the start of a request (null when unknown). */
export function remoteOf(request: Request): string | null {
  return started.get(request)?.remote ?? null;
}

/** Logs one line and counts the request under `route` (a route pattern or a device endpoint name, never a raw path). */
export function observe(deps: Deps, request: Request, route: string, status: number): void {
  const info = started.get(request);
  const ms = info === undefined ? null : performance.now() - info.t0;
  deps.metrics.record(route, status, (ms ?? 0) / 1000);
  if (deps.log.level !== "debug" && deps.log.level !== "info") return; // the request line is an info line: build it only when it is written
  deps.log.info("request", {
    method: request.method,
    path: new URL(request.url, "http://x.invalid").pathname,
    status,
    ms: ms === null ? null : Math.round(ms * 100) / 100,
    remote: info?.remote ?? null,
  });
}
