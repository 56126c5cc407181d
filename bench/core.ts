/**
 * `bun bench/core.ts [seconds] [family ...]`: reports per second of the computation core, one family
 * at a time, on one core (compute() on already-parsed input objects, validation included;
 * no JSON parsing or printing). 256 distinct inputs per family are cycled so no single
 * input is cached; a checksum keeps the work observable. Results go in bench/README.md.
 */
import { compute, isError, type Family } from "../src/core/index.ts";

const seconds = Number(process.argv[2] ?? 2);
const only = process.argv.slice(3);

function inputs(family: Family): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 256; i++) {
    const sex = i % 2 ? "male" : "female";
    const base = { sex, age: 18 + (i % 60), heightCm: 150 + (i % 45), weightKg: 50 + (i % 70) + 0.1 * (i % 10), heartRate: i % 3 ? 60 + (i % 40) : 0 };
    const z = 380 + ((i * 7) % 300);
    switch (family) {
      case "bh-dual-4":
        out.push({ ...base, scaleType: 90, athlete: i % 5 === 0, impedance: { z50: z, z100: z - 25 } });
        break;
      case "ht-4":
        out.push({ ...base, scaleType: 0, impedance: { z50: z } });
        break;
      case "standard-wb":
        out.push({ ...base, algorithm: "standard-wb", impedance: { z50: z + 100 } });
        break;
      case "bia-8": {
        const limb = (k: number) => ({ z20: 300 + k + (i % 40), z100: 270 + k + (i % 40) });
        out.push({
          ...base,
          scaleType: 1 + (i % 6),
          impedance: { segments: { rightArm: limb(40), leftArm: limb(45), trunk: { z20: 24 + (i % 9), z100: 20 + (i % 9) }, rightLeg: limb(-20), leftLeg: limb(-22) } },
        });
        break;
      }
      case "bodyfat-only":
        out.push({ ...base, algorithm: "bodyfat-only", bodyfat: 10 + (i % 30) });
        break;
    }
  }
  return out;
}

interface Result {
  wall: number;
  cpu: number;
}

/** Reports per second of wall time and per second of this process's CPU time (user + system). */
function bench(family: Family): Result {
  const xs = inputs(family);
  for (const x of xs) {
    const r = compute(x);
    if (isError(r)) throw new Error(`${family}: bench input rejected: ${JSON.stringify(r)}`);
  }
  let sum = 0;
  let n = 0;
  // Warm-up for a fixed time, not a count: the optimising JIT compiles on a background thread,
  // which a busy machine starves; the measurement should see the final tier.
  for (const w0 = performance.now(); performance.now() - w0 < 1000; ) {
    for (let i = 0; i < 10_000; i++) sum += (compute(xs[i & 255]) as { bmi: number }).bmi;
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < seconds * 1000) {
    for (let i = 0; i < 100_000; i++) sum += (compute(xs[i & 255]) as { bmi: number }).bmi;
    n += 100_000;
    t = performance.now();
  }
  const c = process.cpuUsage(c0);
  if (!Number.isFinite(sum)) throw new Error("checksum");
  return { wall: (n / (t - t0)) * 1000, cpu: (n / (c.user + c.system)) * 1e6 };
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(11);
const families: Family[] = ["bh-dual-4", "ht-4", "bia-8", "standard-wb", "bodyfat-only"];

if (only.length) {
  for (const f of only as Family[]) {
    const r = bench(f);
    console.log(`${f.padEnd(13)} ${fmt(r.wall)} ${fmt(r.cpu)}`);
  }
} else {
  // One process per family, so each is measured with its own JIT profile (as a scale fleet of one kind would run).
  console.log(`computation core, ${seconds} s per family, one process each, Bun ${Bun.version}`);
  console.log(`${"family".padEnd(13)} ${"reports/s".padStart(11)} ${"per CPU-s".padStart(11)}`);
  for (const f of families) {
    const p = Bun.spawnSync([process.execPath, import.meta.path, String(seconds), f], { stderr: "inherit" });
    process.stdout.write(p.stdout.toString());
  }
}
