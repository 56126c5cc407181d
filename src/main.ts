/**
 * The program entry (`bodydock [command]`): dispatches the CLI (cli/index.ts). The server itself is
 * started by `serve` through server.ts; the objects it runs on are built by runtime.ts.
 */
import { runCli } from "./cli/index.ts";

if (import.meta.main) {
  process.exit(await runCli(process.argv.slice(2)));
}
