/**
 * The main thread's side of the face worker: one Worker per process, started on the first
 * request (not at boot: a box without face login never loads the models) and kept warm.
 * Requests queue in the worker; past MAX_QUEUE waiting requests, or after REQUEST_TIMEOUT_MS,
 * a request fails with "busy" / "timeout" and the caller answers the device with a retry.
 */
import type { FaceResult } from "./engine.ts";

export type WorkerRequest = { id: number; bytes: Uint8Array };
export type WorkerError = "decode_failed" | "engine_failed" | "busy" | "timeout";
export type WorkerReply = { id: number; ok: true; result: FaceResult | null; ms: number } | { id: number; ok: false; error: WorkerError; detail: string };

export const MAX_QUEUE = 8;
/** Nice value of the worker thread (worker.ts): under CPU contention the main thread (device polls, staff) goes first. */
export const FACE_WORKER_NICE = 10;
export const REQUEST_TIMEOUT_MS = 15_000;

export class FaceWorkerError extends Error {
  constructor(readonly code: WorkerError, detail: string) {
    super(detail);
  }
}

export class FaceWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: FaceResult | null): void; reject(e: Error): void; timer: Timer }>();
  /** Resolves when the models are loaded. */
  ready: Promise<void> | null = null;

  get started(): boolean {
    return this.worker !== null;
  }
  get queued(): number {
    return this.pending.size;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // In the binary the worker is a second entry point (scripts/build.ts), named by its path from
    // the entry points' common folder (src/); from source it is this module's neighbour.
    const w = new Worker(import.meta.url.includes("/$bunfs/") ? "./face/worker.ts" : new URL("./worker.ts", import.meta.url).href);
    this.worker = w;
    let readyResolve!: () => void, readyReject!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => ((readyResolve = res), (readyReject = rej)));
    this.ready.catch(() => {});
    w.onmessage = (ev: MessageEvent<WorkerReply>) => {
      const r = ev.data;
      if (r.id === 0) return r.ok ? readyResolve() : readyReject(new FaceWorkerError(r.error, r.detail));
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      clearTimeout(p.timer);
      if (r.ok) p.resolve(r.result);
      else p.reject(new FaceWorkerError(r.error, r.detail));
    };
    w.onerror = (ev) => {
      // A crashed worker fails everything waiting and is started again on the next request.
      const err = new FaceWorkerError("engine_failed", String((ev as ErrorEvent).message ?? ev));
      for (const [, p] of this.pending) (clearTimeout(p.timer), p.reject(err));
      this.pending.clear();
      readyReject(err);
      this.worker = null;
      w.terminate();
    };
    // The worker must not keep the process alive on its own (tests, CLI).
    (w as unknown as { unref(): void }).unref();
    return w;
  }

  /** The largest face of a PNG/JPEG file, or null when there is none. */
  describe(bytes: Uint8Array): Promise<FaceResult | null> {
    if (this.pending.size >= MAX_QUEUE) return Promise.reject(new FaceWorkerError("busy", "too many face requests waiting"));
    const w = this.start();
    const id = this.nextId++;
    return new Promise<FaceResult | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new FaceWorkerError("timeout", "the face worker did not answer in time"));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      const copy = bytes.slice();
      w.postMessage({ id, bytes: copy } satisfies WorkerRequest, [copy.buffer]);
    });
  }

  stop(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}

let shared: FaceWorker | null = null;
/** The process's face worker (one per process: the models take ~100 MB and a second or two to load). */
export function faceWorker(): FaceWorker {
  shared ??= new FaceWorker();
  return shared;
}
