/**
 * A small closed-loop HTTP load generator: N concurrent clients, each sending
 * the next request as soon as the previous answer arrives, for a fixed time.
 * Returns throughput and latency percentiles. Loopback targets only.
 */
import { closeSync, copyFileSync, fsyncSync, openSync } from "node:fs";

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function closedLoop(opts: {
  url: string;
  concurrency: number;
  seconds: number;
  makeRequest: (client: number, seq: number) => RequestInit;
  isOk?: (res: Response, text: string) => boolean;
}): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + opts.seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async (_, client) => {
      let seq = 0;
      while (performance.now() < end) {
        const init = opts.makeRequest(client, seq++);
        const s = performance.now();
        try {
          const res = await fetch(opts.url, init);
          const text = await res.text();
          if (!(opts.isOk ? opts.isOk(res, text) : res.ok)) errors++;
        } catch {
          errors++;
        }
        lat.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    requests: lat.length,
    errors,
    seconds,
    rps: lat.length / seconds,
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    max: lat[lat.length - 1] ?? NaN,
  };
}

export async function waitReady(url: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await Bun.sleep(20);
    }
  }
  throw new Error(`${url} did not answer`);
}

export function fmt(r: LoadResult): string {
  return `${r.requests} req in ${r.seconds.toFixed(1)} s = ${r.rps.toFixed(0)} req/s, errors ${r.errors}, p50 ${r.p50.toFixed(2)} ms, p90 ${r.p90.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms`;
}

/**
 * Copies a database for a bench run and flushes the copy to disk before the server opens it. A copy
 * left in the page cache is hundreds of MB to GBs of dirty pages: the kernel writes them back during
 * the measured window, and the server's first checkpoint fsync waits for all of them (1.8 s seen on the
 * 1M database). A gym's database file is not freshly copied.
 */
export function copyForBench(from: string, to: string): void {
  copyFileSync(from, to);
  const fd = openSync(to, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
