/**
 * `bodydock staff <add|list|passwd|disable|enable>`: staff accounts from the
 * command line (safe while the server runs: one short transaction each). Changes
 * are audited with actor `cli`. Passwords come from the terminal (not echoed,
 * asked twice) or, with --password-stdin, from standard input.
 */
import { configFromProcess, optionsHelp } from "../config/config.ts";
import { createLogger } from "../log.ts";
import { openRuntime, type Runtime } from "../runtime.ts";
import { MIN_PASSWORD, StaffError, StaffRepo, hashPassword, staffView, type Role } from "../store/staff-repo.ts";
import { EXIT_USAGE, parseFlags, type Command } from "./command.ts";
import { CliFail, withCliErrors } from "./errors.ts";

const HELP = `Usage:
  bodydock staff add --username NAME --role admin|staff [--password-stdin]
  bodydock staff list [--json]
  bodydock staff passwd NAME [--password-stdin]
  bodydock staff disable NAME
  bodydock staff enable NAME

Manages the accounts staff sign in with. Safe while the server runs.

  add       creates an account. The password is asked on the terminal (twice,
            not shown), or read from standard input with --password-stdin
            (one line; at least ${MIN_PASSWORD} characters).
  list      lists accounts: username, role, enabled or disabled.
  passwd    sets a new password; the account's sessions end at once.
  disable   stops an account from signing in; its sessions end at once.
  enable    lets a disabled account sign in again.

Every change is written to the audit log with actor "cli".

Examples:
  bodydock staff add --username alice --role admin
  echo 'a long password' | bodydock staff add --username desk --role staff --password-stdin

Options:
${optionsHelp()}`;


/** Reads a password on the terminal without echoing it. */
async function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new CliFail("no terminal to ask for the password on: pipe it in with --password-stdin", EXIT_USAGE);
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            resolve(value);
            return;
          }
          if (ch === "\u0003" || ch === "\u0004") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            reject(new CliFail("cancelled", 130));
            return;
          }
          if (ch === "\u007f" || ch === "\b") value = [...value].slice(0, -1).join("");
          else if (ch >= " ") value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}

async function readPassword(fromStdin: boolean, what: string): Promise<string> {
  if (fromStdin) {
    const text = await new Response(Bun.stdin.stream()).text();
    const pw = text.replace(/\r?\n$/, "");
    if (pw.includes("\n")) throw new CliFail("--password-stdin reads one line; got several", EXIT_USAGE);
    return pw;
  }
  const a = await promptHidden(`${what}: `);
  const b = await promptHidden("Again: ");
  if (a !== b) throw new CliFail("the two passwords differ; nothing changed");
  return a;
}

async function hash(password: string): Promise<string> {
  try {
    return await hashPassword(password);
  } catch (e) {
    if (e instanceof StaffError) throw new CliFail(e.message);
    throw e;
  }
}

function open(flags: Record<string, string | true>): Runtime {
  return openRuntime(configFromProcess(flags), { log: createLogger("silent") });
}

function requireName(rt: Runtime, name: string | undefined) {
  if (!name) throw new CliFail("give the username, e.g. bodydock staff disable alice", EXIT_USAGE);
  const row = rt.repos.staff.byUsername(name);
  if (!row) throw new CliFail(`no staff account named ${name}`);
  return row;
}

async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { flags, positional } = parseFlags(rest, ["password-stdin", "json", "help"]);
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help" || flags.help) {
    console.log(HELP);
    return sub === undefined ? EXIT_USAGE : 0;
  }
  if (!["add", "list", "passwd", "disable", "enable"].includes(sub)) throw new CliFail(`unknown subcommand '${sub}'\n\n${HELP}`, EXIT_USAGE);

  if (sub === "add") {
    const username = typeof flags.username === "string" ? flags.username.trim() : positional[0];
    const role = flags.role;
    if (!username) throw new CliFail("give --username NAME", EXIT_USAGE);
    if (role !== "admin" && role !== "staff") throw new CliFail("give --role admin or --role staff", EXIT_USAGE);
    const password = await readPassword(flags["password-stdin"] === true, `Password for ${username}`);
    const h = await hash(password);
    const rt = open(flags);
    try {
      const staff = rt.repos.staff;
      const row = await rt.writes.enqueue(() => {
        const r = staff.insert(username, h, role as Role, rt.now());
        rt.repos.audit.record("cli", "staff.create", "staff", String(r.id), null, staffView(r));
        return r;
      });
      console.log(`created ${row.role} account ${row.username}`);
      return 0;
    } catch (e) {
      if (e instanceof StaffError) throw new CliFail(e.message);
      throw e;
    } finally {
      await rt.close();
    }
  }

  if (sub === "list") {
    const rt = open(flags);
    try {
      const rows = rt.repos.staff.list().map(staffView);
      if (flags.json) console.log(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) console.log("no staff accounts yet (bodydock staff add --username NAME --role admin)");
      else {
        const w = Math.max(8, ...rows.map((r) => r.username.length));
        console.log(`${"USERNAME".padEnd(w)}  ROLE   STATUS`);
        for (const r of rows) console.log(`${r.username.padEnd(w)}  ${r.role.padEnd(5)}  ${r.disabled ? "disabled" : "enabled"}`);
      }
      return 0;
    } finally {
      await rt.close();
    }
  }

  if (sub === "passwd") {
    // Check the account first, so nobody types a password for a name that does not exist.
    let rt = open(flags);
    try {
      requireName(rt, positional[0]);
    } finally {
      await rt.close();
    }
    const password = await readPassword(flags["password-stdin"] === true, `New password for ${positional[0]}`);
    const h = await hash(password);
    rt = open(flags);
    try {
      const row = requireName(rt, positional[0]);
      await rt.writes.enqueue(() => {
        rt.repos.staff.setPassword(row.id, h, rt.now());
        rt.repos.audit.record("cli", "staff.password", "staff", String(row.id), null, { passwordChanged: true });
      });
      console.log(`password of ${row.username} changed; its sessions have ended`);
      return 0;
    } finally {
      await rt.close();
    }
  }

  // disable / enable
  const rt = open(flags);
  try {
    const row = requireName(rt, positional[0]);
    const disable = sub === "disable";
    await rt.writes.enqueue(() => {
      const after = rt.repos.staff.setDisabled(row.id, disable, rt.now());
      rt.repos.audit.record("cli", `staff.${sub}`, "staff", String(row.id), staffView(row), staffView(after));
    });
    console.log(disable ? `${row.username} disabled; its sessions have ended` : `${row.username} enabled`);
    return 0;
  } finally {
    await rt.close();
  }
}

const staff: Command = {
  name: "staff",
  summary: "manage staff accounts: add, list, passwd, disable, enable",
  help: HELP,
  run: withCliErrors("staff", run),
};
export default staff;
