/**
 * Live Youjiu state from the Server-Sent Events stream /api/v1/youjiu/events:
 * which XONE / U+ devices wait for a push, and how each push ends. One EventSource for the
 * whole page, opened while some view uses it.
 */
import { signal } from "@preact/signals";

export interface YoujiuDevice {
  sn: string;
  name: string | null;
  product: string;
  scenes: string[];
  readyForPush: boolean;
  lastSeen: number | null;
  lastIp: string | null;
  pendingPush: { memberId: number; scene: string; pushedAt: number; pushedBy: string } | null;
}
export interface PushOutcome {
  sn: string;
  memberId: number;
  scene: string;
  status: "pending" | "delivered" | "rejected_inactive" | "expired" | "superseded" | "cancelled";
  at: number;
}

export const youjiuDevices = signal<YoujiuDevice[]>([]);
export const pushOutcomes = signal<Record<string, PushOutcome>>({});
export const liveConnected = signal(false);

let source: EventSource | null = null;
let users = 0;
let retry: ReturnType<typeof setTimeout> | null = null;

function patch(sn: string, f: (d: YoujiuDevice) => YoujiuDevice): void {
  const list = youjiuDevices.value;
  const i = list.findIndex((d) => d.sn === sn);
  const base: YoujiuDevice = i >= 0 ? list[i]! : { sn, name: null, product: "xone", scenes: ["meas-composition"], readyForPush: false, lastSeen: null, lastIp: null, pendingPush: null };
  const next = [...list];
  if (i >= 0) next[i] = f(base);
  else next.push(f(base));
  youjiuDevices.value = next.sort((a, b) => a.sn.localeCompare(b.sn));
}

function open(): void {
  source = new EventSource("/api/v1/youjiu/events");
  source.onopen = () => (liveConnected.value = true);
  source.onerror = () => {
    liveConnected.value = false;
    // EventSource retries by itself after a network error, but gives up for good on an HTTP
    // error (a 401 once the session has ended): open a new one a little later.
    if (source?.readyState === EventSource.CLOSED) {
      source.close();
      source = null;
      retry ??= setTimeout(() => {
        retry = null;
        if (users > 0 && !source) open();
      }, 3000);
    }
  };
  source.addEventListener("hello", (e) => {
    liveConnected.value = true;
    youjiuDevices.value = (JSON.parse((e as MessageEvent).data) as { devices: YoujiuDevice[] }).devices;
  });
  source.addEventListener("waiting", (e) => {
    const d = JSON.parse((e as MessageEvent).data) as { sn: string; at: number };
    patch(d.sn, (x) => ({ ...x, readyForPush: true, lastSeen: d.at }));
  });
  source.addEventListener("idle", (e) => {
    const d = JSON.parse((e as MessageEvent).data) as { sn: string; at: number };
    patch(d.sn, (x) => ({ ...x, readyForPush: false }));
  });
  source.addEventListener("pushed", (e) => {
    const d = JSON.parse((e as MessageEvent).data) as { sn: string; memberId: number; scene: string; by: string; at: number };
    patch(d.sn, (x) => ({ ...x, pendingPush: { memberId: d.memberId, scene: d.scene, pushedAt: d.at, pushedBy: d.by } }));
    pushOutcomes.value = { ...pushOutcomes.value, [d.sn]: { sn: d.sn, memberId: d.memberId, scene: d.scene, status: "pending", at: d.at } };
  });
  for (const type of ["delivered", "rejected_inactive", "expired", "superseded", "cancelled"] as const) {
    source.addEventListener(type, (e) => {
      const d = JSON.parse((e as MessageEvent).data) as { sn: string; memberId: number; scene: string; at: number };
      patch(d.sn, (x) => ({ ...x, pendingPush: null, readyForPush: type === "delivered" || type === "rejected_inactive" ? false : x.readyForPush }));
      pushOutcomes.value = { ...pushOutcomes.value, [d.sn]: { sn: d.sn, memberId: d.memberId, scene: d.scene, status: type, at: d.at } };
    });
  }
}

/** Call from an effect; returns the cleanup. */
export function useLive(): () => void {
  users++;
  if (!source) open();
  return () => {
    users--;
    if (users === 0) {
      source?.close();
      source = null;
      if (retry) clearTimeout(retry);
      retry = null;
      liveConnected.value = false;
    }
  };
}
