/**
 * The composition root's product: one object, built once by `openRuntime` (runtime.ts), that holds
 * everything the app runs on. It is handed down explicitly (like PocketBase's core.App): HTTP plugins,
 * device roles, the CLI and the background jobs receive it as an argument and take what they need.
 * No module keeps a cache keyed by it or by its database. It holds no database handle: SQL lives in
 * store/ and is reached through `repos` (and `settings`, `writes`). Tests build it the same way
 * (test/helpers.ts: a temp-dir database, a pinned clock, a memory logger).
 */
import type { Config } from "./config/config.ts";
import type { Logger } from "./log.ts";
import type { WriteQueue } from "./store/write-queue.ts";
import type { SettingsRepo } from "./store/settings-repo.ts";
import type { Repos } from "./store/repos.ts";
import type { Pairing } from "./devices/pairing.ts";
import type { CaptureBudget } from "./devices/common/capture-budget.ts";
import type { YoujiuServices } from "./devices/youjiu/services.ts";
import type { Metrics } from "./http/metrics.ts";
import type { DevicePresence } from "./integrations/presence.ts";
import type { FaceService } from "./face/service.ts";
import type { SetupTokens } from "./staff/setup-token.ts";
import type { AnyRole } from "./devices/role.ts";

export interface Deps {
  config: Config;
  /**
   * Every repository, built once (store/repos.ts). All SQL lives behind these: the database itself is
   * not here (it is the Runtime's, for the root and tests), so code that receives Deps cannot reach it.
   */
  repos: Repos;
  writes: WriteQueue;
  settings: SettingsRepo;
  log: Logger;
  /** The one injectable clock (epoch ms). Every "now" comes from here. */
  now: () => number;
  version: string;
  /** When the process started (epoch ms), for uptime. */
  startedAt: number;
  /** Request and webhook counters for GET /metrics. */
  metrics: Metrics;
  /** The pairing window: while open, unknown devices are admitted on first contact. */
  pairing: Pairing;
  /** Per-address limits on what unauthenticated device requests may capture. */
  captureBudget: CaptureBudget;
  /** Device online/offline (webhook events), fed by every device request. */
  presence: DevicePresence;
  /** Youjiu's waiting records, pushes and QR sessions, member look-up and look-up throttle (staff use them too). */
  youjiu: YoujiuServices;
  /** Face login: recognition in a worker, templates, recently seen faces. */
  face: FaceService;
  /** The first-run setup token (memory only) while no admin exists. */
  setupTokens: SetupTokens;
  /** The device roles (devices/roles.ts), in matching order: app.ts mounts them, server.ts starts them. */
  roles: readonly AnyRole[];
}
