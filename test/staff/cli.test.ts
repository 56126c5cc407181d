/** `bodydock staff …` and the first-run setup link printed by `serve` (issue 4 §1, §2). */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runBodydock, tempDir } from "../helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dataDir() {
  const d = tempDir();
  dirs.push(d);
  return d;
}
const staff = (dir: string, args: string[], stdin?: string) => runBodydock(["staff", ...args, "--data-dir", dir], stdin === undefined ? {} : { stdin });
const rows = (dir: string, sql: string) => {
  const db = new Database(join(dir, "bodydock.sqlite"), { readonly: true });
  try {
    return db.query(sql).all();
  } finally {
    db.close();
  }
};

describe("bodydock staff", () => {
  test("add (password from stdin), list, passwd, disable, enable; argon2id hashes; audited as cli", async () => {
    const dir = dataDir();
    const add = await staff(dir, ["add", "--username", "alice", "--role", "admin", "--password-stdin"], "a long password\n");
    expect([add.code, add.stdout.trim()]).toEqual([0, "created admin account alice"]);
    expect((await staff(dir, ["add", "--username", "desk", "--role", "staff", "--password-stdin"], "another password")).code).toBe(0);
    const list = await staff(dir, ["list"]);
    expect(list.stdout).toMatch(/alice\s+admin\s+enabled/);
    expect(list.stdout).toMatch(/desk\s+staff\s+enabled/);
    const hash = (rows(dir, "SELECT password_hash FROM staff WHERE username = 'alice'")[0] as { password_hash: string }).password_hash;
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(await Bun.password.verify("a long password", hash)).toBe(true);

    expect((await staff(dir, ["passwd", "alice", "--password-stdin"], "a new long password\n")).code).toBe(0);
    const after = rows(dir, "SELECT password_hash, token_version FROM staff WHERE username = 'alice'")[0] as { password_hash: string; token_version: number };
    expect(await Bun.password.verify("a new long password", after.password_hash)).toBe(true);
    expect(after.token_version).toBe(1);
    expect((await staff(dir, ["disable", "desk"])).stdout).toContain("desk disabled");
    expect((await staff(dir, ["list", "--json"])).stdout).toContain('"disabled": true');
    expect((await staff(dir, ["enable", "desk"])).code).toBe(0);
    expect(rows(dir, "SELECT actor, action FROM audit ORDER BY id")).toEqual([
      { actor: "cli", action: "staff.create" },
      { actor: "cli", action: "staff.create" },
      { actor: "cli", action: "staff.password" },
      { actor: "cli", action: "staff.disable" },
      { actor: "cli", action: "staff.enable" },
    ]);
    expect(JSON.stringify(rows(dir, "SELECT * FROM audit"))).not.toContain("argon2");
  }, 30_000);

  test("refusals: no terminal and no --password-stdin, weak password, duplicate, unknown user, bad role, unknown subcommand", async () => {
    const dir = dataDir();
    const noTty = await staff(dir, ["add", "--username", "bob", "--role", "admin"]);
    expect([noTty.code, noTty.stderr]).toEqual([2, expect.stringContaining("--password-stdin")]);
    const weak = await staff(dir, ["add", "--username", "bob", "--role", "admin", "--password-stdin"], "short\n");
    expect([weak.code, weak.stderr]).toEqual([1, expect.stringContaining("at least 8 characters")]);
    await staff(dir, ["add", "--username", "bob", "--role", "admin", "--password-stdin"], "a long password\n");
    const dup = await staff(dir, ["add", "--username", "BOB", "--role", "staff", "--password-stdin"], "a long password\n");
    expect([dup.code, dup.stderr]).toEqual([1, expect.stringContaining("exists already")]);
    expect((await staff(dir, ["disable", "nobody"])).stderr).toContain("no staff account named nobody");
    expect((await staff(dir, ["add", "--username", "x", "--role", "owner", "--password-stdin"], "a long password")).code).toBe(2);
    expect((await staff(dir, ["frobnicate"])).code).toBe(2);
    const help = await runBodydock(["staff", "--help"]);
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining("bodydock staff add --username NAME --role admin|staff")]);
    expect((await runBodydock(["--help"])).stdout).toContain("  staff");
  }, 30_000);
});

async function readUntil(stream: ReadableStream<Uint8Array>, re: RegExp, timeoutMs = 8000): Promise<string> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const r = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => ({ done: true, value: undefined }))]);
      if (r.done) break;
      buf += dec.decode(r.value, { stream: true });
      if (re.test(buf)) return buf;
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error(`no match for ${re} in: ${buf}`);
}

describe("first run", () => {
  test("serve prints a one-time setup link while no admin exists; the link's token creates the first admin, once", async () => {
    const dir = dataDir();
    const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "" },
    });
    try {
      const err = await readUntil(proc.stderr, /setup\?token=[A-Za-z0-9_-]+/);
      const url = new URL(/(http:\/\/\S+setup\?token=\S+)/.exec(err)![1]!);
      expect(url.pathname).toBe("/setup");
      const token = url.searchParams.get("token")!;
      const base = `${url.protocol}//${url.host}`;
      const status = await (await fetch(`${base}/api/v1/auth/status`)).json();
      expect(status).toEqual({ setupRequired: true });
      const post = (body: unknown) => fetch(`${base}/api/v1/auth/setup`, { method: "POST", headers: { "content-type": "application/json", origin: base }, body: JSON.stringify(body) });
      const made = await post({ token, username: "owner", password: "a long password" });
      expect(made.status).toBe(201);
      expect((await post({ token, username: "owner2", password: "a long password" })).status).toBe(409);
      const login = await fetch(`${base}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json", origin: base }, body: JSON.stringify({ username: "owner", password: "a long password" }) });
      expect(login.status).toBe(200);
      const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
      expect((await fetch(`${base}/api/v1/auth/me`, { headers: { cookie } })).status).toBe(200);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
    // Once an admin exists, no link is printed.
    const again = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "" },
    });
    try {
      await readUntil(again.stdout, /ready: point devices/);
    } finally {
      again.kill("SIGTERM");
      await again.exited;
    }
    expect(await new Response(again.stderr).text()).not.toContain("setup?token=");
  }, 30_000);
});
