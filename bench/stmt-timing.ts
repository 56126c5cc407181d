/**
 * bodydock with every SQL statement timed (a diagnostic, issue 18): runs the CLI like `bodydock`, with
 * each prepared statement's get/run/all/values wrapped. SIGUSR2 starts a measuring window (after a
 * warm-up); SIGUSR1 prints, per Lefu upload in that window (counted by measurement inserts): the main
 * thread's wall time (1 / throughput when the thread is saturated), the process's CPU time, the time in
 * SQL, the group COMMITs (wall and CPU percentiles; wall minus CPU is mostly fsync), and each statement.
 *
 *   bun bench/stmt-timing.ts serve --port 28999 --host 127.0.0.1 --data-dir DIR --log-level warn &
 *   (load it, e.g. bench/lefu-ab.ts's upload loop) ; kill -USR2 $! ; (load it N s) ; kill -USR1 $!
 *
 * The wrappers cost ~1 µs a statement; compare runs of this script with each other, not with the binary.
 */
import { Database, type Statement } from "bun:sqlite";

const perStatement = new Map<string, { n: number; ms: number }>();
const commits: Array<{ wall: number; cpu: number }> = [];
const wrapped = new WeakSet<object>();

function wrap(st: Statement, name: string): void {
  if (wrapped.has(st)) return;
  wrapped.add(st);
  const s = st as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of ["get", "run", "all", "values"]) {
    const orig = s[m]!.bind(st);
    const key = `${m} ${name}`;
    const isCommit = name === "COMMIT";
    s[m] = (...a: unknown[]) => {
      const t = performance.now();
      const c = isCommit ? process.cpuUsage() : null;
      try {
        return orig(...a);
      } finally {
        const ms = performance.now() - t;
        if (c) {
          const d = process.cpuUsage(c);
          commits.push({ wall: ms, cpu: (d.user + d.system) / 1000 });
        }
        const e = perStatement.get(key) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += ms;
        perStatement.set(key, e);
      }
    };
  }
}

for (const m of ["query", "prepare"] as const) {
  const proto = Database.prototype as unknown as Record<string, (this: Database, sql: string, ...a: unknown[]) => Statement>;
  const orig = proto[m]!;
  proto[m] = function (sql: string, ...a: unknown[]) {
    const st = orig.call(this, sql, ...a);
    wrap(st, sql.replace(/\s+/g, " ").trim().slice(0, 80));
    return st;
  };
}

let t0 = performance.now();
let c0 = process.cpuUsage();
process.on("SIGUSR2", () => {
  perStatement.clear();
  commits.length = 0;
  t0 = performance.now();
  c0 = process.cpuUsage();
});
process.on("SIGUSR1", () => {
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const uploads = [...perStatement].find(([k]) => k.includes("INSERT INTO measurements"))?.[1].n ?? 0;
  if (uploads === 0) return console.error("no uploads in the window");
  const rows = [...perStatement].sort((a, b) => b[1].ms - a[1].ms);
  const sql = rows.reduce((s, [, v]) => s + v.ms, 0);
  const us = (ms: number) => ((ms * 1000) / uploads).toFixed(1);
  console.error(`uploads ${uploads}: main thread ${us(wall)} µs/upload, CPU ${((c.user + c.system) / uploads).toFixed(1)} µs/upload, SQL ${us(sql)} µs/upload`);
  const q = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!.toFixed(2) : "-");
  const w = commits.map((x) => x.wall).sort((a, b) => a - b);
  const cp = commits.map((x) => x.cpu).sort((a, b) => a - b);
  console.error(`commits ${commits.length} (${(uploads / Math.max(1, commits.length)).toFixed(1)} uploads each): wall p50 ${q(w, 0.5)} p90 ${q(w, 0.9)} p99 ${q(w, 0.99)} ms; CPU p50 ${q(cp, 0.5)} p99 ${q(cp, 0.99)} ms`);
  for (const [k, v] of rows.slice(0, 16)) console.error(`${us(v.ms).padStart(8)} µs/upload  ${(v.n / uploads).toFixed(2)}×  ${k}`);
});

const { runCli } = await import("../src/cli/index.ts");
process.exit(await runCli(process.argv.slice(2)));
