/**
 * The in-memory side of Youjiu logins (device-protocols §4.6.3–§4.7): push
 * waiting records and pushes; QR bindings and sessions are qr.ts's, reached through it. Polls are answered from here,
 * so a `waiting:1` answer touches no disk. A restart loses pending pushes,
 * which is harmless with their 60 s lifetime.
 *
 * Staff operations (push, cancelPush, bindQr) and the fixture runner's actions
 * call this service; the staff page listens to its events (waiting, pushed,
 * delivered, expired, superseded, cancelled).
 */
import type { SettingKey, SettingValue } from "../../config/settings.ts";
import type { Deps } from "../../deps.ts";
import type { MemberLookup } from "./lookup.ts";
import { QrLogins, type QrSession } from "./qr.ts";
import { POLL_SESSION_GAP_MS, PRUNE_AFTER_MS, XONE_SCENES } from "./wire.ts";

export type PushStatus = "pending" | "delivering" | "delivered" | "rejected_inactive" | "expired" | "superseded" | "cancelled";

export interface PendingPush {
  memberId: number;
  scene: string;
  pushedAt: number;
  pushedBy: string;
  status: PushStatus;
}

export interface WaitingRecord {
  sn: string;
  firstPollAt: number;
  lastPollAt: number;
  remoteIp: string | null;
  pendingPush: PendingPush | null;
}

export type YoujiuEvent =
  | { type: "waiting"; sn: string; at: number }
  | { type: "idle"; sn: string; at: number }
  | { type: "pushed"; sn: string; memberId: number; scene: string; by: string; at: number }
  | { type: "delivered" | "rejected_inactive" | "expired" | "superseded" | "cancelled"; sn: string; memberId: number; scene: string; at: number }
  | { type: "qr_session"; value: string; scene: string | null; at: number };

/** Remote addresses remembered with their SN, at most. */
const MAX_ADDRESSES = 10_000;

export type PushResult = "ok" | "error:DEVICE_NOT_WAITING" | "error:MEMBER_NOT_FOUND" | "error:MEMBER_INACTIVE" | "error:INVALID_SCENE";

export class YoujiuService {
  readonly waiting = new Map<string, WaitingRecord>();
  /** Last remote IP seen with each verified SN (to tie QR sessions to devices). */
  readonly snByIp = new Map<string, string>();
  /** QR bindings and the sessions of the codes devices show (qr.ts). */
  readonly qr: QrLogins;
  private readonly listeners = new Set<(e: YoujiuEvent) => void>();

  constructor(
    private readonly deps: Deps,
    private readonly members: MemberLookup,
  ) {
    this.qr = new QrLogins(deps, members, this.snByIp, (e) => this.emit(e));
  }

  private sweeper: ReturnType<typeof setInterval> | null = null;
  private prunedAt = 0;

  /**
   * Drops what devices that stopped polling left behind: waiting records without a live push, QR
   * sessions, QR bindings past their life. Runs at most once a minute, from the polls themselves.
   */
  prune(now = this.deps.now()): void {
    if (now - this.prunedAt < 60_000) return;
    this.prunedAt = now;
    for (const [sn, r] of this.waiting) {
      const live = r.pendingPush && (r.pendingPush.status === "pending" || r.pendingPush.status === "delivering");
      if (now - r.lastPollAt > PRUNE_AFTER_MS && !live) this.waiting.delete(sn);
    }
    this.qr.prune(now);
    while (this.snByIp.size > MAX_ADDRESSES) this.snByIp.delete(this.snByIp.keys().next().value!);
  }

  /**
   * Subscribes to events. While anyone listens, a sweep once a second turns a
   * silent device into `idle` and an old push into `expired`, so the staff page
   * sees them without polling.
   */
  on(listener: (e: YoujiuEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), 1000);
      this.sweeper.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.sweeper) {
        clearInterval(this.sweeper);
        this.sweeper = null;
      }
    };
  }
  /** Stops the live view's sweep (server stop); listeners that subscribe again start it again. */
  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private emit(e: YoujiuEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  private setting<K extends SettingKey>(key: K): SettingValue<K> {
    return this.deps.settings.get(key);
  }

  isActive(r: WaitingRecord | undefined, now = this.deps.now()): boolean {
    return r !== undefined && now - r.lastPollAt <= this.setting("youjiu.pushActiveWindowMs");
  }

  /**
   * Records an f-push poll. Returns what to answer: a push to deliver, or waiting.
   * `firstOfSession` tells the caller to capture this poll.
   */
  poll(sn: string, remoteIp: string | null): { push: PendingPush | null; firstOfSession: boolean } {
    const now = this.deps.now();
    this.prune(now);
    let r = this.waiting.get(sn);
    const firstOfSession = !r || now - r.lastPollAt > POLL_SESSION_GAP_MS;
    const wasActive = this.isActive(r, now);
    if (!r) {
      r = { sn, firstPollAt: now, lastPollAt: now, remoteIp, pendingPush: null };
      this.waiting.set(sn, r);
    } else {
      if (firstOfSession) r.firstPollAt = now;
      r.lastPollAt = now;
      r.remoteIp = remoteIp ?? r.remoteIp;
    }
    if (!wasActive) this.emit({ type: "waiting", sn, at: now });
    const p = r.pendingPush;
    if (p && p.status === "pending") {
      if (now - p.pushedAt <= this.setting("youjiu.pushTtlSeconds") * 1000) {
        p.status = "delivering";
        return { push: p, firstOfSession };
      }
      this.finish(sn, p, "expired");
    }
    return { push: null, firstOfSession };
  }

  /** After the delivery answer is durably logged: the push is gone. */
  delivered(sn: string, p: PendingPush, outcome: "delivered" | "rejected_inactive"): void {
    this.finish(sn, p, outcome);
  }
  /** The delivery could not be logged (storage failure): keep the push for the next poll. */
  deliveryFailed(p: PendingPush): void {
    if (p.status === "delivering") p.status = "pending";
  }

  private finish(sn: string, p: PendingPush, status: Exclude<PushStatus, "pending" | "delivering">): void {
    p.status = status;
    const r = this.waiting.get(sn);
    if (r && r.pendingPush === p) r.pendingPush = null;
    this.emit({ type: status, sn, memberId: p.memberId, scene: p.scene, at: this.deps.now() });
  }

  push(sn: string, memberId: number, scene: string | undefined, by: string): PushResult {
    const now = this.deps.now();
    const r = this.waiting.get(sn);
    if (!this.isActive(r, now)) return "error:DEVICE_NOT_WAITING";
    const chosen = scene ?? this.setting("youjiu.defaultPushScene");
    if (!(XONE_SCENES as readonly string[]).includes(chosen)) return "error:INVALID_SCENE";
    const m = this.members.profile(memberId);
    if (!m) return "error:MEMBER_NOT_FOUND";
    if (m.status !== "active") return "error:MEMBER_INACTIVE";
    if (r!.pendingPush && (r!.pendingPush.status === "pending" || r!.pendingPush.status === "delivering")) this.finish(sn, r!.pendingPush, "superseded");
    r!.pendingPush = { memberId, scene: chosen, pushedAt: now, pushedBy: by, status: "pending" };
    this.emit({ type: "pushed", sn, memberId, scene: chosen, by, at: now });
    return "ok";
  }

  cancelPush(sn: string): "ok" {
    const p = this.waiting.get(sn)?.pendingPush;
    if (p && p.status === "pending") this.finish(sn, p, "cancelled");
    return "ok";
  }

  /** QR logins (qr.ts); a poll also prunes what silent devices left behind. */
  bindQr(value: string, memberId: number): ReturnType<QrLogins["bind"]> {
    return this.qr.bind(value, memberId);
  }
  qrPoll(value: string, scene: string | null, sn: string | null, remoteIp: string | null): ReturnType<QrLogins["poll"]> {
    this.prune();
    return this.qr.poll(value, scene, sn, remoteIp);
  }
  activeQrSessions(now = this.deps.now()): QrSession[] {
    return this.qr.active(now);
  }

  /** Waiting records with their readiness for push. */
  waitingDevices(now = this.deps.now()): Array<WaitingRecord & { ready: boolean }> {
    this.expirePushes(now); // a push past its TTL reads as expired at once, whether or not the sweep runs
    return [...this.waiting.values()].map((r) => ({ ...r, ready: this.isActive(r, now) }));
  }

  /** Emits `idle` for records that stopped polling (called by a timer for the live view). */
  sweep(now = this.deps.now()): void {
    const windowMs = this.setting("youjiu.pushActiveWindowMs");
    for (const r of this.waiting.values()) {
      if (now - r.lastPollAt > windowMs && now - r.lastPollAt <= windowMs + 1000) this.emit({ type: "idle", sn: r.sn, at: now });
    }
    this.expirePushes(now);
  }

  /** Pushes not delivered within youjiu.pushTtlSeconds expire (spec §0.3: at most a few seconds). */
  expirePushes(now = this.deps.now()): void {
    const ttl = this.setting("youjiu.pushTtlSeconds") * 1000;
    for (const r of this.waiting.values()) {
      const p = r.pendingPush;
      if (p && p.status === "pending" && now - p.pushedAt > ttl) this.finish(r.sn, p, "expired");
    }
  }
}
