/**
 * Lefu Torre ingest, two builds side by side: A and B (e.g. main as branched, and a branch) are run
 * alternately, `rounds` times each, 32 concurrent scales posting the seed's Torre upload with fresh
 * timestamps for `seconds` each, every answer durable. Prints each round, the medians and B/A, for
 * throughput and for the server's CPU time per request (utime + stime from /proc, less sensitive
 * than throughput to other load on a shared machine).
 *
 * Usage: bun bench/lefu-ab.ts <binaryA> <binaryB> [rounds=3] [seconds=8] [concurrency=32]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedLoop, waitReady } from "./load.ts";

const [binA, binB] = [process.argv[2], process.argv[3]];
if (!binA || !binB) throw new Error("usage: bun bench/lefu-ab.ts <binaryA> <binaryB> [rounds] [seconds] [concurrency]");
const rounds = Number(process.argv[4] ?? 3);
const seconds = Number(process.argv[5] ?? 8);
const concurrency = Number(process.argv[6] ?? 32);
const root = join(import.meta.dir, "..");
const seed = (await Bun.file(join(root, "../shared/fixtures/lefu/torre-record-seed-example.json")).json()).request.body;

let seq0 = 0;
function upload(client: number, seq: number): RequestInit {
  const body = structuredClone(seed);
  body.sn = `CFE80508${String(client).padStart(4, "0")}`;
  body.list[0].timestamp = 1700000000 + (seq0 + seq) * 64 + client;
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

async function once(bin: string, port: number) {
  const dir = mkdtempSync(join(tmpdir(), "bodydock-ab-"));
  const proc = Bun.spawn([bin, "serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--log-level", "warn"], { cwd: dir, stdout: "ignore", stderr: "ignore" });
  try {
    await waitReady(`http://127.0.0.1:${port}/healthz`);
    seq0 += 1_000_000;
    const cpu0 = await cpuMs(proc.pid);
    const r = await closedLoop({ url: `http://127.0.0.1:${port}/lefu/wifi/torre/record`, concurrency, seconds, makeRequest: upload, isOk: (res, text) => res.status === 200 && text.includes('"errorCode":0') });
    const cpu = (await cpuMs(proc.pid)) - cpu0;
    return { ...r, cpuPerReq: cpu / Math.max(1, r.requests) };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU time (user + system) the process has used, in ms (clock ticks are 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const f = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const res: Record<"A" | "B", Array<{ rps: number; p50: number; p99: number; errors: number; cpuPerReq: number }>> = { A: [], B: [] };
let port = 24000 + Math.floor(Math.random() * 1000);
console.log(`Lefu Torre ingest A/B, ${rounds} rounds × ${seconds} s, ${concurrency} concurrent scales; A=${binA} B=${binB}`);
for (let i = 0; i < rounds; i++) {
  for (const [name, bin] of (i % 2 === 0 ? [["A", binA], ["B", binB]] : [["B", binB], ["A", binA]]) as Array<["A" | "B", string]>) {
    const r = await once(bin, port++);
    res[name].push({ rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, cpuPerReq: r.cpuPerReq });
    console.log(`round ${i + 1} ${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, server CPU ${r.cpuPerReq.toFixed(3)} ms/req, errors ${r.errors}`);
  }
}
const m = (k: "A" | "B", f: "rps" | "p50" | "p99" | "cpuPerReq") => median(res[k].map((r) => r[f]));
for (const k of ["A", "B"] as const) {
  console.log(`median ${k}: ${m(k, "rps").toFixed(0)} req/s p50 ${m(k, "p50").toFixed(1)} ms p99 ${m(k, "p99").toFixed(1)} ms, server CPU ${m(k, "cpuPerReq").toFixed(3)} ms/req`);
}
console.log(`B/A server CPU per request ${(m("B", "cpuPerReq") / m("A", "cpuPerReq")).toFixed(3)}; per round ${res.B.map((b, i) => (b.cpuPerReq / res.A[i]!.cpuPerReq).toFixed(3)).join(", ")}`);
console.log(`B/A throughput ${(m("B", "rps") / m("A", "rps")).toFixed(3)}; per-round B/A ${res.B.map((b, i) => (b.rps / res.A[i]!.rps).toFixed(3)).join(", ")}`);
