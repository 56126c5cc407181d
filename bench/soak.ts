/**
 * Memory soak: the compiled binary under a steady mixed load from `bodydock simulate`
 * (Lefu V2 and Torre scales with offline bursts and duplicates, XONE devices polling
 * once a second, a JWT-signing WSP Mini relay) while the server's RSS is sampled.
 *
 * The verdict compares the median RSS of the second tenth of the run (after warm-up:
 * caches, JIT, SQLite page cache filled) with the median of the last tenth. The
 * server "does not grow" when the difference is under 10 % and under 24 MiB.
 *
 * Usage: bun bench/soak.ts [seconds=600] [lefu=32] [xone=200]   (npm run build first)
 * The written-down figures in bench/README.md come from the hour-long run (3600).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitReady } from "./load.ts";

const seconds = Number(process.argv[2] ?? 600);
const lefu = Number(process.argv[3] ?? 32);
const xone = Number(process.argv[4] ?? 200);
const root = join(import.meta.dir, "..");
const bin = join(root, "dist/bodydock");
if (!existsSync(bin)) throw new Error("build the binary first: npm run build");

const dir = mkdtempSync(join(tmpdir(), "bodydock-soak-"));
const port = 24000 + Math.floor(Math.random() * 1000);
const secret = "soak-wsp-mini-secret-0123456789";
const server = Bun.spawn([bin, "serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--log-level", "warn"], {
  env: { ...process.env, BODYDOCK_YOLANDA_MINI_JWT_SECRET: secret },
  stdout: "ignore",
  stderr: "inherit",
});
await waitReady(`http://127.0.0.1:${port}/healthz`);

const rssMiB = async () => Number((await Bun.file(`/proc/${server.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
// 60 weighings per scale per minute: about lefu requests/s of uploads, plus the polls.
const sim = Bun.spawn(
  [bin, "simulate", "--url", `http://127.0.0.1:${port}`, "--lefu", String(lefu), "--xone", String(xone), "--yolanda", "2", "--yolanda-secret", secret, "--rate", "60", "--duration", String(seconds), "--seed", "7"],
  { stdout: "pipe", stderr: "inherit" },
);
const samples: Array<{ t: number; rss: number }> = [];
const t0 = performance.now();
const sampler = setInterval(async () => samples.push({ t: (performance.now() - t0) / 1000, rss: await rssMiB() }), 5000);
const simOut = await new Response(sim.stdout).text();
const simCode = await sim.exited;
clearInterval(sampler);
server.kill("SIGTERM");
const serverCode = await server.exited;
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const tenth = Math.max(1, Math.floor(samples.length / 10));
const early = median(samples.slice(tenth, 2 * tenth).map((s) => s.rss));
const late = median(samples.slice(-tenth).map((s) => s.rss));
const peak = Math.max(...samples.map((s) => s.rss));
const growth = late - early;
const flat = growth < 24 && growth < early * 0.1;
console.log(simOut.trim().split("\n").slice(-6).join("\n"));
console.log(
  `soak ${seconds} s, ${lefu} Lefu scales at 1 weighing/s, ${xone} XONE polling 1/s, 2 WSP Mini relays: RSS after warm-up ${early.toFixed(0)} MiB, at the end ${late.toFixed(0)} MiB (growth ${growth.toFixed(1)} MiB), peak ${peak.toFixed(0)} MiB, ${samples.length} samples; simulator exit ${simCode}, server exit ${serverCode}: ${flat ? "flat" : "GROWING"}`,
);
process.exit(flat && simCode === 0 && serverCode === 0 ? 0 : 1);
