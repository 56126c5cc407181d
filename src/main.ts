/**
 * The program entry (`bodydock [command]`): dispatches the CLI (cli/index.ts). The server itself is
 * started by `serve` through server.ts; the objects it runs on are built by runtime.ts. The hidden
 * `face-worker` command is the face worker process the server spawns (face/worker.ts): it loads
 * only the face engine, not the CLI.
 */
import { FACE_WORKER_COMMAND } from "./face/worker-client.ts";

if (import.meta.main) {
  if (process.argv[2] === FACE_WORKER_COMMAND) await import("./face/worker.ts");
  else process.exit(await (await import("./cli/index.ts")).runCli(process.argv.slice(2)));
}
