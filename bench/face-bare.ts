/**
 * The bare face-api inference for bench/face.ts, in a process of its own: the bench spawns it for each
 * round, between blocks of served faces. In the bench's own process the inference left a large heap
 * behind, whose GC and JIT threads (normal priority) then ran beside the served faces and took the CPU
 * from the face worker (SCHED_IDLE) outright: served faces measured 436 ms there against 353–355 ms
 * back to back from a light client (session 5). Here every thread runs at the worker's priority, like
 * the worker's, and the process is gone before the next served block.
 *
 * Usage: bun bench/face-bare.ts <face ids, comma-separated, in allFaces() order>  → one JSON line
 *   {bare, fused, cpuBare, cpuFused}: ms per frame, face-api's own passes and the fused passes the worker runs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { allFaces, cameraFrame } from "../test/face/photos.ts";
import { decodeRgba } from "../src/face/image.ts";
import { detectAll } from "../src/face/engine.ts";
import { setFused } from "../src/face/fused.ts";
import { lowerProcess } from "../src/face/priority.ts";

const ids = (process.argv[2] ?? "").split(",");
const faces = (await allFaces()).filter((f) => ids.includes(f.id));
const decoded = await Promise.all(faces.map(async (f) => await decodeRgba(await cameraFrame(f))));

/** CPU time of every thread of this process so far, ms (/proc/self/task/<tid>/schedstat). */
function cpuMs(): number {
  let ns = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      /* the thread ended */
    }
  }
  return ns / 1e6;
}

lowerProcess();
// Warm both kinds of passes on every frame (untimed), as the worker is warm when it serves.
for (const fusedPasses of [false, true]) {
  setFused(fusedPasses);
  for (const d of decoded) await detectAll(d);
}
lowerProcess();
const out = { bare: [] as number[], fused: [] as number[], cpuBare: [] as number[], cpuFused: [] as number[] };
for (const d of decoded) {
  for (const fusedPasses of [false, true]) {
    setFused(fusedPasses);
    const c = cpuMs();
    const t = performance.now();
    await detectAll(d);
    (fusedPasses ? out.fused : out.bare).push(performance.now() - t);
    (fusedPasses ? out.cpuFused : out.cpuBare).push(cpuMs() - c);
  }
}
console.log(JSON.stringify(out));
