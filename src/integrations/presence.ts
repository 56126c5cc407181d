/**
 * device.online / device.offline (issue 17): an in-memory tracker fed by every device request
 * that goes through the pipeline (devices/common/pipeline.ts). A device is online from its first
 * request (the event is written in that request's transaction) until it has been silent for
 * `webhooks.deviceOfflineMinutes`; a timer then writes device.offline. After a restart every
 * device starts unknown: its next request says device.online again.
 */
import type { Database } from "bun:sqlite";
import type { Deps } from "../deps.ts";
import { outboxRepo } from "../store/outbox-repo.ts";

export class DevicePresence {
  /** Online devices and when each was last heard from. */
  private readonly online = new Map<number, number>();

  constructor(private readonly deps: Deps) {}

  offlineAfterMs(): number {
    return this.deps.settings.get("webhooks.deviceOfflineMinutes") * 60_000;
  }

  /** A request from `deviceId`; call inside its write job. Writes device.online when it was not online. */
  seen(db: Database, deviceId: number, now: number): void {
    const was = this.online.get(deviceId);
    this.online.set(deviceId, now);
    if (was === undefined) outboxRepo(db).device("device.online", deviceId, now, now);
  }

  /** The request's transaction failed: forget it, so the next request says online again. */
  forget(deviceId: number): void {
    this.online.delete(deviceId);
  }

  isOnline(deviceId: number): boolean {
    return this.online.has(deviceId);
  }

  /** Writes device.offline for every device silent for longer than the window. Returns how many. */
  async sweep(): Promise<number> {
    const now = this.deps.now();
    const limit = this.offlineAfterMs();
    const gone = [...this.online].filter(([, last]) => now - last > limit);
    if (gone.length === 0) return 0;
    for (const [id] of gone) this.online.delete(id);
    await this.deps.writes.enqueue((db) => {
      for (const [id, last] of gone) outboxRepo(db).device("device.offline", id, last, now);
    });
    return gone.length;
  }
}

const trackers = new WeakMap<Deps, DevicePresence>();

export function presenceOf(deps: Deps): DevicePresence {
  let p = trackers.get(deps);
  if (!p) trackers.set(deps, (p = new DevicePresence(deps)));
  return p;
}
