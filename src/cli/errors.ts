import { ConfigError } from "../config/config.ts";
import { DataDirError } from "../store/db.ts";
import { SchemaTooNewError } from "../store/migrations/index.ts";
import { SettingError } from "../store/settings-repo.ts";
import { EXIT_USAGE } from "./command.ts";

/** Turns a start-up failure into a clear message and an exit code (2 for bad configuration). */
export function startupError(e: unknown): number {
  if (e instanceof ConfigError || e instanceof SettingError) {
    console.error(`bodydock: ${e.message}`);
    return EXIT_USAGE;
  }
  if (e instanceof SchemaTooNewError || e instanceof DataDirError) {
    console.error(`bodydock: ${e.message}`);
    return 1;
  }
  console.error(`bodydock: ${(e as Error)?.message ?? String(e)}`);
  return 1;
}
