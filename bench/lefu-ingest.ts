/**
 * Lefu Torre ingest: 32 concurrent scales posting the seed's Torre upload with
 * fresh timestamps, against the compiled binary (every answer durable:
 * synchronous=FULL + group commit), and in the same run against the floor
 * (bare Bun.serve + bun:sqlite minimal insert, synchronous=NORMAL).
 *
 * Usage: bun bench/lefu-ingest.ts [seconds=10] [concurrency=32]   (npm run build first)
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedLoop, fmt, waitReady } from "./load.ts";

const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 32);
const root = join(import.meta.dir, "..");
const bin = join(root, "dist/bodydock");
if (!existsSync(bin)) throw new Error("build the binary first: npm run build");
const seed = (await Bun.file(join(root, "../shared/fixtures/lefu/torre-record-seed-example.json")).json()).request.body;

/** The seed upload with a fresh (unique) timestamp per client and sequence number, from one of 32 scales. */
function upload(client: number, seq: number): RequestInit {
  const body = structuredClone(seed);
  body.sn = `CFE80508${String(client).padStart(4, "0")}`;
  body.list[0].timestamp = 1700000000 + seq * 64 + client;
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

async function run(name: string, cmd: string[], port: number, path: string, dir: string) {
  const proc = Bun.spawn(cmd, { cwd: dir, stdout: "ignore", stderr: "inherit" });
  await waitReady(`http://127.0.0.1:${port}/healthz`);
  const r = await closedLoop({
    url: `http://127.0.0.1:${port}${path}`,
    concurrency,
    seconds,
    makeRequest: upload,
    isOk: (res, text) => res.status === 200 && text.includes('"errorCode":0'),
  });
  const rss = Number((await Bun.file(`/proc/${proc.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  proc.kill("SIGTERM");
  await proc.exited;
  console.log(`${name.padEnd(9)} ${fmt(r)}, RSS ${(rss / 1024).toFixed(0)} MiB`);
  return r;
}

const dir = mkdtempSync(join(tmpdir(), "bodydock-bench-"));
const p1 = 23000 + Math.floor(Math.random() * 1000);
const p2 = p1 + 1;
console.log(`Lefu Torre ingest, ${concurrency} concurrent scales, ${seconds} s each, loopback, load generator on the same 2-core machine`);
const floor = await run("floor", [process.execPath, join(root, "bench/floor-server.ts"), String(p1), join(dir, "floor.sqlite")], p1, "/", dir);
const body = await run(
  "bodydock",
  [bin, "serve", "--port", String(p2), "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--log-level", "warn"],
  p2,
  "/lefu/wifi/torre/record",
  dir,
);
const db = new Database(join(dir, "data/bodydock.sqlite"), { readonly: true });
const stored = (db.query("SELECT COUNT(*) AS n FROM measurements").get() as { n: number }).n;
db.close();
console.log(`ratio bodydock/floor: ${(body.rps / floor.rps).toFixed(2)}; bodydock answered ${body.requests - body.errors} successes, stored ${stored} measurements`);
rmSync(dir, { recursive: true, force: true });
