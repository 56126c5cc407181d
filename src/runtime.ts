/**
 * The composition root: opens and builds, once, everything the app runs on (data dir, database,
 * repositories, write queue, settings, clock, logger, metrics and the long-lived services) from a
 * Config, as one `Deps` object that is then handed down explicitly. Used by `serve`, the CLI and
 * tests; `close()` commits queued writes, checkpoints the WAL and closes the database.
 */
import type { Database } from "bun:sqlite";
import type { Config } from "./config/config.ts";
import type { Deps } from "./deps.ts";
import { createLogger, type Logger } from "./log.ts";
import { closeDatabase, dbPath, ensureDataDir, openDatabase } from "./store/db.ts";
import type { MigrationResult } from "./store/migrations/index.ts";
import { SettingsRepo } from "./store/settings-repo.ts";
import { WriteQueue } from "./store/write-queue.ts";
import { VERSION } from "./version.ts";
import { Pairing } from "./devices/pairing.ts";
import { createRepos } from "./store/repos.ts";
import { Metrics } from "./http/metrics.ts";
import { CaptureBudget } from "./devices/common/capture-budget.ts";
import { DevicePresence } from "./integrations/presence.ts";
import { createYoujiuServices } from "./devices/youjiu/services.ts";
import { FaceService } from "./face/service.ts";
import { SetupTokens } from "./staff/setup-token.ts";
import { createRoles } from "./devices/roles.ts";

export interface Runtime extends Deps {
  /** The one connection. Only the root (this file), store/ and tests use it; Deps does not carry it. */
  db: Database;
  migration: MigrationResult;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log?: Logger;
  now?: () => number;
  env?: Record<string, string | undefined>;
}

export function openRuntime(config: Config, opts: RuntimeOptions = {}): Runtime {
  const log = opts.log ?? createLogger(config.logLevel);
  const now = opts.now ?? Date.now;
  ensureDataDir(config.dataDir);
  const { db, migration } = openDatabase(dbPath(config.dataDir), now);
  const writes = new WriteQueue(db);
  const settings = new SettingsRepo(db, now);
  const seeded = settings.seedFromEnv(opts.env ?? process.env);
  if (seeded.length) log.info("settings seeded from environment", { keys: seeded });
  const generated = settings.ensureGenerated();
  if (generated.length) log.info("generated keys", { keys: generated });
  let closed = false;
  const repos = createRepos(db, now);
  // Services that need the whole object are set right after it exists (they only keep the reference).
  const rt = {
    config,
    db,
    repos,
    writes,
    settings,
    log,
    now,
    version: VERSION,
    startedAt: now(),
    metrics: new Metrics(),
    pairing: new Pairing(now),
    captureBudget: new CaptureBudget(now),
    setupTokens: new SetupTokens(repos.staff),
    migration,
    async close() {
      if (closed) return;
      closed = true;
      await writes.close();
      closeDatabase(db);
    },
  } as Omit<Runtime, "presence" | "youjiu" | "face" | "roles"> as Runtime;
  rt.presence = new DevicePresence(rt);
  rt.youjiu = createYoujiuServices(rt);
  rt.face = new FaceService(rt);
  rt.roles = createRoles(rt);
  // Devices a role answers from memory (Youjiu's waiting polls) stay online (issue 17).
  for (const role of rt.roles) if (role.lastContact) rt.presence.addLiveness(role.vendor, role.lastContact);
  return rt;
}
