/** Shared test helpers: a runtime in a fresh temp data dir, a pinned clock, a memory logger. */
import { afterEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.ts";
import type { Config } from "../src/config/config.ts";
import { memoryLogger } from "../src/log.ts";
import { openRuntime, type Runtime } from "../src/runtime.ts";

export const REPO_ROOT = join(import.meta.dir, "..");

export function tempDir(prefix = "bodydock-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testConfig(over: Partial<Config> = {}): Config {
  return { port: 0, host: "127.0.0.1", dataDir: tempDir(), logLevel: "debug", bodyLimit: 1024 * 1024, bodyTimeout: 30, ...over };
}

export interface TestClock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = 1762430400000): TestClock {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms), advance: (ms) => void (t += ms) };
}

export function testRuntime(over: Partial<Config> = {}, clock = testClock()) {
  // The memory logger keeps every line it is given: a long run (fuzzing) passes a higher logLevel.
  const log = memoryLogger(over.logLevel ?? "debug");
  const rt: Runtime = openRuntime(testConfig(over), { log, now: clock.now, env: {} });
  const app = createApp(rt);
  return {
    rt,
    app,
    log,
    clock,
    async dispose() {
      await rt.close();
      rmSync(rt.config.dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh runtime for each test that asks for one, disposed after that test. Call it once at
 * the top of a test file: `const fresh = runtimePerTest();` then `const h = fresh();` in a test.
 */
export function runtimePerTest(): (...args: Parameters<typeof testRuntime>) => ReturnType<typeof testRuntime> {
  let current: ReturnType<typeof testRuntime> | undefined;
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });
  return (...args) => (current = testRuntime(...args));
}

/** Runs the CLI as a child process from source; returns exit code and output. */
export async function runBodydock(args: string[], opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {}) {
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/**
 * Resolves as soon as `cond()` holds (checked now, then every 2 ms); fails after `ms` naming `what`.
 * Tests await the condition they need (a log line landed, a batch committed) instead of sleeping.
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
