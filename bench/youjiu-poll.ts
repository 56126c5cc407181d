/**
 * Youjiu push-login polling against the compiled binary:
 *  1. 1,000 simulated XONE devices, each polling `f-push` once a second (open loop,
 *     staggered), for N seconds: latency percentiles, and proof that waiting answers
 *     write nothing (captures grow by one per device session only).
 *  2. The maximum poll rate (closed loop, 64 clients) beside a bare Bun.serve JSON
 *     answer measured in the same run.
 * Usage: bun bench/youjiu-poll.ts [seconds=10] [devices=1000]   (npm run build first)
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedLoop, fmt, percentile, waitReady } from "./load.ts";

const seconds = Number(process.argv[2] ?? 10);
const devices = Number(process.argv[3] ?? 1000);
const root = join(import.meta.dir, "..");
const bin = join(root, "dist/bodydock");
if (!existsSync(bin)) throw new Error("build the binary first: npm run build");

const dir = mkdtempSync(join(tmpdir(), "bodydock-bench-"));
const port = 24000 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;
const METRICS_TOKEN = "bench-metrics-token-0123456789";
const server = Bun.spawn([bin, "serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--log-level", "warn"], {
  // The polls carry no token, as on a box upgraded with requireToken off (new installs require tokens);
  // the 1,000 simulated XONEs are admitted on first contact.
  env: { ...process.env, BODYDOCK_METRICS_TOKEN: METRICS_TOKEN, BODYDOCK_SETTING_YOUJIU_REQUIRETOKEN: "false", BODYDOCK_SETTING_YOUJIU_AUTOACTIVATE: "true" },
  stdout: "ignore",
  stderr: "inherit",
});
await waitReady(`${base}/healthz`);
const sn = (i: number) => `33981820${String(i).padStart(5, "0")}`;
const poll = (i: number): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "f-push", value: sn(i) }) });

/** The server's own histogram of /third_user (request in → answer out), from GET /metrics. */
async function serverHistogram(): Promise<Array<{ le: string; n: number }>> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return [...text.matchAll(/^bodydock_http_request_duration_seconds_bucket\{route="youjiu\.third_user",le="([^"]+)"\} (\d+)$/gm)].map((m) => ({ le: m[1]!, n: Number(m[2]) }));
}
function bucketLine(h: Array<{ le: string; n: number }>): string {
  const total = h.at(-1)?.n ?? 0;
  const within = (q: number) => h.find((b) => b.n >= q * total)?.le ?? "?";
  return `${total} polls; p50 ≤ ${within(0.5)} s, p99 ≤ ${within(0.99)} s, p99.9 ≤ ${within(0.999)} s`;
}

// 1. open loop: every device polls once a second, offsets spread over the second. Each
// device's first poll starts a session and is captured durably (spec §1.6); every later one
// is answered from memory. "Steady" is everything after the first 2 s, when all sessions run.
const WARMUP_MS = 2000;
const lat: number[] = [];
const steady: number[] = [];
let atWarmup: Array<{ le: string; n: number }> = [];
setTimeout(async () => (atWarmup = await serverHistogram()), WARMUP_MS);
let errors = 0;
const t0 = performance.now();
const end = t0 + seconds * 1000;
await Promise.all(
  Array.from({ length: devices }, async (_, i) => {
    await Bun.sleep((i / devices) * 1000);
    let next = performance.now();
    while (next < end) {
      const s = performance.now();
      try {
        const res = await fetch(`${base}/youjiu/third_user`, poll(i));
        const text = await res.text();
        if (res.status !== 200 || !text.includes('"waiting":1')) errors++;
      } catch {
        errors++;
      }
      lat.push(performance.now() - s);
      if (s - t0 >= WARMUP_MS) steady.push(performance.now() - s);
      next += 1000;
      const wait = next - performance.now();
      if (wait > 0) await Bun.sleep(wait);
    }
  }),
);
lat.sort((a, b) => a - b);
steady.sort((a, b) => a - b);
const rssKiB = Number((await Bun.file(`/proc/${server.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
console.log(
  `${devices} devices polling 1/s for ${seconds} s: ${lat.length} polls, errors ${errors}, p50 ${percentile(lat, 50).toFixed(2)} ms, p90 ${percentile(lat, 90).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms, max ${lat.at(-1)!.toFixed(1)} ms, server RSS ${(rssKiB / 1024).toFixed(0)} MiB`,
);

console.log(`  steady state (after ${WARMUP_MS / 1000} s): ${steady.length} polls, p50 ${percentile(steady, 50).toFixed(2)} ms, p90 ${percentile(steady, 90).toFixed(2)} ms, p99 ${percentile(steady, 99).toFixed(2)} ms, max ${steady.at(-1)!.toFixed(1)} ms`);
// The server's own view (without the load generator's scheduling, which shares the two cores).
const atEnd = await serverHistogram();
console.log(`  server-side, whole run: ${bucketLine(atEnd)}`);
console.log(`  server-side, steady state: ${bucketLine(atEnd.map((b, k) => ({ le: b.le, n: b.n - (atWarmup[k]?.n ?? 0) })))}`);

// 2. maximum poll rate, bodydock vs a bare Bun.serve JSON answer.
const maxBody = await closedLoop({ url: `${base}/youjiu/third_user`, concurrency: 64, seconds: Math.max(3, seconds / 2), makeRequest: (c) => poll(c % devices) });
server.kill("SIGTERM");
await server.exited;
const db = new Database(join(dir, "data/bodydock.sqlite"), { readonly: true });
const captures = (db.query("SELECT COUNT(*) AS n FROM captures").get() as { n: number }).n;
db.close();
console.log(`captures written: ${captures} (one per device session; waiting answers write nothing)`);

const barePort = port + 1;
const bare = Bun.spawn([process.execPath, join(root, "bench/bare-json-server.ts"), String(barePort)], { stdout: "ignore", stderr: "inherit" });
await waitReady(`http://127.0.0.1:${barePort}/`);
const maxBare = await closedLoop({ url: `http://127.0.0.1:${barePort}/`, concurrency: 64, seconds: Math.max(3, seconds / 2), makeRequest: (c) => poll(c % devices) });
bare.kill("SIGTERM");
await bare.exited;
console.log(`max poll rate  bodydock ${fmt(maxBody)}`);
console.log(`max poll rate  bare     ${fmt(maxBare)}`);
console.log(`ratio ${(maxBody.rps / maxBare.rps).toFixed(2)}`);
rmSync(dir, { recursive: true, force: true });
