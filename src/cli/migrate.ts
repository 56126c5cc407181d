import { configFromProcess, optionsHelp } from "../config/config.ts";
import { closeDatabase, dbPath, ensureDataDir, openDatabase } from "../store/db.ts";
import { parseFlags, type Command } from "./command.ts";
import { startupError } from "./errors.ts";

const migrate: Command = {
  name: "migrate",
  summary: "create or upgrade the database schema, then exit",
  help: `Usage: bodydock migrate [--data-dir DIR]

Applies any pending schema migrations to the database in the data folder and
exits. 'serve' does this by itself at start; use this to upgrade ahead of time.
A database written by a newer bodydock is refused and left untouched.

Options:
${optionsHelp()}`,
  async run(args) {
    const { flags } = parseFlags(args);
    if (flags.help) {
      console.log(migrate.help);
      return 0;
    }
    try {
      const config = configFromProcess(flags);
      ensureDataDir(config.dataDir);
      const { db, migration } = openDatabase(dbPath(config.dataDir));
      closeDatabase(db);
      console.log(
        migration.applied.length
          ? `migrated ${dbPath(config.dataDir)} from schema ${migration.from} to ${migration.to}`
          : `${dbPath(config.dataDir)} is up to date (schema ${migration.to})`,
      );
      return 0;
    } catch (e) {
      return startupError(e);
    }
  },
};
export default migrate;
