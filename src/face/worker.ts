/**
 * The face worker process: decodes an image and describes its largest face with the engine.
 * Spawned lazily by FaceWorker (worker-client.ts) and kept warm; the server (device polls, staff
 * API) never runs inference. One request at a time, in arrival order, over the IPC channel.
 *
 * A process of its own, not a thread of the server: the runtime's threads that inference keeps
 * busy (JIT compilers, GC helpers, the allocator's scavenger, the image thread pool) are then this
 * process's, and all of them are lowered (priority.ts), instead of being shared with the server at
 * normal priority. Started from source as `bun src/face/worker.ts`, in the binary as
 * `bodydock face-worker` (main.ts). It exits when the server's channel closes.
 */
import { decodeRgba } from "./image.ts";
import { describeLargest, initEngine } from "./engine.ts";
import { lowerProcess } from "./priority.ts";
import type { WorkerReply, WorkerRequest } from "./worker-client.ts";

const send = (r: WorkerReply) => process.send!(r);

if (!process.send) {
  console.error("the face worker runs as a child of bodydock (it needs an IPC channel)");
  process.exit(2);
}
process.on("disconnect", () => process.exit(0));
lowerProcess();

let chain: Promise<unknown> = initEngine().then(
  () => (lowerProcess(), send({ id: 0, ok: true, result: null, ms: 0 })),
  (e: unknown) => send({ id: 0, ok: false, error: "engine_failed", detail: String(e) }),
);

process.on("message", (msg: WorkerRequest) => {
  const { id, bytes } = msg;
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
    send(reply);
    // Threads the runtime started meanwhile from a thread of normal priority (rare): lowered too.
    lowerProcess();
  });
});
