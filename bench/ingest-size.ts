/**
 * Lefu Torre ingest at a real gym's size (issue 18), side by side in one run:
 *   - the durable floor, ../shared/bench/floor-durable.ts, run unchanged (bare Bun.serve + bun:sqlite: a capture
 *     and one row per item, WAL + synchronous=FULL, group commit, answer after COMMIT, Connection: close);
 *   - bodydock (the compiled binary) on an empty database;
 *   - bodydock on a copy of the dataset database (bench/dataset.ts, default 5,000 members / 3 years);
 *   - the non-durable floor (bench/floor-server.ts, one insert, synchronous=NORMAL), for the record;
 *   - with `--servers ...,echo`: a bare Bun.serve that stores nothing (bench/echo-server.ts), the latency
 *     this machine and this client give a server that does no work at all.
 * Rounds are interleaved (floor, empty, dataset, non-durable, floor, ...) so that the other work on the
 * machine hits every server alike; each server gets a fresh copy of its database every round. Medians of
 * the rounds, and the ratios of the medians. Also the server's own CPU time per upload (/proc/PID/stat),
 * which other work on the machine disturbs much less than throughput does.
 *
 * Usage: bun bench/ingest-size.ts [--dataset DIR] [--rounds 3] [--seconds 8] [--conns 32,8,4]
 *          [--servers floor,empty,dataset,nondurable[,echo]]
 *   (npm run build first; the dataset is built with bench/dataset.ts when DIR has none)
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildDataset } from "./dataset.ts";
import { closedLoop, copyForBench, type LoadResult, waitReady } from "./load.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    dataset: { type: "string" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    conns: { type: "string", default: "32" },
    servers: { type: "string", default: "floor,empty,dataset,nondurable" },
  },
});
const root = join(import.meta.dir, "..");
const bin = join(root, "dist/bodydock");
if (!existsSync(bin)) throw new Error("build the binary first: npm run build");
const floorDurable = resolve(root, "../shared/bench/floor-durable.ts");
const datasetDir = resolve(values.dataset ?? join(root, ".bench-data/gym-5000m-3y"));
if (!existsSync(join(datasetDir, "bodydock.sqlite"))) await buildDataset({ members: 5000, years: 3, dir: datasetDir });
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const conns = values.conns!.split(",").map(Number);
const servers = values.servers!.split(",");
const seed = (await Bun.file(join(root, "../shared/fixtures/lefu/torre-record-seed-example.json")).json()).request.body;

let run = 0;
/** The seed upload with a unique timestamp per client, sequence number and run, from one of 32 scales. */
function upload(client: number, seq: number): RequestInit {
  const body = structuredClone(seed);
  body.sn = `CFE80508${String(client).padStart(4, "0")}`;
  body.list[0].timestamp = 1700000000 + run * 10_000_000 + seq * 64 + client;
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

const work = mkdtempSync(join(tmpdir(), "bodydock-ingest-size-"));
let port = 24000 + Math.floor(Math.random() * 1000);

/** CPU time (user + system) the process has used so far, ms. */
async function cpuMs(pid: number): Promise<number> {
  const f = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]!.split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
}

async function one(server: string, concurrency: number): Promise<LoadResult & { cpuUs: number }> {
  run++;
  const dir = join(work, `${server}-${run}`);
  mkdirSync(dir, { recursive: true });
  const p = port++;
  let cmd: string[];
  let env: Record<string, string> = { ...(process.env as Record<string, string>) };
  let path = "/lefu/wifi/torre/record";
  if (server === "floor") {
    cmd = [process.execPath, floorDurable];
    env = { ...env, PORT: String(p), DB: join(dir, "floor.sqlite") };
    path = "/lefu/wifi/torre/record";
  } else if (server === "echo") {
    cmd = [process.execPath, join(root, "bench/echo-server.ts"), String(p)];
  } else if (server === "nondurable") {
    cmd = [process.execPath, join(root, "bench/floor-server.ts"), String(p), join(dir, "floor.sqlite")];
    path = "/";
  } else {
    const data = join(dir, "data");
    mkdirSync(data);
    if (server === "dataset") copyForBench(join(datasetDir, "bodydock.sqlite"), join(data, "bodydock.sqlite"));
    cmd = [bin, "serve", "--port", String(p), "--host", "127.0.0.1", "--data-dir", data, "--log-level", "warn"];
  }
  const proc = Bun.spawn(cmd, { cwd: dir, env, stdout: "ignore", stderr: "inherit" });
  await waitReady(`http://127.0.0.1:${p}/healthz`, 60_000);
  const cpu0 = await cpuMs(proc.pid);
  const r = await closedLoop({
    url: `http://127.0.0.1:${p}${path}`,
    concurrency,
    seconds,
    makeRequest: upload,
    isOk: (res, text) => res.status === 200 && text.includes('"errorCode":0'),
  });
  const cpuUs = ((await cpuMs(proc.pid)) - cpu0) * 1000 / Math.max(1, r.requests);
  proc.kill("SIGTERM");
  await proc.exited;
  rmSync(dir, { recursive: true, force: true });
  return { ...r, cpuUs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

const dsDb = new Database(join(datasetDir, "bodydock.sqlite"), { readonly: true });
const ds = dsDb.query("SELECT (SELECT COUNT(*) FROM members) AS members, (SELECT COUNT(*) FROM measurements) AS measurements").get() as { members: number; measurements: number };
dsDb.close();
console.log(`Lefu Torre ingest: ${rounds} interleaved rounds of ${seconds} s per server; dataset ${ds.members} members / ${ds.measurements} measurements`);
console.log(`load average at start: ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);
for (const c of conns) {
  const results: Record<string, Array<LoadResult & { cpuUs: number }>> = Object.fromEntries(servers.map((s) => [s, []]));
  for (let r = 0; r < rounds; r++) {
    for (const s of servers) {
      const x = await one(s, c);
      results[s]!.push(x);
      console.log(`  ${c} conns, round ${r + 1}, ${s.padEnd(10)} ${f(x.rps)} uploads/s  p50 ${x.p50.toFixed(2)}  p99 ${x.p99.toFixed(2)} ms  server CPU ${x.cpuUs.toFixed(0)} us/upload  errors ${x.errors}`);
    }
  }
  const med = Object.fromEntries(
    servers.map((s) => [s, { rps: median(results[s]!.map((x) => x.rps)), p50: median(results[s]!.map((x) => x.p50)), p99: median(results[s]!.map((x) => x.p99)), cpu: median(results[s]!.map((x) => x.cpuUs)) }]),
  );
  console.log(`\n${c} connections, medians of ${rounds}:`);
  console.log("| server | uploads/s | p50 | p99 | server CPU per upload |");
  console.log("|---|---|---|---|---|");
  for (const s of servers) console.log(`| ${s} | ${f(med[s]!.rps)} | ${med[s]!.p50.toFixed(2)} ms | ${med[s]!.p99.toFixed(2)} ms | ${med[s]!.cpu.toFixed(0)} µs |`);
  const ratio = (a: string, b: string) => (med[a] && med[b] ? (med[a]!.rps / med[b]!.rps).toFixed(2) : "-");
  const cpuRatio = (a: string, b: string) => (med[a] && med[b] ? (med[b]!.cpu / med[a]!.cpu).toFixed(2) : "-");
  console.log(`throughput ratios: dataset/empty ${ratio("dataset", "empty")}, dataset/floor ${ratio("dataset", "floor")}, empty/floor ${ratio("empty", "floor")}, dataset/non-durable ${ratio("dataset", "nondurable")}`);
  // With `concurrency` clients in a closed loop the mean latency is concurrency / throughput; p99 over that mean
  // says how much of the tail is the server's and how much the machine's (the echo's is the machine's).
  console.log(`p99 / mean latency: ${servers.map((s) => `${s} ${(med[s]!.p99 / ((c / med[s]!.rps) * 1000)).toFixed(2)}`).join(", ")}`);
  console.log(`CPU-per-upload ratios (the second's CPU per upload / the first's: read like throughput ratios): dataset vs empty ${cpuRatio("dataset", "empty")}, dataset vs floor ${cpuRatio("dataset", "floor")}, empty vs floor ${cpuRatio("empty", "floor")}\n`);
}
console.log(`load average at end: ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);
rmSync(work, { recursive: true, force: true });
