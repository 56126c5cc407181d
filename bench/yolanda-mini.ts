/**
 * WSP Mini pipeline: N concurrent "weighings", each the way Yolanda's relay does
 * it (GET /wsp-mini/users, then POST /wsp-mini/measurements with the seed's
 * report), every call carrying an HS256 JWT that bodydock verifies with jose.
 * 32 scales with 8 slotted members each; every measurement is durable before
 * its answer (synchronous=FULL + group commit). Then the same measurements are
 * replayed (idempotent: nothing stored). Runs the server from source.
 *
 * Usage: bun bench/yolanda-mini.ts [seconds=10] [concurrency=32]
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { percentile, waitReady } from "./load.ts";

const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 32);
const root = join(import.meta.dir, "..");
const SECRET = "bench-secret-0123456789-abcdefghijklmnop";
const SCALES = 32;
const seedItem = (await Bun.file(join(root, "../shared/fixtures/yolanda/mini-measurements-seed-example.json")).json()).request.body.measurements[0];

const dir = mkdtempSync(join(tmpdir(), "bodydock-bench-"));
const dataDir = join(dir, "data");
const port = 24000 + Math.floor(Math.random() * 1000);
const main = join(root, "src/main.ts");

// Schema, then 256 members on 32 scales (8 slots each).
const m = Bun.spawnSync([process.execPath, main, "migrate", "--data-dir", dataDir], { stdout: "ignore", stderr: "inherit" });
if (m.exitCode !== 0) throw new Error("migrate failed");
const mac = (i: number) => `A8:48:FA:00:00:${i.toString(16).padStart(2, "0").toUpperCase()}`;
{
  const db = new Database(join(dataDir, "bodydock.sqlite"));
  const insM = db.query(`INSERT INTO members (id, name, sex, birthday, height_cm, reference_weight_kg, status, created_at, updated_at)
    VALUES (?, ?, ?, '1990-05-01', ?, ?, 'active', 0, 0)`);
  const insS = db.query("INSERT INTO yolanda_slots (mac, user_index, member_id, user_key, assigned_at) VALUES (?, ?, ?, ?, 0)");
  db.transaction(() => {
    for (let s = 0; s < SCALES; s++) {
      for (let i = 1; i <= 8; i++) {
        const id = 1000 + s * 8 + i;
        insM.run(id, `Member ${id}`, i % 2 ? "male" : "female", 160 + i * 3, 55 + i * 4);
        insS.run(mac(s), i, id, 1000 + id);
      }
    }
  })();
  db.close();
}

const proc = Bun.spawn([process.execPath, main, "serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir, "--log-level", "warn"], {
  env: { ...process.env, BODYDOCK_YOLANDA_MINI_JWT_SECRET: SECRET },
  stdout: "ignore",
  stderr: "inherit",
});
await waitReady(`http://127.0.0.1:${port}/healthz`);

const auth = `Bearer ${await new SignJWT({ iss: "wsp-mini", appid: "wx00bench", iat: Math.floor(Date.now() / 1000) })
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .sign(new TextEncoder().encode(SECRET))}`;

interface Phase {
  perClient: number[];
  users: number[];
  measurements: number[];
  errors: number;
  weighings: number;
  seconds: number;
}

/** Each client weighs on its own scale with fresh timestamps, or (replay) sends exactly its earlier weighings again. */
async function phase(replayOf: number[] | null): Promise<Phase> {
  const users: number[] = [];
  const measurements: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const perClient: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      let seq = 0;
      const scale = mac(client % SCALES);
      while (replayOf === null ? performance.now() < end : seq < replayOf[client]!) {
        const s1 = performance.now();
        const u = await fetch(`http://127.0.0.1:${port}/wsp-mini/users?mac=${scale}`, { headers: { authorization: auth } });
        const ut = await u.text();
        users.push(performance.now() - s1);
        if (u.status !== 200 || !ut.includes('"user_index":8')) errors++;
        const item = { ...seedItem, user_index: 1 + (seq % 8), timestamp: 1700000000 + seq * 64 + client };
        const s2 = performance.now();
        const r = await fetch(`http://127.0.0.1:${port}/wsp-mini/measurements`, {
          method: "POST",
          headers: { authorization: auth, "content-type": "application/json" },
          body: JSON.stringify({ mac: scale, measurements: [item] }),
        });
        const rt = await r.text();
        measurements.push(performance.now() - s2);
        if (r.status !== 200 || rt !== "success") errors++;
        seq++;
      }
      perClient[client] = seq;
    }),
  );
  return { perClient, users, measurements, errors, weighings: measurements.length, seconds: (performance.now() - t0) / 1000 };
}

const line = (name: string, lat: number[]) => {
  lat.sort((a, b) => a - b);
  return `${name.padEnd(13)} p50 ${percentile(lat, 50).toFixed(2)} ms, p90 ${percentile(lat, 90).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms, max ${lat[lat.length - 1]!.toFixed(1)} ms`;
};

console.log(`WSP Mini pipeline, ${concurrency} concurrent weighings on ${SCALES} scales, ${seconds} s, loopback, server from source, load generator on the same machine`);
const first = await phase(null);
console.log(`new weighings: ${first.weighings} in ${first.seconds.toFixed(1)} s = ${(first.weighings / first.seconds).toFixed(0)} weighings/s (${((2 * first.weighings) / first.seconds).toFixed(0)} req/s), errors ${first.errors}`);
console.log(line("  users", first.users));
console.log(line("  measurements", first.measurements));
const replay = await phase(first.perClient);
console.log(`replays: ${replay.weighings} in ${replay.seconds.toFixed(1)} s, errors ${replay.errors}`);
console.log(line("  measurements", replay.measurements));
const rss = Number((await Bun.file(`/proc/${proc.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
proc.kill("SIGTERM");
await proc.exited;
const db = new Database(join(dataDir, "bodydock.sqlite"), { readonly: true });
const stored = (db.query("SELECT COUNT(*) AS n FROM measurements").get() as { n: number }).n;
const dups = (db.query("SELECT SUM(dup_count) AS n FROM devices").get() as { n: number }).n;
db.close();
console.log(`stored measurements ${stored} (new weighings ${first.weighings}), duplicates counted ${dups} (replays ${replay.weighings}), RSS ${(rss / 1024).toFixed(0)} MiB`);
if (stored !== first.weighings || dups !== replay.weighings) {
  console.log("MISMATCH: every new weighing must be stored once and every replay counted, not stored");
  process.exitCode = 1;
}
rmSync(dir, { recursive: true, force: true });
