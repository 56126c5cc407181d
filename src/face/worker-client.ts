/**
 * The server's side of the face worker: one child process per server (worker.ts), spawned on the
 * first request (not at boot: a box without face login never loads the models) and kept warm.
 * Requests queue in the worker; past MAX_QUEUE waiting requests, or after REQUEST_TIMEOUT_MS,
 * a request fails with "busy" / "timeout" and the caller answers the device with a retry. A worker
 * that exits fails what it had and is spawned again on the next request.
 */
import type { Subprocess } from "bun";
import { fileURLToPath } from "node:url";
import type { FaceResult } from "./engine.ts";

export type WorkerRequest = { id: number; bytes: Uint8Array };
export type WorkerError = "decode_failed" | "engine_failed" | "busy" | "timeout";
export type WorkerReply = { id: number; ok: true; result: FaceResult | null; ms: number } | { id: number; ok: false; error: WorkerError; detail: string };

/** The binary's hidden command that runs the face worker (main.ts). */
export const FACE_WORKER_COMMAND = "face-worker";
export { FACE_WORKER_NICE } from "./priority.ts";

/** How the worker process is started: the binary runs itself with FACE_WORKER_COMMAND; from source, bun runs worker.ts. */
export function workerCommand(): string[] {
  if (import.meta.url.includes("/$bunfs/")) return [process.execPath, FACE_WORKER_COMMAND];
  return [process.execPath, fileURLToPath(new URL("./worker.ts", import.meta.url))];
}

export const MAX_QUEUE = 8;
export const REQUEST_TIMEOUT_MS = 15_000;

export class FaceWorkerError extends Error {
  constructor(readonly code: WorkerError, detail: string) {
    super(detail);
  }
}

export class FaceWorker {
  private proc: Subprocess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { proc: Subprocess; resolve(r: FaceResult | null): void; reject(e: Error): void; timer: Timer }>();
  /** Resolves when the models are loaded. */
  ready: Promise<void> | null = null;

  constructor(private readonly command: () => string[] = workerCommand) {}

  get started(): boolean {
    return this.proc !== null;
  }
  get queued(): number {
    return this.pending.size;
  }
  /** The worker process's id (tests, the bench's CPU and memory figures). */
  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  /** Fails the requests sent to `proc` (a worker that exited; not those of the one started after it). */
  private failAll(proc: Subprocess, err: Error): void {
    for (const [id, p] of this.pending) if (p.proc === proc) (this.pending.delete(id), clearTimeout(p.timer), p.reject(err));
  }

  private start(): Subprocess {
    // A worker that exited but whose exit is not handled yet is not used again.
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) return this.proc;
    let readyResolve!: () => void, readyReject!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => ((readyResolve = res), (readyReject = rej)));
    this.ready.catch(() => {});
    const proc: Subprocess = Bun.spawn(this.command(), {
      stdio: ["ignore", "inherit", "inherit"],
      // Structured clone over the channel: image bytes and thumbnails go as bytes, not JSON arrays.
      serialization: "advanced",
      ipc: (r: WorkerReply) => {
        if (r.id === 0) return r.ok ? readyResolve() : readyReject(new FaceWorkerError(r.error, r.detail));
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        clearTimeout(p.timer);
        if (r.ok) p.resolve(r.result);
        else p.reject(new FaceWorkerError(r.error, r.detail));
      },
      onExit: (_p, code, signal) => {
        // A worker that died fails everything waiting and is spawned again on the next request.
        if (this.proc === proc) this.proc = null;
        const err = new FaceWorkerError("engine_failed", `the face worker exited (${signal ?? `code ${code}`})`);
        this.failAll(proc, err);
        readyReject(err);
      },
    });
    this.proc = proc;
    // The worker must not keep the server's process alive on its own (tests, CLI); it exits with it.
    proc.unref();
    return proc;
  }

  /** The largest face of a PNG/JPEG file, or null when there is none. */
  describe(bytes: Uint8Array): Promise<FaceResult | null> {
    if (this.pending.size >= MAX_QUEUE) return Promise.reject(new FaceWorkerError("busy", "too many face requests waiting"));
    let proc: Subprocess;
    try {
      proc = this.start();
    } catch (e) {
      return Promise.reject(new FaceWorkerError("engine_failed", `the face worker could not be started: ${String(e)}`));
    }
    const id = this.nextId++;
    return new Promise<FaceResult | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new FaceWorkerError("timeout", "the face worker did not answer in time"));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { proc, resolve, reject, timer });
      try {
        proc.send({ id, bytes } satisfies WorkerRequest);
      } catch (e) {
        // The channel closed under us: the worker is exiting (its exit starts a new one next time).
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new FaceWorkerError("engine_failed", `the face worker could not be reached: ${String(e)}`));
      }
    });
  }

  stop(): void {
    const proc = this.proc;
    this.proc = null;
    proc?.kill();
  }
}

let shared: FaceWorker | null = null;
/** The server's face worker (one per server: the models take ~300 MB and a second or two to load). */
export function faceWorker(): FaceWorker {
  shared ??= new FaceWorker();
  return shared;
}
