/**
 * Opens everything the app runs on (data dir, database, write queue, settings)
 * from a Config. Used by `serve` and by tests; `close()` commits queued writes,
 * checkpoints the WAL and closes the database.
 */
import type { Config } from "./config/config.ts";
import type { Deps } from "./deps.ts";
import { createLogger, type Logger } from "./log.ts";
import { closeDatabase, dbPath, ensureDataDir, openDatabase } from "./store/db.ts";
import type { MigrationResult } from "./store/migrations/index.ts";
import { SettingsRepo } from "./store/settings-repo.ts";
import { WriteQueue } from "./store/write-queue.ts";
import { VERSION } from "./version.ts";
import { Pairing } from "./devices/pairing.ts";

export interface Runtime extends Deps {
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
  return {
    config,
    db,
    writes,
    settings,
    log,
    now,
    version: VERSION,
    pairing: new Pairing(now),
    startedAt: now(),
    migration,
    async close() {
      if (closed) return;
      closed = true;
      await writes.close();
      closeDatabase(db);
    },
  };
}
