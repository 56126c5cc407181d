/**
 * Start-up configuration: command-line flags > BODYDOCK_* environment > defaults.
 * Validated with TypeBox; a bad value is a ConfigError that names the setting and
 * what is allowed (the CLI turns it into exit code 2).
 *
 * Settings that staff change while the server runs live in the `settings` table
 * (src/config/settings.ts), not here.
 */
import { t, type Static } from "elysia";
import { Value } from "@sinclair/typebox/value";
import { dirname, join, resolve } from "node:path";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const ConfigSchema = t.Object({
  port: t.Integer({ minimum: 0, maximum: 65535, description: "TCP port for devices and staff" }),
  host: t.String({ minLength: 1, description: "address to listen on" }),
  dataDir: t.String({ minLength: 1, description: "folder that holds the database" }),
  logLevel: t.Union(LOG_LEVELS.map((l) => t.Literal(l))),
  bodyLimit: t.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, description: "largest staff API request body, bytes" }),
  bodyTimeout: t.Integer({ minimum: 1, maximum: 600, description: "seconds a request body may take to arrive, device or staff" }),
});
export type Config = Static<typeof ConfigSchema>;

interface OptionDef {
  key: keyof Config;
  flag: string;
  env: string;
  kind: "int" | "string";
  allowed: string;
  help: string;
}

export const OPTIONS: readonly OptionDef[] = [
  { key: "port", flag: "port", env: "BODYDOCK_PORT", kind: "int", allowed: "an integer from 0 to 65535", help: "port to listen on (default 8080)" },
  { key: "host", flag: "host", env: "BODYDOCK_HOST", kind: "string", allowed: "an IP address or host name", help: "address to listen on (default 0.0.0.0, every interface)" },
  { key: "dataDir", flag: "data-dir", env: "BODYDOCK_DATA_DIR", kind: "string", allowed: "a folder path", help: "data folder (default ./data from source, data/ beside the binary when compiled)" },
  { key: "logLevel", flag: "log-level", env: "BODYDOCK_LOG_LEVEL", kind: "string", allowed: LOG_LEVELS.join(", "), help: "log level (default info)" },
  { key: "bodyLimit", flag: "body-limit", env: "BODYDOCK_BODY_LIMIT", kind: "int", allowed: "an integer number of bytes from 1024 to 67108864", help: "largest staff API request body in bytes (default 1048576)" },
  { key: "bodyTimeout", flag: "body-timeout", env: "BODYDOCK_BODY_TIMEOUT", kind: "int", allowed: "an integer number of seconds from 1 to 600", help: "seconds a request body may take to arrive; slower ones get 408 (default 30)" },
];

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly allowed: string,
    readonly got: string,
  ) {
    super(`invalid ${setting}: ${JSON.stringify(got)} — allowed: ${allowed}`);
    this.name = "ConfigError";
  }
}

/** True when running as a `bun build --compile` binary (its modules live in the virtual /$bunfs). */
export function isCompiledBinary(): boolean {
  return Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/");
}

export interface ConfigSources {
  flags: Record<string, string | true>;
  env: Record<string, string | undefined>;
  cwd: string;
  /** When compiled, the data dir defaults to `data/` beside this executable. */
  compiled: boolean;
  execPath: string;
}

/** The data dir when neither flag nor env names one; never derived from import.meta.dir. */
export function defaultDataDir(src: Pick<ConfigSources, "cwd" | "compiled" | "execPath">): string {
  return src.compiled ? join(dirname(src.execPath), "data") : join(src.cwd, "data");
}

export function loadConfig(src: ConfigSources): Config {
  const raw: Record<string, unknown> = {
    port: 8080,
    host: "0.0.0.0",
    dataDir: defaultDataDir(src),
    logLevel: "info",
    bodyLimit: 1024 * 1024,
    bodyTimeout: 30,
  };
  for (const opt of OPTIONS) {
    const fromFlag = src.flags[opt.flag];
    const fromEnv = src.env[opt.env];
    let value: string | undefined;
    let origin: string;
    if (fromFlag !== undefined) {
      if (fromFlag === true) throw new ConfigError(`--${opt.flag}`, opt.allowed, "(no value)");
      value = fromFlag;
      origin = `--${opt.flag}`;
    } else if (fromEnv !== undefined && fromEnv !== "") {
      value = fromEnv;
      origin = opt.env;
    } else continue;
    if (opt.kind === "int") {
      if (!/^\s*[+-]?\d+\s*$/.test(value)) throw new ConfigError(origin, opt.allowed, value);
      raw[opt.key] = Number(value);
    } else raw[opt.key] = value.trim();
    if (!Value.Check(ConfigSchema.properties[opt.key], raw[opt.key])) throw new ConfigError(origin, opt.allowed, value);
  }
  raw.dataDir = resolve(src.cwd, raw.dataDir as string);
  if (!Value.Check(ConfigSchema, raw)) {
    const first = Value.Errors(ConfigSchema, raw).First();
    throw new ConfigError(first?.path ?? "config", first?.message ?? "a valid value", String(first?.value));
  }
  return raw as Config;
}

export function configFromProcess(flags: Record<string, string | true>): Config {
  return loadConfig({
    flags,
    env: process.env,
    cwd: process.cwd(),
    compiled: isCompiledBinary(),
    execPath: process.execPath,
  });
}

export function optionsHelp(): string {
  return OPTIONS.map((o) => `  --${o.flag.padEnd(12)} ${o.env.padEnd(22)} ${o.help}`).join("\n");
}
