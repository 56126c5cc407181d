/**
 * `bodydock apikey <add|list|revoke>`: API keys for the gym's own systems (issue 17), from the
 * command line (safe while the server runs). `add` prints the key alone on its last line: it is
 * shown this once, only its hash is kept. Changes are audited with actor `cli`.
 */
import { configFromProcess, optionsHelp } from "../config/config.ts";
import { createLogger } from "../log.ts";
import { openRuntime, type Runtime } from "../runtime.ts";
import { SCOPES, createKey, isScope, listKeys, liveKeyByName, revokeKey, type Scope } from "../staff/api-keys.ts";
import { ApiKeyError } from "../store/api-keys-repo.ts";
import { EXIT_USAGE, parseFlags, type Command } from "./command.ts";
import { CliFail, withCliErrors } from "./errors.ts";

const HELP = `Usage:
  bodydock apikey add --name NAME --scopes SCOPE[,SCOPE...] [--rate N]
  bodydock apikey list [--json]
  bodydock apikey revoke NAME

Manages the keys the gym's own systems call bodydock's API with
(Authorization: Bearer bd_...). Safe while the server runs.

  add       creates a key and prints it alone on the last line. It is shown
            only this once: bodydock keeps only its hash.
  list      lists keys: name, prefix, scopes, last use, revoked or not.
  revoke    stops a key at once.

Scopes: ${SCOPES.join(", ")}
  --rate N  requests a minute the key may make (default 600).

Every change is written to the audit log with actor "cli".

Example:
  bodydock apikey add --name crm --scopes members:read,members:write,measurements:read

Options:
${optionsHelp()}`;


function open(flags: Record<string, string | true>): Runtime {
  return openRuntime(configFromProcess(flags), { log: createLogger("silent") });
}

const iso = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString().slice(0, 16).replace("T", " "));

async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { flags, positional } = parseFlags(rest, ["json", "help"]);
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help" || flags.help) {
    console.log(HELP);
    return sub === undefined ? EXIT_USAGE : 0;
  }
  if (!["add", "list", "revoke"].includes(sub)) throw new CliFail(`unknown subcommand '${sub}'\n\n${HELP}`, EXIT_USAGE);
  // Config flags pass through; our own are taken out.
  const config: Record<string, string | true> = { ...flags };
  for (const k of ["name", "scopes", "rate", "json", "help"]) delete config[k];

  if (sub === "add") {
    const name = typeof flags.name === "string" ? flags.name.trim() : "";
    if (!name) throw new CliFail("give --name NAME", EXIT_USAGE);
    if (typeof flags.scopes !== "string") throw new CliFail(`give --scopes, from: ${SCOPES.join(", ")}`, EXIT_USAGE);
    const scopes = [...new Set(flags.scopes.split(",").map((s) => s.trim()).filter(Boolean))];
    const bad = scopes.filter((s) => !isScope(s));
    if (scopes.length === 0 || bad.length) throw new CliFail(`unknown scope ${bad.join(", ") || "(none)"}; scopes are ${SCOPES.join(", ")}`, EXIT_USAGE);
    let rate: number | undefined;
    if (flags.rate !== undefined) {
      rate = Number(flags.rate);
      if (!Number.isInteger(rate) || rate < 1 || rate > 100000) throw new CliFail("--rate is a whole number of requests a minute, 1 to 100000", EXIT_USAGE);
    }
    const rt = open(config);
    try {
      const r = await rt.writes.enqueue(() => createKey(rt, { name, scopes: scopes as Scope[], ratePerMinute: rate, by: "cli" }));
      console.log(`created API key ${r.view.name} (${r.view.scopes.join(", ")}); it is shown only now:`);
      console.log(r.key);
      return 0;
    } catch (e) {
      if (e instanceof ApiKeyError) throw new CliFail(e.message);
      throw e;
    } finally {
      await rt.close();
    }
  }

  if (sub === "list") {
    const rt = open(config);
    try {
      const keys = listKeys(rt);
      if (flags.json) console.log(JSON.stringify(keys, null, 2));
      else if (keys.length === 0) console.log("no API keys yet (bodydock apikey add --name NAME --scopes members:read)");
      else {
        const w = Math.max(4, ...keys.map((k) => k.name.length));
        console.log(`${"NAME".padEnd(w)}  PREFIX   STATUS   LAST USED         SCOPES`);
        for (const k of keys) console.log(`${k.name.padEnd(w)}  ${k.prefix.padEnd(7)}  ${(k.revokedAt ? "revoked" : "active").padEnd(7)}  ${iso(k.lastUsedAt).padEnd(16)}  ${k.scopes.join(",")}`);
      }
      return 0;
    } finally {
      await rt.close();
    }
  }

  // revoke
  const name = positional[0] ?? (typeof flags.name === "string" ? flags.name : undefined);
  if (!name) throw new CliFail("give the key's name, e.g. bodydock apikey revoke crm", EXIT_USAGE);
  const rt = open(config);
  try {
    const key = liveKeyByName(rt, name);
    if (!key) throw new CliFail(`no active API key named ${name}`);
    await rt.writes.enqueue(() => revokeKey(rt, key.id, "cli"));
    console.log(`API key ${key.name} revoked`);
    return 0;
  } finally {
    await rt.close();
  }
}

const apikey: Command = {
  name: "apikey",
  summary: "manage API keys for the gym's own systems: add, list, revoke",
  help: HELP,
  run: withCliErrors("apikey", run),
};
export default apikey;
