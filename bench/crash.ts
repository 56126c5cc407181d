/**
 * Crash test: while clients post Lefu Torre uploads, the server (compiled
 * binary) is killed with SIGKILL and restarted, again and again. Afterwards every
 * upload that got a success answer must be in the database, none twice, and
 * `PRAGMA integrity_check` must be ok.
 *
 * Usage: bun bench/crash.ts [cycles=20] [clients=16]   (npm run build first)
 * Exit code 0 when every check holds.
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cycles = Number(process.argv[2] ?? 20);
const clients = Number(process.argv[3] ?? 16);
const root = join(import.meta.dir, "..");
const bin = process.env.BODYDOCK_BIN ?? join(root, "dist/bodydock");
if (!existsSync(bin)) throw new Error("build the binary first: npm run build");

const dir = mkdtempSync(join(tmpdir(), "bodydock-crash-"));
const port = 25000 + Math.floor(Math.random() * 1000);
const url = `http://127.0.0.1:${port}/lefu/wifi/torre/record`;
const acked = new Map<string, number>(); // idem_key → times acknowledged
let sent = 0;
let failures = 0;

function start() {
  return Bun.spawn([bin, "serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--log-level", "error"], {
    stdout: "ignore",
    stderr: "ignore",
  });
}
async function ready() {
  for (let i = 0; i < 500; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      /* not yet */
    }
    await Bun.sleep(10);
  }
  throw new Error("server did not come back");
}

let running = true;
let seq = 0;
async function client(c: number) {
  const sn = `CRASH${String(c).padStart(4, "0")}`;
  while (running) {
    // A retry after a failed answer re-sends the same reading, as a scale would.
    const ts = 1700000000 + seq++;
    const key = `lefu:${sn}:${ts * 1000}:m-${c}`;
    const body = JSON.stringify({ sn, scaleType: 0, bat: "0.5", list: [{ memberid: `m-${c}`, weight: 60 + (ts % 40), timestamp: ts, data: [{ impedance: "512" }] }] });
    for (let attempt = 0; attempt < 50 && running; attempt++) {
      sent++;
      try {
        const res = await fetch(url, { method: "POST", body, signal: AbortSignal.timeout(2000) });
        const text = await res.text();
        if (res.status === 200 && text.includes('"errorCode":0')) {
          acked.set(key, (acked.get(key) ?? 0) + 1);
          break;
        }
        failures++;
      } catch {
        failures++;
        await Bun.sleep(20);
      }
    }
  }
}

let server = start();
await ready();
const workers = Array.from({ length: clients }, (_, c) => client(c));
for (let i = 0; i < cycles; i++) {
  await Bun.sleep(200 + Math.random() * 500);
  server.kill("SIGKILL");
  await server.exited;
  server = start();
  await ready();
}
await Bun.sleep(300);
running = false;
await Promise.all(workers);
server.kill("SIGTERM");
const code = await server.exited;

const db = new Database(join(dir, "data/bodydock.sqlite"), { readonly: true });
const stored = new Map((db.query("SELECT idem_key, COUNT(*) AS n FROM measurements GROUP BY idem_key").all() as Array<{ idem_key: string; n: number }>).map((r) => [r.idem_key, r.n]));
const integrity = (db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
const total = (db.query("SELECT COUNT(*) AS n FROM measurements").get() as { n: number }).n;
db.close();
const missing = [...acked.keys()].filter((k) => !stored.has(k));
const twice = [...stored.values()].filter((n) => n > 1).length;
console.log(`${cycles} SIGKILL/restart cycles, ${clients} clients: ${sent} requests, ${acked.size} acknowledged uploads, ${failures} failed attempts (during kills, retried)`);
console.log(`stored ${total} measurements; acknowledged but missing: ${missing.length}; stored twice: ${twice}; integrity_check: ${integrity}; last stop exit code ${code}`);
rmSync(dir, { recursive: true, force: true });
const ok = missing.length === 0 && twice === 0 && integrity === "ok" && code === 0 && acked.size > 0;
console.log(ok ? "crash test: PASS" : "crash test: FAIL");
process.exit(ok ? 0 : 1);
