/**
 * device.online / device.offline (issue 17): an in-memory tracker fed by every device request
 * that goes through the pipeline (devices/pipeline.ts). A device is online from its first
 * request (the event is written in that request's transaction) until it has been silent for
 * `webhooks.deviceOfflineMinutes`; a timer then writes device.offline. After a restart every
 * device starts unknown: its next request says device.online again. Requests a role answers from
 * memory (Youjiu's repeated waiting polls) do not reach the pipeline: the role registers a
 * liveness source (`addLiveness`) that the sweep asks before calling such a device offline.
 */
import type { Deps } from "../deps.ts";
import type { Vendor } from "../store/devices-repo.ts";

/** When a device of a vendor was last heard from outside the pipeline (epoch ms), or null. */
export type Liveness = (deviceKey: string) => number | null;

export class DevicePresence {
  /** Online devices and when each was last heard from. */
  private readonly online = new Map<number, number>();
  private readonly liveness = new Map<Vendor, Liveness>();

  constructor(private readonly deps: Deps) {}

  offlineAfterMs(): number {
    return this.deps.settings.get("webhooks.deviceOfflineMinutes") * 60_000;
  }

  /** A request from `deviceId`; call inside its write job. Writes device.online when it was not online. */
  seen(deviceId: number, now: number): void {
    const was = this.online.get(deviceId);
    this.online.set(deviceId, now);
    if (was === undefined) this.deps.repos.outbox.device("device.online", deviceId, now, now);
  }

  /** The request's transaction failed: forget it, so the next request says online again. */
  forget(deviceId: number): void {
    this.online.delete(deviceId);
  }

  addLiveness(vendor: Vendor, fn: Liveness): void {
    this.liveness.set(vendor, fn);
  }

  isOnline(deviceId: number): boolean {
    return this.online.has(deviceId);
  }

  /** Writes device.offline for every device silent for longer than the window. Returns how many. */
  async sweep(): Promise<number> {
    const now = this.deps.now();
    const limit = this.offlineAfterMs();
    const gone = [...this.online].filter(([id, last]) => {
      if (now - last <= limit) return false;
      const d = this.deps.repos.devices.byId(id);
      const alive = d ? (this.liveness.get(d.vendor)?.(d.device_key) ?? null) : null;
      if (alive !== null && now - alive <= limit) {
        this.online.set(id, alive);
        return false;
      }
      return true;
    });
    if (gone.length === 0) return 0;
    for (const [id] of gone) this.online.delete(id);
    await this.deps.writes.enqueue(() => {
      for (const [id, last] of gone) this.deps.repos.outbox.device("device.offline", id, last, now);
    });
    return gone.length;
  }
}

