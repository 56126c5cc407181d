import { configFromProcess } from "../config/config.ts";
import { EXIT_USAGE, parseFlags, type Command } from "./command.ts";
import { startupError } from "./errors.ts";

/** Used by Docker's HEALTHCHECK, where the slim image has no curl. */
const healthcheck: Command = {
  name: "healthcheck",
  summary: "ask a running bodydock for /healthz; exit 0 if healthy",
  help: `Usage: bodydock healthcheck [--url URL] [--port N]

Requests /healthz from a running bodydock (default http://127.0.0.1:<port>/healthz,
port from --port or BODYDOCK_PORT) and exits 0 if it answers 200, 1 otherwise.`,
  async run(args) {
    const { flags } = parseFlags(args);
    if (flags.help) {
      console.log(healthcheck.help);
      return 0;
    }
    if (flags.url === true) {
      console.error("bodydock healthcheck: --url needs a value");
      return EXIT_USAGE;
    }
    let url: string;
    try {
      const port = configFromProcess(flags.port === undefined ? {} : { port: flags.port }).port;
      url = typeof flags.url === "string" ? flags.url : `http://127.0.0.1:${port}/healthz`;
    } catch (e) {
      return startupError(e);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      const text = await res.text();
      console.log(`${res.status} ${text}`);
      return res.status === 200 ? 0 : 1;
    } catch (e) {
      console.error(`bodydock healthcheck: ${url}: ${(e as Error).message}`);
      return 1;
    }
  },
};
export default healthcheck;
