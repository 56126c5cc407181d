/**
 * Webhooks (issue 17 §6), against the compiled binary, a receiver in its own process
 * (bench/webhook-receiver.ts, verifying every signature), all on this 2-core machine.
 *
 *  A. Lefu Torre ingest, 32 concurrent scales, with one webhook endpoint (all events) versus
 *     without, alternating rounds in the same run, a fresh data dir per round; medians and the
 *     with/without ratio. Also: the events' sizes, and how long the receiver lagged behind.
 *  B. 100,000 queued events (written to the outbox before start) drain to the receiver;
 *     RSS is sampled every second while they drain.
 *
 * Usage: bun bench/webhooks.ts [seconds=8] [rounds=3] [events=100000] [receiverDelayMs=0]   (npm run build first)
 * (rounds 0 skips A; a receiver delay makes B drain at that slower receiver's pace)
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newSecret } from "../src/integrations/signature.ts";
import { createLogger } from "../src/log.ts";
import { openRuntime } from "../src/runtime.ts";
import { closedLoop, fmt, waitReady } from "./load.ts";

const seconds = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 3);
const events = Number(process.argv[4] ?? 100_000);
const receiverDelayMs = Number(process.argv[5] ?? 0);
const concurrency = 32;
const root = join(import.meta.dir, "..");
const bin = join(root, "dist/bodydock");
if (!existsSync(bin)) throw new Error("build the binary first: npm run build");
const seed = (await Bun.file(join(root, "../shared/fixtures/lefu/torre-record-seed-example.json")).json()).request.body;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let port = 26000 + Math.floor(Math.random() * 1000);

function upload(client: number, seq: number): RequestInit {
  const body = structuredClone(seed);
  body.sn = `CFE80508${String(client).padStart(4, "0")}`;
  body.list[0].timestamp = 1700000000 + seq * 64 + client;
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

async function receiver(secret: string, delayMs = 0) {
  const p = port++;
  const proc = Bun.spawn([process.execPath, join(root, "bench/webhook-receiver.ts"), String(p), secret, String(delayMs)], { stdout: "ignore", stderr: "inherit" });
  await waitReady(`http://127.0.0.1:${p}/stats`);
  return {
    url: `http://127.0.0.1:${p}/hook`,
    stats: async () => (await (await fetch(`http://127.0.0.1:${p}/stats`)).json()) as { received: number; verified: number; unique: number; bytes: number; maxBody: number; firstAt: number; lastAt: number },
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** A data dir with one endpoint registered (and `queued` events already in the outbox). */
async function dataDir(url: string | null, secret: string, queued = 0): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "bodydock-hooks-bench-"));
  const rt = openRuntime({ port: 0, host: "127.0.0.1", dataDir: join(dir, "data"), logLevel: "error", bodyLimit: 1 << 20, bodyTimeout: 30 }, { log: createLogger("silent"), env: {} });
  if (url) await rt.writes.enqueue(() => rt.repos.webhooks.create({ url, events: ["*"], secret, timeoutMs: 10000, description: null }, Date.now()));
  const payload = { memberNo: "M-1", measurement: { id: 1, source: "lefu", weightKg: 70.1 }, report: { bmi: 22.9, bodyFatPercent: 18.4, musclePercent: 41.2 } };
  for (let done = 0; done < queued; done += 5000) {
    await rt.writes.enqueue(() => {
      for (let i = done; i < Math.min(queued, done + 5000); i++) rt.repos.outbox.add("measurement.created", { ...payload, measurement: { ...payload.measurement, id: i } }, Date.now());
    });
  }
  await rt.close();
  return dir;
}

const METRICS_TOKEN = "bench-metrics-token";
function serve(dir: string) {
  const p = port++;
  const proc = Bun.spawn([bin, "serve", "--port", String(p), "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--log-level", "warn"], {
    cwd: dir,
    stdout: "ignore",
    stderr: "ignore",
    env: { PATH: process.env.PATH ?? "", BODYDOCK_METRICS_TOKEN: METRICS_TOKEN },
  });
  return {
    p,
    proc,
    rss: async () => Number((await Bun.file(`/proc/${proc.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024,
    /** JavaScript heap in use and the outbox depth, from /metrics. */
    metrics: async () => {
      const text = await (await fetch(`http://127.0.0.1:${p}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
      const v = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
      return { heap: v("bodydock_heap_used_bytes") / 1048576, depth: v("bodydock_outbox_depth") };
    },
  };
}

const secret = newSecret();
if (rounds > 0) {
console.log(`A. Lefu Torre ingest, ${concurrency} scales, ${seconds} s a round, ${rounds} rounds each, alternating; load generator, bodydock and receiver on one 2-core machine`);
const rx = await receiver(secret);
const without: number[] = [];
const withHook: number[] = [];
let lagMs: number[] = [];
let sizes = { bytes: 0, n: 0, max: 0 };
for (let round = 0; round < rounds; round++) {
  for (const hooked of [false, true]) {
    const before = await rx.stats();
    const dir = await dataDir(hooked ? rx.url : null, secret);
    const s = serve(dir);
    await waitReady(`http://127.0.0.1:${s.p}/healthz`);
    const r = await closedLoop({ url: `http://127.0.0.1:${s.p}/lefu/wifi/torre/record`, concurrency, seconds, makeRequest: upload, isOk: (res, text) => res.status === 200 && text.includes('"errorCode":0') });
    const loadEnd = Date.now();
    const ok = r.requests - r.errors;
    let line = `${hooked ? "webhook " : "no hook "} ${fmt(r)}, RSS ${(await s.rss()).toFixed(0)} MiB`;
    if (hooked) {
      // Each accepted upload makes measurement.created (+ report.computed); wait for the receiver to have them all.
      const t0 = Date.now();
      let st = await rx.stats();
      while (st.received - before.received < ok && Date.now() - t0 < 60_000) {
        await Bun.sleep(50);
        st = await rx.stats();
      }
      const got = st.received - before.received;
      lagMs.push(Math.max(0, st.lastAt - loadEnd));
      sizes = { bytes: sizes.bytes + st.bytes - before.bytes, n: sizes.n + got, max: Math.max(sizes.max, st.maxBody) };
      line += `; receiver got ${got} events (${st.verified - before.verified} verified) for ${ok} uploads, last ${Math.max(0, st.lastAt - loadEnd)} ms after the load stopped`;
      withHook.push(r.rps);
    } else without.push(r.rps);
    console.log(line);
    s.proc.kill("SIGTERM");
    await s.proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
const mw = median(withHook);
const mo = median(without);
console.log(`median req/s: without ${mo.toFixed(0)}, with one endpoint ${mw.toFixed(0)}; ratio with/without ${(mw / mo).toFixed(3)}`);
console.log(`event bodies: mean ${(sizes.bytes / Math.max(1, sizes.n)).toFixed(0)} B, max ${sizes.max} B; receiver lag after load (median) ${median(lagMs)} ms`);
await rx.stop();
}

console.log(`\nB. ${events} events queued before start, drained to one receiver${receiverDelayMs ? ` that takes ${receiverDelayMs} ms an event` : ""}`);
const rx2 = await receiver(secret, receiverDelayMs);
const t0 = Date.now();
const dir = await dataDir(rx2.url, secret, events);
console.log(`queued in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const s = serve(dir);
await waitReady(`http://127.0.0.1:${s.p}/healthz`);
const start = Date.now();
const samples: Array<{ t: number; got: number; rss: number; heap: number; depth: number }> = [];
for (;;) {
  const st = await rx2.stats();
  const m = await s.metrics();
  samples.push({ t: (Date.now() - start) / 1000, got: st.received, rss: await s.rss(), heap: m.heap, depth: m.depth });
  if (st.unique >= events || Date.now() - start > 600_000) break;
  await Bun.sleep(1000);
}
const took = (Date.now() - start) / 1000;
const st = await rx2.stats();
const q = Math.max(1, Math.floor(samples.length / 4));
const early = samples.slice(0, q).map((x) => x.rss);
const late = samples.slice(-q).map((x) => x.rss);
for (const x of samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 10)) === 0 || i === samples.length - 1)) console.log(`  t=${x.t.toFixed(0).padStart(4)} s  received ${String(x.got).padStart(6)}  outbox depth ${String(x.depth).padStart(6)}  RSS ${x.rss.toFixed(0)} MiB  heap ${x.heap.toFixed(1)} MiB`);
console.log(
  `drained ${st.unique} unique events (${st.received} requests, ${st.verified} verified) in ${took.toFixed(1)} s = ${(st.unique / took).toFixed(0)} events/s; ` +
    `RSS first quarter max ${Math.max(...early).toFixed(0)} MiB, last quarter max ${Math.max(...late).toFixed(0)} MiB, overall max ${Math.max(...samples.map((x) => x.rss)).toFixed(0)} MiB; ` +
    `heap first quarter max ${Math.max(...samples.slice(0, q).map((x) => x.heap)).toFixed(1)} MiB, last quarter max ${Math.max(...samples.slice(-q).map((x) => x.heap)).toFixed(1)} MiB`,
);
s.proc.kill("SIGTERM");
await s.proc.exited;
await rx2.stop();
rmSync(dir, { recursive: true, force: true });
