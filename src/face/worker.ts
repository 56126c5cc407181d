/**
 * The face worker thread: decodes an image and describes its largest face with the engine.
 * Started lazily by FaceWorker (worker-client.ts) and kept warm; the main thread (device polls,
 * staff API) never runs inference. One request at a time, in arrival order.
 */
import { decodeRgba } from "./image.ts";
import { describeLargest, initEngine } from "./engine.ts";
import { FACE_WORKER_NICE, type WorkerReply, type WorkerRequest } from "./worker-client.ts";

declare const self: Worker;

/**
 * Linux keeps the nice value per thread, and setpriority(PRIO_PROCESS, 0, n) sets the calling
 * thread's: only inference is lowered, not the process. Best effort: elsewhere (or without a
 * glibc to open) the worker keeps the normal priority.
 */
function lowerPriority(): void {
  if (process.platform !== "linux") return;
  try {
    const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", { setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 } });
    libc.symbols.setpriority(0, 0, FACE_WORKER_NICE);
  } catch {
    /* no libc.so.6 (musl) or no FFI: normal priority */
  }
}
lowerPriority();

let chain: Promise<unknown> = initEngine().then(
  () => postMessage({ id: 0, ok: true, result: null, ms: 0 } satisfies WorkerReply),
  (e: unknown) => postMessage({ id: 0, ok: false, error: "engine_failed", detail: String(e) } satisfies WorkerReply),
);

self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const { id, bytes } = ev.data;
  chain = chain.then(async () => {
    const t0 = performance.now();
    let reply: WorkerReply;
    try {
      const img = await decodeRgba(bytes);
      try {
        const result = await describeLargest(img);
        reply = { id, ok: true, result, ms: performance.now() - t0 };
      } catch (e) {
        reply = { id, ok: false, error: "engine_failed", detail: String(e) };
      }
    } catch {
      reply = { id, ok: false, error: "decode_failed", detail: "the image could not be decoded" };
    }
    postMessage(reply, reply.ok && reply.result ? [reply.result.thumbnailJpeg.buffer as ArrayBuffer] : []);
  });
};
