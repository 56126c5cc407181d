import { setPriority } from "node:os";
import { resolve } from "node:path";
import { configFromProcess, optionsHelp } from "../config/config.ts";
import { backupTo, BackupError } from "../store/backup.ts";
import { dbPath } from "../store/db.ts";
import { EXIT_USAGE, parseFlags, type Command } from "./command.ts";
import { startupError } from "./errors.ts";

const backup: Command = {
  name: "backup",
  summary: "write a consistent copy of the database to a file (safe while serving)",
  help: `Usage: bodydock backup <file> [--data-dir DIR]

Writes a consistent, compacted copy of the database to <file> with SQLite's
VACUUM INTO. Safe while the server runs (it reads a snapshot and never blocks
the server's writes; it runs at a lower CPU priority). <file> must not exist yet.

Options:
${optionsHelp()}`,
  async run(args) {
    const { flags, positional } = parseFlags(args);
    if (flags.help) {
      console.log(backup.help);
      return 0;
    }
    if (positional.length !== 1) {
      console.error("bodydock backup: give exactly one target file, e.g. bodydock backup /mnt/usb/bodydock-2026-11-22.sqlite");
      return EXIT_USAGE;
    }
    try {
      const config = configFromProcess(flags);
      const target = resolve(positional[0]!);
      // The copy is not urgent; the server's answers to devices are: let the scheduler prefer the server.
      try {
        setPriority(10);
      } catch {
        /* not allowed here: run at the normal priority */
      }
      // Pages copied in paced chunks while the server keeps writing (store/backup.ts); VACUUM INTO for an older database.
      const r = backupTo(dbPath(config.dataDir), target, { pages: true });
      console.log(`backup written to ${target} (${(r.bytes / 2 ** 20).toFixed(0)} MiB in ${(r.ms / 1000).toFixed(1)} s, ${r.method === "pages" ? "pages copied" : `VACUUM INTO${r.fallback ? `: ${r.fallback}` : ""}`})`);
      return 0;
    } catch (e) {
      if (e instanceof BackupError) {
        console.error(`bodydock backup: ${e.message}`);
        return 1;
      }
      return startupError(e);
    }
  },
};
export default backup;
