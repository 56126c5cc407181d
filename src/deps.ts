/**
 * What the app is built from. main.ts makes the real ones; tests make their own
 * (an in-memory or temp-dir database, a pinned clock, a memory logger).
 */
import type { Database } from "bun:sqlite";
import type { Config } from "./config/config.ts";
import type { Logger } from "./log.ts";
import type { WriteQueue } from "./store/write-queue.ts";
import type { SettingsRepo } from "./store/settings-repo.ts";
import type { Pairing } from "./devices/pairing.ts";

export interface Deps {
  config: Config;
  db: Database;
  writes: WriteQueue;
  settings: SettingsRepo;
  log: Logger;
  /** The one injectable clock (epoch ms). Every "now" comes from here. */
  now: () => number;
  version: string;
  /** The pairing window: while open, unknown devices are admitted on first contact. */
  pairing: Pairing;
  /** When the process started (epoch ms), for uptime. */
  startedAt: number;
}
