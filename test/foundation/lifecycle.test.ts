import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../../src/server.ts";
import { memoryLogger } from "../../src/log.ts";
import { REPO_ROOT, runBodydock, tempDir, testConfig, until } from "../helpers.ts";

async function waitForLine(stream: ReadableStream<Uint8Array>, re: RegExp, timeoutMs = 5000): Promise<{ line: string; rest: () => Promise<string> }> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    const line = buf.split("\n").find((l) => re.test(l));
    if (line) {
      return {
        line,
        rest: async () => {
          let more = buf;
          for (;;) {
            const r = await reader.read();
            if (r.done) return more;
            more += dec.decode(r.value, { stream: true });
          }
        },
      };
    }
  }
  throw new Error(`no line matching ${re} in: ${buf}`);
}

describe("graceful stop", () => {
  test("SIGTERM: stops, checkpoints the WAL, closes the database and exits 0", async () => {
    const dir = tempDir();
    const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "" },
    });
    const { line, rest } = await waitForLine(proc.stdout, /"msg":"listening"/);
    const port = JSON.parse(line).port as number;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const t0 = Date.now();
    proc.kill("SIGTERM");
    const code = await proc.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    const out = await rest();
    expect(out).toContain('"msg":"stopped"');
    // Checkpointed and closed: no WAL content is left behind.
    const wal = join(dir, "bodydock.sqlite-wal");
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    const db = new Database(join(dir, "bodydock.sqlite"));
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    db.close();
  });

  test("SIGINT does the same", async () => {
    const dir = tempDir();
    const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "--port", "0", "--host", "127.0.0.1", "--data-dir", dir], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "" },
    });
    await waitForLine(proc.stdout, /"msg":"listening"/);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
  });

  test("stop() commits writes still in the queue before closing", async () => {
    const config = testConfig();
    const server = await startServer(config, { log: memoryLogger() });
    const { writes, db } = server.runtime;
    db.run("CREATE TABLE t (v TEXT)");
    const pending = [1, 2, 3].map((i) => writes.enqueue((d) => d.run("INSERT INTO t VALUES (?)", [String(i)])));
    await server.stop();
    await Promise.all(pending);
    const check = new Database(join(config.dataDir, "bodydock.sqlite"));
    expect(check.query("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 3 });
    check.close();
  });

  test("bodydock's stop(): a device upload in flight is answered and committed first; then no new connections, the database closed, the folder unlocked", async () => {
    const config = testConfig({ host: "127.0.0.1", port: 0 });
    const server = await startServer(config, { log: memoryLogger() });
    const body = JSON.stringify({
      sn: "CFE8050813BA", mac: "CF:E8:05:08:13:BA", scaleType: 0, type: "LEFU-CF577",
      list: [{ weight: 69.3, timestamp: 1730893791, memberid: "m-1", userid: "u-1" }],
    });
    const enc = new TextEncoder();
    let send!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({ start: (c) => void (send = c) });
    const url = `http://127.0.0.1:${server.port}/lefu/wifi/torre/record`;
    const inflight = fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    send.enqueue(enc.encode(body.slice(0, 40))); // half a body: the role is waiting for the rest
    await until(() => server.pendingRequests === 1, "the upload reached the server");
    let stopped = false;
    const stopping = server.stop().then(() => (stopped = true));
    // stop() has begun: the port takes no new connection, while the upload is still open and stop() waits for it.
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
    expect(server.pendingRequests).toBe(1);
    expect(stopped).toBe(false);
    send.enqueue(enc.encode(body.slice(40)));
    send.close();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect((await res.json()).errorCode).toBe(0);
    await stopping;
    // The answered weighing is in the file and the database was closed.
    const check = new Database(join(config.dataDir, "bodydock.sqlite"), { readonly: true });
    expect(check.query("SELECT weight_kg FROM measurements").all()).toEqual([{ weight_kg: 69.3 }]);
    check.close();
    expect(() => server.runtime.db.query("SELECT 1").get()).toThrow();
    // The data folder lock is released: a new server starts on it.
    const again = await startServer(config, { log: memoryLogger() });
    await again.stop();
  });
});

describe("CLI", () => {
  test("--help lists every subcommand", async () => {
    const r = await runBodydock(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["serve", "migrate", "backup", "restore", "version"]) expect(r.stdout).toContain(`  ${c}`);
  });
  for (const c of ["serve", "migrate", "backup", "restore", "version"]) {
    test(`${c} --help`, async () => {
      const r = await runBodydock([c, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: bodydock ${c}`);
    });
  }
  test("an unknown command exits 2", async () => {
    const r = await runBodydock(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
  test("version", async () => {
    const r = await runBodydock(["version"]);
    expect(r.stdout).toMatch(/^bodydock \d+\.\d+\.\d+ \(schema \d+, bun /);
  });
});
