/**
 * startServer(): locks the data dir, builds the composition root (runtime.ts), mounts the app on it,
 * listens, and starts the background jobs (capture retention, the device roles' own, webhooks).
 * `bodydock serve` and tests call it; it does not import the CLI (main.ts does).
 */
import { createApp } from "./app.ts";
import { deviceDispatcher } from "./devices/pipeline.ts";
import { API_HEADERS, isApiPath } from "./http/api-headers.ts";
import { setBodyDeadline } from "./http/body-deadline.ts";
import { errorResponse } from "./http/errors.ts";
import { noteStart } from "./http/observe.ts";
import { remoteAddress } from "./http/remote.ts";
import type { Config } from "./config/config.ts";
import type { Logger } from "./log.ts";
import { openRuntime, type Runtime } from "./runtime.ts";
import { ensureDataDir } from "./store/db.ts";
import { DataDirLockedError, lockDataDir } from "./store/lock.ts";
import { startIntegrations } from "./integrations/index.ts";

/** Hard cap for any request body, enforced by Bun itself (covers chunked bodies too). Roles enforce their own, smaller, limits. */
const SERVER_MAX_BODY = 16 * 1024 * 1024;

export interface RunningServer {
  runtime: Runtime;
  port: number;
  /** Requests the server is handling now (Bun's count); lets tests await "a request is in flight" instead of sleeping. */
  readonly pendingRequests: number;
  /** Stops accepting, finishes requests in flight, commits queued writes, checkpoints and closes the database. */
  stop(): Promise<void>;
}

const HOUR = 3600 * 1000;

/**
 * Hourly housekeeping: ordinary device captures older than diagnostics.captureRetentionDays are deleted,
 * in small batches that let device requests through between them (store/retention.ts).
 */
function startMaintenance(rt: Runtime): ReturnType<typeof setInterval> {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    const days = rt.settings.get("diagnostics.captureRetentionDays");
    rt.repos.retention
      .prune(rt.writes, rt.now() - days * 24 * HOUR)
      .then((r) => {
        if (r.deleted || r.pagesFreed) rt.log.info("captures pruned", { ...r, ms: Math.round(r.ms), longestBatchMs: Math.round(r.longestBatchMs * 100) / 100 });
      })
      .catch((e) => {
        // A stop in the middle of a prune closes the queue under it; the next start carries on.
        if (!/write queue is closed/.test((e as Error).message)) rt.log.error("capture pruning failed", { error: (e as Error).message });
      })
      .finally(() => (running = false));
  };
  run();
  const timer = setInterval(run, HOUR);
  timer.unref();
  return timer;
}

function withHeaders(res: Response, headers: Record<string, string>): Response {
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
}

/** A start-up refusal with a plain message for the operator (exit code 1): port taken, data folder in use. */
export class ListenError extends Error {}

export async function startServer(config: Config, opts: { log?: Logger; now?: () => number } = {}): Promise<RunningServer> {
  // One server per data folder: the lock comes before the database is even opened (store/lock.ts).
  ensureDataDir(config.dataDir);
  let lock: ReturnType<typeof lockDataDir>;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (e) {
    if (e instanceof DataDirLockedError) throw new ListenError(e.message);
    throw e;
  }
  let runtime: Runtime;
  try {
    runtime = openRuntime(config, opts);
  } catch (e) {
    lock.release();
    throw e;
  }
  const { log } = runtime;
  if (runtime.migration.applied.length) log.info("database migrated", { from: runtime.migration.from, to: runtime.migration.to });
  const devices = deviceDispatcher(runtime, runtime.roles);
  const app = createApp(runtime, devices);
  // Elysia's handler, compiled now rather than on the first request.
  const elysia = app.fetch;
  const bodyTimeoutMs = config.bodyTimeout * 1000;
  let server: Bun.Server<undefined>;
  try {
    // The server is Bun's, not Elysia's listen(): device requests (most of a box's traffic) go straight
    // to the device roles, with the bookkeeping app.ts's first hook does for everything else (remote
    // address, start time, body deadline, /api headers); everything else is Elysia's. The same dispatcher
    // is mounted in the app, so app.handle (tests) answers device requests alike.
    // reusePort: false. Elysia asks for SO_REUSEPORT by default, and then a second server on the
    // same port starts happily and the kernel splits the traffic (push logins included) between them.
    server = Bun.serve({
      port: config.port,
      hostname: config.host,
      maxRequestBodySize: SERVER_MAX_BODY,
      reusePort: false,
      idleTimeout: 30,
      development: false,
      fetch(request, srv) {
        let answer: Promise<Response> | null;
        try {
          const remote = remoteAddress(srv, request);
          noteStart(request, remote);
          setBodyDeadline(request, bodyTimeoutMs);
          answer = devices(request, remote);
        } catch (e) {
          return errorResponse("UNKNOWN", e, request, log);
        }
        if (answer === null) return elysia(request);
        return answer.then(
          (res) => (isApiPath(request) ? withHeaders(res, API_HEADERS) : res),
          (e: unknown) => errorResponse("UNKNOWN", e, request, log),
        );
      },
    });
    // Elysia's context (`server` in handlers: the client's address) reads the server through getServer()
    // (private in its types). Not app.server: Elysia's compile() would reload a server it finds there with
    // its own fetch, and the device path would silently go through the framework again.
    (app as unknown as { getServer(): unknown }).getServer = () => server;
  } catch (e) {
    await runtime.close();
    lock.release();
    const code = (e as NodeJS.ErrnoException).code;
    throw new ListenError(
      `cannot listen on ${config.host}:${config.port}: ${code === "EADDRINUSE" ? "the port is already in use (is bodydock already running?)" : (e as Error).message}`,
    );
  }
  const port = server.port!;
  log.info("listening", { version: runtime.version, host: config.host, port, dataDir: config.dataDir });
  const maintenance = startMaintenance(runtime);
  // The device roles' background work (Yolanda: WSP-Lite reports from the on-site relay, spec §3.7.2).
  const stopRoles = runtime.roles.map((role) => role.start?.());
  // Webhooks from the outbox, device.offline, outbox pruning (issue 17).
  const stopIntegrations = startIntegrations(runtime);
  return {
    runtime,
    port,
    get pendingRequests() {
      return server.pendingRequests;
    },
    async stop() {
      clearInterval(maintenance);
      for (const stop of stopRoles) stop?.();
      await server.stop(false);
      await stopIntegrations();
      await runtime.close();
      lock.release();
    },
  };
}
