/**
 * Staff views at size (issue 18 §4): the API calls each page of the staff page makes, timed in-process
 * (app.handle: routing, guard, SQL, JSON; no socket), on an empty database and on the dataset, in the same
 * run. Per call: p50 / p99 of --runs calls, and the ratio of the p99s. Then the member CSV export: time,
 * bytes, and how much the process's memory grew while it streamed.
 *
 * Usage: bun bench/staff-views.ts [--dataset DIR] [--runs 60]
 *   default DIR: .bench-data/gym-20000m-3y-1000000 (bun bench/dataset.ts --members 20000 --measurements 1000000)
 */
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app.ts";
import { memoryLogger } from "../src/log.ts";
import { openRuntime } from "../src/runtime.ts";
import { MembersRepo } from "../src/store/members-repo.ts";
import { signIn } from "../test/staff/session.ts";
import { percentile } from "./load.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { dataset: { type: "string" }, runs: { type: "string", default: "60" } },
});
const root = join(import.meta.dir, "..");
const datasetDir = resolve(values.dataset ?? join(root, ".bench-data/gym-20000m-3y-1000000"));
if (!existsSync(join(datasetDir, "bodydock.sqlite"))) throw new Error(`no dataset in ${datasetDir}: bun bench/dataset.ts --members 20000 --measurements 1000000`);
const runs = Number(values.runs);

interface Page {
  page: string;
  calls: string[];
}

function open(dir: string) {
  const rt = openRuntime({ port: 0, host: "127.0.0.1", dataDir: dir, logLevel: "warn", bodyLimit: 1024 * 1024, bodyTimeout: 30 }, { log: memoryLogger("warn"), env: {} });
  return { rt, app: createApp(rt) };
}

/** The calls each page makes, with real values from the dataset (a name, a phone, a card of an existing member). */
function pages(db: import("bun:sqlite").Database): Page[] {
  const one = <T>(sql: string) => db.query(sql).get() as T | null;
  const regular = one<{ member_id: number; n: number }>("SELECT member_id, COUNT(*) AS n FROM measurements WHERE member_id = 1")?.member_id ?? 1;
  const somebody = one<{ id: number; name: string; phone: string | null }>("SELECT id, name, phone FROM members WHERE phone IS NOT NULL ORDER BY id DESC LIMIT 1");
  const card = one<{ card_dec: string }>("SELECT card_dec FROM credentials WHERE kind = 'card' ORDER BY id DESC LIMIT 1")?.card_dec ?? "123456789";
  const latin = one<{ name: string }>("SELECT name FROM members WHERE name GLOB '[A-Z]*' ORDER BY id DESC LIMIT 1")?.name ?? "Smith";
  const chinese = one<{ name: string }>("SELECT name FROM members WHERE name NOT GLOB '[A-Za-z]*' ORDER BY id DESC LIMIT 1")?.name ?? "王";
  const midnight = new Date().setHours(0, 0, 0, 0);
  const claim = one<{ suggested_member_id: number | null }>("SELECT suggested_member_id FROM measurements WHERE status = 'unassigned' LIMIT 1");
  const q = encodeURIComponent;
  return [
    { page: "members: directory", calls: ["/api/v1/members?limit=25&offset=0"] },
    { page: "members: search by name (Latin surname)", calls: [`/api/v1/members?q=${q(latin.split(" ").pop()!)}&limit=25&offset=0`] },
    { page: "members: search by name (Chinese, 2 characters)", calls: [`/api/v1/members?q=${q(chinese.slice(0, 2))}&limit=25&offset=0`] },
    { page: "members: search by phone (last 8 digits)", calls: [`/api/v1/members?q=${q((somebody?.phone ?? "13800138000").slice(-8))}&limit=25&offset=0`] },
    { page: "members: search by card", calls: [`/api/v1/members?q=${card}&limit=25&offset=0`] },
    {
      page: "member page (1,000 measurements, charts over all time)",
      calls: [`/api/v1/members/${regular}`, `/api/v1/members/${regular}/measurements?from=0`, "/api/v1/youjiu/unknown-cards", "/api/v1/youjiu/qr-sessions"],
    },
    { page: "claims", calls: ["/api/v1/claims?limit=20&offset=0", `/api/v1/members/${claim?.suggested_member_id ?? 2}`] },
    { page: "dashboard", calls: ["/api/v1/devices", "/api/v1/claims?limit=5", `/api/v1/dashboard?since=${midnight}`] },
  ];
}

async function measure(label: string, dir: string, list: Page[] | null) {
  const { rt, app } = open(dir);
  const staff = await signIn(rt, app, { username: "bench-admin" });
  const ps = list ?? pages(rt.db);
  if (list) {
    // The "empty" database has only the members the calls name (no history, no claims, nothing else).
    const members = rt.repos.members;
    const ids = new Set(ps.flatMap((p) => p.calls.flatMap((c) => [...c.matchAll(/\/members\/(\d+)/g)].map((m) => Number(m[1])))));
    rt.db.transaction(() => {
      for (const id of ids) if (!members.get(id)) members.create({ memberNo: null, name: `member ${id}`, nickname: null, phone: null, email: null, sex: "female", birthday: "1990-01-01", heightCm: 165, referenceWeightKg: 60, goalWeightKg: null, athlete: false, avatarUrl: null, notes: null, extendData: null }, rt.now(), id);
    })();
  }
  const out = new Map<string, { p50: number; p99: number; bytes: number }>();
  for (const p of ps) {
    for (const path of p.calls) {
      const lat: number[] = [];
      let bytes = 0;
      for (let i = 0; i < runs + 5; i++) {
        const t0 = performance.now();
        const res = await app.handle(new Request("http://localhost" + path, { headers: staff.headers }));
        const body = await res.arrayBuffer();
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${new TextDecoder().decode(body).slice(0, 200)}`);
        bytes = body.byteLength;
        if (i >= 5) lat.push(ms); // the first calls warm the JIT and the page cache
      }
      lat.sort((a, b) => a - b);
      out.set(`${p.page}\t${path}`, { p50: percentile(lat, 50), p99: percentile(lat, 99), bytes });
    }
  }
  // Member CSV export: streamed; memory sampled while it is read.
  Bun.gc(true);
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const t0 = performance.now();
  const res = await app.handle(new Request("http://localhost/api/v1/members/export.csv", { headers: staff.headers }));
  const reader = res.body!.getReader();
  let bytes = 0;
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (++chunks % 4 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const exportMs = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().rss);
  await rt.close();
  console.log(`${label}: export ${bytes.toLocaleString("en-US")} bytes in ${exportMs.toFixed(0)} ms, ${chunks} chunks, RSS growth ${((peak - rss0) / 2 ** 20).toFixed(1)} MiB`);
  return { out, pages: ps, exportMs, exportGrowth: peak - rss0, exportBytes: bytes };
}

console.log(`load average at start: ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);
const big = await measure("dataset", datasetDir, null);
const emptyDir = mkdtempSync(join(tmpdir(), "bodydock-staff-empty-"));
const small = await measure("empty  ", emptyDir, big.pages);
rmSync(emptyDir, { recursive: true, force: true });

console.log(`\n${runs} calls each; in-process (app.handle); dataset ${datasetDir}\n`);
console.log("| page | call | empty p50 / p99 | dataset p50 / p99 | p99 ratio | answer size (dataset) |");
console.log("|---|---|---|---|---|---|");
let worst = 0;
for (const [key, d] of big.out) {
  const e = small.out.get(key)!;
  const [page, path] = key.split("\t");
  worst = Math.max(worst, d.p99);
  console.log(`| ${page} | \`${path!.replace(/\d{6,}/g, "…")}\` | ${e.p50.toFixed(2)} / ${e.p99.toFixed(2)} ms | ${d.p50.toFixed(2)} / **${d.p99.toFixed(2)} ms** | ${(d.p99 / e.p99).toFixed(1)}× | ${(d.bytes / 1024).toFixed(0)} KiB |`);
}
console.log(`\nslowest p99 on the dataset: ${worst.toFixed(1)} ms (target < 50 ms)`);
console.log(`member export: empty ${small.exportMs.toFixed(0)} ms; dataset ${big.exportMs.toFixed(0)} ms for ${(big.exportBytes / 2 ** 20).toFixed(1)} MiB, RSS growth ${(big.exportGrowth / 2 ** 20).toFixed(1)} MiB (target < 50 MiB)`);
console.log(`load average at end: ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);
