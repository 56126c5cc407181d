/**
 * Housekeeping at size (issue 18 §5, §6), on a copy of the 1,000,000-measurement dataset, with 32 Lefu
 * scales uploading to the compiled binary the whole time (closed loop, the seed Torre upload):
 *
 *   baseline  ingest alone, for the comparison;
 *   prune     the server starts with diagnostics.captureRetentionDays = 1, so its start-up housekeeping
 *             deletes the 29 older days of captures (batches, then incremental_vacuum) while the scales
 *             upload; the bench watches the database (read-only) for the end of the prune;
 *   backup    `bodydock backup FILE` (another process: pages copied under the WAL read lock) while the scales upload;
 *   backup-vacuum  the same with VACUUM INTO (the method it replaced; another process at nice 10);
 *   prune-alone  the same prune in this process with nothing else running: batches, the longest one,
 *             pages freed (how long the write queue is held at most).
 * The scales upload in a closed loop (each sends its next upload as soon as it has the answer: the box
 * saturated, latency mostly queueing), or with --rate N at N uploads/s in all, spread over the scales
 * (each scale waits for its answer, then for its next turn): a busy gym's real traffic, where the
 * latency shows what the housekeeping itself costs an upload.
 * For each: uploads/s and p50 / p99 / max of the uploads made during that window, the window's length.
 *
 * Usage: bun bench/housekeeping.ts [--dataset DIR] [--conns 32] [--rate N] [--only baseline,prune,backup,backup-vacuum,prune-alone]
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { memoryLogger } from "../src/log.ts";
import { openRuntime } from "../src/runtime.ts";
import { pruneCaptures } from "../src/store/retention.ts";
import { copyForBench, percentile, waitReady } from "./load.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { "backup-opts": { type: "string" }, slices: { type: "boolean" }, dataset: { type: "string" }, conns: { type: "string", default: "32" }, rate: { type: "string" }, only: { type: "string", default: "baseline,prune,backup,prune-alone" } },
});
const root = join(import.meta.dir, "..");
const bin = join(root, "dist/bodydock");
if (!existsSync(bin)) throw new Error("build the binary first: npm run build");
const datasetDir = resolve(values.dataset ?? join(root, ".bench-data/gym-20000m-3y-1000000"));
const conns = Number(values.conns);
/** Uploads per second in all (--rate), or 0 for a closed loop. */
const rate = Number(values.rate ?? 0);
const only = values.only!.split(",");
const seed = (await Bun.file(join(root, "../shared/fixtures/lefu/torre-record-seed-example.json")).json()).request.body;
const work = mkdtempSync(join(tmpdir(), "bodydock-housekeeping-"));
const DAY = 86_400_000;
let port = 26000 + Math.floor(Math.random() * 1000);
let runNo = 0;

function copyDataset(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  copyForBench(join(datasetDir, "bodydock.sqlite"), join(dir, "bodydock.sqlite"));
  return dir;
}

function setRetention(dir: string, days: number) {
  const rt = openRuntime({ port: 0, host: "127.0.0.1", dataDir: dir, logLevel: "warn", bodyLimit: 1 << 20, bodyTimeout: 30 }, { log: memoryLogger("warn"), env: {} });
  rt.settings.set("diagnostics.captureRetentionDays", days, "bench");
  void rt.close();
}

/** Uploads (closed loop, or paced with --rate) until stop() says so; each sample is [start ms, latency ms]. */
async function upload(url: string, stop: () => boolean): Promise<Array<[number, number]>> {
  runNo++;
  const samples: Array<[number, number]> = [];
  await Promise.all(
    Array.from({ length: conns }, async (_, client) => {
      let seq = 0;
      // Paced: scale `client` starts at its own offset, then every conns / rate seconds (later when an answer was late).
      const every = rate > 0 ? (conns / rate) * 1000 : 0;
      let next = performance.now() + (every * client) / conns;
      while (!stop()) {
        if (every > 0) {
          const wait = next - performance.now();
          if (wait > 0) await Bun.sleep(wait);
          next = Math.max(next + every, performance.now());
          if (stop()) break;
        }
        const body = structuredClone(seed);
        body.sn = `CFE80508${String(client).padStart(4, "0")}`;
        body.list[0].timestamp = 1600000000 + runNo * 10_000_000 + seq++ * 64 + client;
        const s = performance.now();
        const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        await res.text();
        samples.push([s, performance.now() - s]);
      }
    }),
  );
  return samples;
}

function summary(label: string, samples: Array<[number, number]>, from: number, to: number, extra = "") {
  const lat = samples.filter(([s]) => s >= from && s <= to).map(([, l]) => l).sort((a, b) => a - b);
  const secs = (to - from) / 1000;
  console.log(
    `${label.padEnd(22)} window ${secs.toFixed(1)} s: ${(lat.length / secs).toFixed(0)} uploads/s, p50 ${percentile(lat, 50).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms, max ${(lat[lat.length - 1] ?? NaN).toFixed(1)} ms${extra}`,
  );
}

async function serve(dir: string) {
  const p = port++;
  const proc = Bun.spawn([bin, "serve", "--port", String(p), "--host", "127.0.0.1", "--data-dir", dir, "--log-level", "warn"], { stdout: "ignore", stderr: "ignore" });
  await waitReady(`http://127.0.0.1:${p}/healthz`, 60_000);
  return { url: `http://127.0.0.1:${p}/lefu/wifi/torre/record`, stop: async () => (proc.kill("SIGTERM"), await proc.exited) };
}

console.log(`housekeeping at size: ${datasetDir}, ${conns} scales uploading ${rate > 0 ? `${rate} uploads/s in all` : "in a closed loop"}; load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);

if (only.includes("baseline")) {
  const dir = copyDataset("baseline");
  const s = await serve(dir);
  const t0 = performance.now();
  const samples = await upload(s.url, () => performance.now() - t0 > 10_000);
  await s.stop();
  summary("baseline", samples, t0 + 1000, t0 + 10_000);
  rmSync(dir, { recursive: true, force: true });
}

if (only.includes("prune")) {
  const dir = copyDataset("prune");
  setRetention(dir, 1);
  const cutoff = Date.now() - DAY;
  const ro = new Database(join(dir, "bodydock.sqlite"), { readonly: true });
  const old = ro.query("SELECT COUNT(*) AS n FROM captures WHERE received_at < ? AND unknown_path = 0 AND quarantine = 0");
  const before = (old.get(cutoff) as { n: number }).n;
  const t0 = performance.now();
  const s = await serve(dir);
  let pruned = 0;
  const watch = setInterval(() => {
    if (!pruned && (old.get(cutoff) as { n: number }).n === 0) pruned = performance.now();
  }, 50);
  const samples = await upload(s.url, () => (pruned > 0 && performance.now() - pruned > 1000) || performance.now() - t0 > 120_000);
  clearInterval(watch);
  await s.stop();
  ro.close();
  summary("prune", samples, t0, pruned || performance.now(), `; ${before} captures deleted, done ${((pruned - t0) / 1000).toFixed(1)} s after the server was started`);
  rmSync(dir, { recursive: true, force: true });
}

// "backup": `bodydock backup` as shipped (pages copied under the WAL read lock, store/backup.ts);
// "backup-vacuum": the VACUUM INTO it replaced, in a process at the same nice 10, for the comparison.
for (const mode of ["backup", "backup-vacuum"]) {
  if (!only.includes(mode)) continue;
  const dir = copyDataset(mode);
  const s = await serve(dir);
  const t0 = performance.now();
  let done = 0;
  let backupStart = 0;
  const target = join(work, "backup.sqlite");
  const load = upload(s.url, () => done > 0 && performance.now() - done > 1000);
  await Bun.sleep(5000);
  backupStart = performance.now();
  const vacuumScript = `require("node:os").setPriority(10); const { backupTo } = await import(${JSON.stringify(join(root, "src/store/backup.ts"))}); backupTo(${JSON.stringify(join(dir, "bodydock.sqlite"))}, ${JSON.stringify(target)});`;
  // --backup-opts '{"pauseMs":5,...}': the page copy with other pacing (store/backup.ts BackupOptions), at nice 10 like the CLI.
  const pagesScript = `require("node:os").setPriority(10); const { backupTo } = await import(${JSON.stringify(join(root, "src/store/backup.ts"))}); const r = backupTo(${JSON.stringify(join(dir, "bodydock.sqlite"))}, ${JSON.stringify(target)}, { pages: true, ...${values["backup-opts"] ?? "{}"} }); console.log(JSON.stringify(r));`;
  const cmd = mode === "backup" ? (values["backup-opts"] ? [process.execPath, "-e", pagesScript] : [bin, "backup", target, "--data-dir", dir]) : [process.execPath, "-e", vacuumScript];
  const b = Bun.spawn(cmd, { stdout: "pipe", stderr: "inherit" });
  const code = await b.exited;
  done = performance.now();
  const said = (await new Response(b.stdout).text()).trim();
  const samples = await load;
  await s.stop();
  summary(`${mode}: before`, samples, t0 + 2000, backupStart);
  summary(`${mode}: during`, samples, backupStart, done, `; took ${((done - backupStart) / 1000).toFixed(1)} s (exit ${code}), ${(statSync(target).size / 2 ** 20).toFixed(0)} MiB written${said ? ` (${said})` : ""}`);
  summary(`${mode}: after`, samples, done, done + 1000);
  if (values.slices) for (let a = backupStart; a < done; a += 2000) summary(`  ${((a - backupStart) / 1000).toFixed(0)} s`, samples, a, Math.min(done, a + 2000));
  rmSync(dir, { recursive: true, force: true });
  rmSync(target, { force: true });
}

if (only.includes("prune-alone")) {
  const dir = copyDataset("prune-alone");
  const rt = openRuntime({ port: 0, host: "127.0.0.1", dataDir: dir, logLevel: "warn", bodyLimit: 1 << 20, bodyTimeout: 30 }, { log: memoryLogger("warn"), env: {} });
  const sizeBefore = statSync(join(dir, "bodydock.sqlite")).size;
  const r = await pruneCaptures(rt.db, rt.writes, Date.now() - DAY);
  await rt.close();
  const sizeAfter = statSync(join(dir, "bodydock.sqlite")).size;
  console.log(
    `prune alone: ${r.deleted} captures in ${r.batches} batches (and vacuum steps): median ${r.medianBatchMs.toFixed(2)} ms, longest ${r.longestBatchMs.toFixed(2)} ms, ${r.over5ms} over 5 ms; ` +
      `${r.pagesFreed} pages given back (file ${(sizeBefore / 2 ** 20).toFixed(0)} → ${(sizeAfter / 2 ** 20).toFixed(0)} MiB), ${(r.ms / 1000).toFixed(1)} s`,
  );
  rmSync(dir, { recursive: true, force: true });
}
rmSync(work, { recursive: true, force: true });
