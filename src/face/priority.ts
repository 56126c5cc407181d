/**
 * CPU priority of face inference (issue 15, point 5: the polling devices keep their p99 while
 * faces are recognised). Linux keeps the scheduling policy and the nice value per thread, so the
 * face worker process (worker.ts) lowers every one of its threads: its main thread, and the
 * runtime's own threads (JIT compilers, GC helpers, the allocator's scavenger, the image thread
 * pool) that would otherwise compete with the server at normal priority.
 *
 * SCHED_IDLE, not only a nice value: a nice-10 thread still holds a core for its slice when a
 * poll wakes the server (measured: the server's run-queue wait doubled, the pollers' p99 ×2);
 * the kernel preempts a SCHED_IDLE thread as soon as any normal thread wants the core, and an
 * idle core runs it at full speed. Best effort: elsewhere (no Linux, no glibc, no FFI) the
 * worker keeps the normal priority.
 */
import { readdirSync } from "node:fs";

/** Nice value set as well (where SCHED_IDLE is refused, it is what lowers the worker). */
export const FACE_WORKER_NICE = 10;
const SCHED_IDLE = 5;

type Libc = {
  setpriority(which: number, who: number, prio: number): number;
  sched_setscheduler(pid: number, policy: number, param: Int32Array): number;
};
let libc: Libc | null | undefined;

function load(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== "linux") return libc;
  try {
    const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
    const lib = dlopen("libc.so.6", {
      setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
      sched_setscheduler: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    });
    libc = lib.symbols as unknown as Libc;
  } catch {
    /* no libc.so.6 (musl) or no FFI */
  }
  return libc;
}

/** Lowers one thread (`tid` 0: the calling thread). False when it could not be done. */
export function lowerThread(tid = 0): boolean {
  const c = load();
  if (!c) return false;
  const niced = c.setpriority(0 /* PRIO_PROCESS: on Linux, one thread */, tid, FACE_WORKER_NICE) === 0;
  const idle = c.sched_setscheduler(tid, SCHED_IDLE, new Int32Array([0])) === 0;
  return niced || idle;
}

/** Lowers every thread of this process (threads started later by a lowered thread inherit it). */
export function lowerProcess(): void {
  if (!load()) return;
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    lowerThread(0);
    return;
  }
  for (const tid of tids) lowerThread(Number(tid));
}
