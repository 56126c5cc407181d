/**
 * Issue 13, point 7 (the process): one server per port and per data folder, tested with real
 * processes; the data folder 0700 and the database files 0600.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runBodydock, tempDir } from "../helpers.ts";

type Proc = ReturnType<typeof Bun.spawn>;
const running: Proc[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill("SIGTERM");
    await p.exited;
  }
});

function serve(dataDir: string, port: number) {
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir], {
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "" },
  });
  running.push(proc);
  return proc;
}

/** Resolves with the port once the server logs "listening". */
async function listening(proc: Proc): Promise<number> {
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`exited before listening: ${buf}`);
    buf += dec.decode(value, { stream: true });
    const line = buf.split("\n").find((l) => l.includes('"msg":"listening"'));
    if (line) {
      reader.releaseLock();
      return JSON.parse(line).port as number;
    }
  }
}

async function refused(proc: Proc): Promise<{ code: number; stderr: string }> {
  const code = await proc.exited;
  return { code, stderr: await new Response(proc.stderr as ReadableStream).text() };
}

describe("one server per port and per data folder", () => {
  test("a second serve on the same port exits 1 with a plain message (no SO_REUSEPORT sharing)", async () => {
    const first = serve(tempDir(), 0);
    const port = await listening(first);
    const second = await refused(serve(tempDir(), port));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
    // The first one still answers.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  test("a second serve on the same data folder exits 1 with a plain message, even on another port", async () => {
    const dir = tempDir();
    const first = serve(dir, 0);
    const port = await listening(first);
    const second = await refused(serve(dir, 0));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another bodydock is already running on the data folder ${dir}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    // Once the first has stopped, the folder is free again.
    first.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const third = serve(dir, 0);
    expect(await listening(third)).toBeGreaterThan(0);
  });

  test("the lock goes with the process: after a SIGKILL the next serve starts", async () => {
    const dir = tempDir();
    const first = serve(dir, 0);
    await listening(first);
    first.kill("SIGKILL");
    await first.exited;
    expect(await listening(serve(dir, 0))).toBeGreaterThan(0);
  });
});

describe("file modes", () => {
  test("the data folder is created 0700 and the database, -wal and -shm are 0600", async () => {
    const dir = join(tempDir(), "new-data");
    const proc = serve(dir, 0);
    const port = await listening(proc);
    // A write makes sure the WAL exists.
    await fetch(`http://127.0.0.1:${port}/lefu/wifi/torre/record`, { method: "POST", body: JSON.stringify({ sn: "S1", weight: 70 }) });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of ["bodydock.sqlite", "bodydock.sqlite-wal", "bodydock.sqlite-shm", "bodydock.lock"]) {
      expect({ f, mode: (statSync(join(dir, f)).mode & 0o777).toString(8) }).toEqual({ f, mode: "600" });
    }
    // A backup holds the same data: 0600 too.
    const backup = join(tempDir(), "copy.sqlite");
    const r = await runBodydock(["backup", backup, "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect((statSync(backup).mode & 0o777).toString(8)).toBe("600");
  });

  test("an existing data folder that is too open is tightened to 0700", async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    await listening(serve(dir, 0));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
