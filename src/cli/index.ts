/** The command table and dispatcher. Each subcommand is its own file. */
import apikey from "./apikey.ts";
import backup from "./backup.ts";
import { EXIT_USAGE, type Command } from "./command.ts";
import compute from "./compute.ts";
import healthcheck from "./healthcheck.ts";
import migrate from "./migrate.ts";
import restore from "./restore.ts";
import serve from "./serve.ts";
import simulate from "./simulate.ts";
import staff from "./staff.ts";
import version from "./version.ts";

export const COMMANDS: readonly Command[] = [serve, migrate, backup, restore, staff, apikey, healthcheck, simulate, compute, version];

export function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `bodydock: one box for a gym's body-composition devices and staff.

Usage: bodydock [command] [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

With no command, 'serve' runs. 'bodydock <command> --help' explains a command.`;
}

export async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith("--")) {
    if (first === "--help" || first === "-h") {
      console.log(programHelp());
      return 0;
    }
    if (first === "--version") return version.run([]);
    return serve.run(argv);
  }
  if (first === "help") {
    const cmd = COMMANDS.find((c) => c.name === rest[0]);
    console.log(cmd ? cmd.help : programHelp());
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) {
    console.error(`bodydock: unknown command '${first}'\n\n${programHelp()}`);
    return EXIT_USAGE;
  }
  return cmd.run(rest);
}
