/**
 * startServer(): locks the data dir, builds the composition root (runtime.ts), mounts the app on it,
 * listens, and starts the background jobs (capture retention, the device roles' own, webhooks).
 * `bodydock serve` and tests call it; it does not import the CLI (main.ts does).
 */
import { createApp } from "./app.ts";
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
  const app = createApp(runtime);
  try {
    // reusePort: false. Elysia asks for SO_REUSEPORT by default, and then a second server on the
    // same port starts happily and the kernel splits the traffic (push logins included) between them.
    app.listen({ port: config.port, hostname: config.host, maxRequestBodySize: SERVER_MAX_BODY, reusePort: false });
  } catch (e) {
    await runtime.close();
    lock.release();
    const code = (e as NodeJS.ErrnoException).code;
    throw new ListenError(
      `cannot listen on ${config.host}:${config.port}: ${code === "EADDRINUSE" ? "the port is already in use (is bodydock already running?)" : (e as Error).message}`,
    );
  }
  const port = app.server!.port!;
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
      return app.server?.pendingRequests ?? 0;
    },
    async stop() {
      clearInterval(maintenance);
      for (const stop of stopRoles) stop?.();
      await app.server?.stop(false);
      await stopIntegrations();
      await runtime.close();
      lock.release();
    },
  };
}
