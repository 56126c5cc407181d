/**
 * Issue 17 §5: a real bodydock process is SIGKILLed after it acknowledged a Lefu weighing (so
 * the event is committed) while the webhook delivery is in flight; after a restart the event is
 * delivered, with the same webhook-id.
 */
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { newSecret } from "../../src/integrations/signature.ts";
import { memoryLogger } from "../../src/log.ts";
import { openRuntime } from "../../src/runtime.ts";
import { REPO_ROOT, tempDir, testConfig } from "../helpers.ts";
import { Receiver, until } from "./receiver.ts";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup.length = 0;
});

function start(dir: string) {
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir, "--log-level", "info"], {
    stdout: "pipe",
    stderr: "ignore",
    env: { PATH: process.env.PATH ?? "" },
  });
  cleanup.push(() => proc.kill("SIGKILL"));
  return proc;
}

async function listeningPort(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    const line = buf.split("\n").find((l) => l.includes('"msg":"listening"'));
    if (line) {
      // Keep draining stdout so the child never blocks on a full pipe.
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return JSON.parse(line).port as number;
    }
  }
  throw new Error(`no listening line in: ${buf}`);
}

test("SIGKILL between commit and delivery: the event is delivered after restart", async () => {
  const dir = tempDir();
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const receiver = new Receiver().start();
  cleanup.push(() => receiver.stop());
  const secret = newSecret();
  receiver.secrets.set("s", secret);
  // The endpoint is registered in the data dir before the server starts.
  const rt = openRuntime(testConfig({ dataDir: dir }), { log: memoryLogger("error"), env: {} });
  await rt.writes.enqueue(() => rt.repos.webhooks.create({ url: receiver.url, events: ["measurement.created"], secret, timeoutMs: 30_000, description: null }, Date.now()));
  await rt.close();

  // First run: the receiver takes the delivery and never answers.
  let hung = 0;
  receiver.behave = () => {
    hung++;
    return { status: 200, delayMs: 20_000 };
  };
  let proc = start(dir);
  let port = await listeningPort(proc.stdout);
  const res = await fetch(`http://127.0.0.1:${port}/lefu/wifi/torre/record`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sn: "KILL1", scaleType: 0, bat: "0.5", list: [{ memberid: "m-1", weight: 81.2, timestamp: 1762430000, data: [{ impedance: "512" }] }] }),
  });
  expect(await res.text()).toContain('"errorCode":0');
  await until(() => hung === 1, "the delivery in flight");
  proc.kill("SIGKILL");
  await proc.exited;
  expect(receiver.delivered).toHaveLength(0);

  // Committed before the answer: the event and its pending delivery are on disk.
  const db = new Database(join(dir, "bodydock.sqlite"));
  const ev = db.query("SELECT o.event_id, d.state FROM outbox o JOIN webhook_deliveries d ON d.outbox_id = o.id WHERE o.type = 'measurement.created'").get() as { event_id: string; state: string };
  db.close();
  expect(ev.state).toBe("pending");

  // Second run: the receiver answers at once; the event goes out without any new request.
  receiver.behave = () => 200;
  proc = start(dir);
  port = await listeningPort(proc.stdout);
  await until(() => receiver.delivered.length === 1, "delivered after restart", 15_000);
  const got = receiver.delivered[0]!;
  expect(got.id).toBe(ev.event_id);
  expect(got.verifiedBy).toEqual(["s"]);
  expect(got.event.data.measurement.weightKg).toBe(81.2);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 60_000);
