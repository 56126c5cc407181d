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

/** A subcommand's own refusal: its message, and the exit code (1, or 2 for a usage error). */
export class CliFail extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

/** A subcommand's run with its errors said plainly: CliFail as `bodydock NAME: …`, start-up failures as startupError. */
export function withCliErrors(name: string, run: (args: string[]) => Promise<number>): (args: string[]) => Promise<number> {
  return async (args) => {
    try {
      return await run(args);
    } catch (e) {
      if (e instanceof CliFail) {
        console.error(`bodydock ${name}: ${e.message}`);
        return e.code;
      }
      return startupError(e);
    }
  };
}
