import { networkInterfaces } from "node:os";
import { configFromProcess, optionsHelp } from "../config/config.ts";
import { ListenError, startServer, type RunningServer } from "../server.ts";
import { parseFlags, type Command } from "./command.ts";
import { startupError } from "./errors.ts";

const STOP_GRACE_MS = 5000;

export function lanUrls(host: string, port: number): string[] {
  if (host !== "0.0.0.0" && host !== "::") return [`http://${host.includes(":") ? `[${host}]` : host}:${port}/`];
  const urls: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === "IPv4" && !a.internal) urls.push(`http://${a.address}:${port}/`);
    }
  }
  if (urls.length === 0) urls.push(`http://127.0.0.1:${port}/`);
  return urls;
}

const serve: Command = {
  name: "serve",
  summary: "run the server (the default command)",
  help: `Usage: bodydock serve [options]

Starts bodydock: opens (or creates) and migrates the database, then answers
devices and staff on one port. Stops cleanly on SIGTERM or Ctrl-C.

Options (flag, environment variable, meaning):
${optionsHelp()}

Flags win over environment variables, which win over the defaults.`,
  async run(args) {
    const { flags } = parseFlags(args);
    if (flags.help) {
      console.log(serve.help);
      return 0;
    }
    // Signal handlers go in before anything starts, so a stop asked for during
    // start-up is honoured as soon as the server is up.
    let stopRequested: string | null = null;
    let onStop: (signal: string) => void = (signal) => (stopRequested = signal);
    const handler = (signal: string) => () => onStop(signal);
    process.once("SIGTERM", handler("SIGTERM"));
    process.once("SIGINT", handler("SIGINT"));

    let server: RunningServer;
    try {
      server = await startServer(configFromProcess(flags));
    } catch (e) {
      if (e instanceof ListenError) {
        console.error(`bodydock: ${e.message}`);
        return 1;
      }
      return startupError(e);
    }
    const { log, config, version } = server.runtime;
    for (const url of lanUrls(config.host, server.port)) console.log(`bodydock ${version} ready: point devices and staff at ${url}`);
    // First run: until an admin account exists, a one-time link creates the first one.
    const token = server.runtime.setupTokens.current();
    if (token !== null) {
      const setupUrls = lanUrls(config.host, server.port).map((u) => `${u}setup?token=${token}`);
      log.warn("no admin account yet: open the setup link to create the first one", { setupUrls });
      for (const u of setupUrls) console.error(`bodydock: no admin account yet. Create the first one at ${u}`);
      console.error("bodydock: (or run: bodydock staff add --username NAME --role admin)");
    }

    return await new Promise<number>((resolveExit) => {
      let stopping = false;
      onStop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info("stopping", { signal });
        const force = setTimeout(() => {
          log.error("graceful stop took too long; exiting");
          resolveExit(1);
        }, STOP_GRACE_MS);
        try {
          await server.stop();
          log.info("stopped");
          resolveExit(0);
        } catch (e) {
          log.error("error while stopping", { error: (e as Error).message });
          resolveExit(1);
        } finally {
          clearTimeout(force);
        }
      };
      if (stopRequested) onStop(stopRequested);
    });
  },
};

export default serve;
