/**
 * One file per subcommand under src/cli/ (ntfy-style). Each exports a `Command`;
 * src/cli/index.ts lists them and dispatches. A command returns its exit code.
 */
export interface Command {
  /** The word typed after `bodydock`. */
  name: string;
  /** One line for `bodydock --help`. */
  summary: string;
  /** Full help text for `bodydock <name> --help`. */
  help: string;
  run(args: string[]): Promise<number>;
}

/** Exit code for bad usage or invalid input/config. */
export const EXIT_USAGE = 2;

/**
 * Minimal flag parser: `--name value`, `--name=value` and boolean `--flag`.
 * Flags named in `booleans` never consume the next argument.
 */
export function parseFlags(
  args: string[],
  booleans: readonly string[] = [],
): { flags: Record<string, string | true>; positional: string[] } {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) {
        flags[a.slice(2, eq)] = a.slice(eq + 1);
        continue;
      }
      const name = a.slice(2);
      const next = args[i + 1];
      if (booleans.includes(name) || next === undefined || next.startsWith("--")) {
        flags[name] = true;
      } else {
        flags[name] = next;
        i++;
      }
    } else if (a === "-h") {
      flags.help = true;
    } else {
      positional.push(a);
    }
  }
  return { flags, positional };
}
