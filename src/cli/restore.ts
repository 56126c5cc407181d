import { resolve } from "node:path";
import { configFromProcess, optionsHelp } from "../config/config.ts";
import { BackupError, restoreFrom } from "../store/backup.ts";
import { dbPath, ensureDataDir } from "../store/db.ts";
import { SchemaTooNewError } from "../store/migrations/index.ts";
import { EXIT_USAGE, parseFlags, type Command } from "./command.ts";
import { startupError } from "./errors.ts";

const restore: Command = {
  name: "restore",
  summary: "replace the database with a backup (server must be stopped)",
  help: `Usage: bodydock restore <file> [--data-dir DIR]

Replaces the database with <file>, a copy made by 'bodydock backup'. Only while
the server is stopped. The file is checked first (integrity, and a schema no
newer than this bodydock); the replaced database is kept beside it as
bodydock.sqlite.replaced-<date>. The restored database is migrated at the next
start.

Options:
${optionsHelp()}`,
  async run(args) {
    const { flags, positional } = parseFlags(args);
    if (flags.help) {
      console.log(restore.help);
      return 0;
    }
    if (positional.length !== 1) {
      console.error("bodydock restore: give exactly one backup file");
      return EXIT_USAGE;
    }
    try {
      const config = configFromProcess(flags);
      ensureDataDir(config.dataDir);
      const kept = restoreFrom(dbPath(config.dataDir), resolve(positional[0]!));
      console.log(`restored ${dbPath(config.dataDir)} from ${resolve(positional[0]!)}`);
      if (kept) console.log(`the replaced database was kept as ${kept}`);
      return 0;
    } catch (e) {
      if (e instanceof BackupError || e instanceof SchemaTooNewError) {
        console.error(`bodydock restore: ${e.message}`);
        return 1;
      }
      return startupError(e);
    }
  },
};
export default restore;
