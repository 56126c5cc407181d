/**
 * The in-memory side of Youjiu logins (device-protocols §4.6.3–§4.7): push
 * waiting records, QR bindings and QR sessions. Polls are answered from here,
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
import { qrKey, XONE_SCENES } from "./wire.ts";

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

export interface QrBinding {
  memberId: number;
  boundAt: number;
  expiresAt: number;
  /** Set once delivered: repeat polls within 10 s get the same answer. */
  deliveredAt: number | null;
  answer: unknown;
}

export interface QrSession {
  value: string;
  scene: string | null;
  firstSeen: number;
  lastPoll: number;
  sn: string | null;
  remoteIp: string | null;
}

export type YoujiuEvent =
  | { type: "waiting"; sn: string; at: number }
  | { type: "idle"; sn: string; at: number }
  | { type: "pushed"; sn: string; memberId: number; scene: string; by: string; at: number }
  | { type: "delivered" | "rejected_inactive" | "expired" | "superseded" | "cancelled"; sn: string; memberId: number; scene: string; at: number }
  | { type: "qr_session"; value: string; scene: string | null; at: number };

export const QR_REDELIVERY_MS = 10_000;
export const QR_SESSION_WINDOW_MS = 30_000;
/** A poll after this gap starts a new session (its first poll is captured). */
export const POLL_SESSION_GAP_MS = 10_000;
/** Waiting records and QR sessions of devices silent this long are dropped (security issue, point 4). */
export const PRUNE_AFTER_MS = 10 * 60_000;
/** Remote addresses remembered with their SN, at most. */
const MAX_ADDRESSES = 10_000;

export type PushResult = "ok" | "error:DEVICE_NOT_WAITING" | "error:MEMBER_NOT_FOUND" | "error:MEMBER_INACTIVE" | "error:INVALID_SCENE";

export class YoujiuService {
  readonly waiting = new Map<string, WaitingRecord>();
  readonly qrBindings = new Map<string, QrBinding>();
  readonly qrSessions = new Map<string, QrSession>();
  /** Last remote IP seen with each verified SN (to tie QR sessions to devices). */
  readonly snByIp = new Map<string, string>();
  private readonly listeners = new Set<(e: YoujiuEvent) => void>();

  constructor(
    private readonly deps: Deps,
    private readonly members: MemberLookup,
  ) {}

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
    for (const [k, q] of this.qrSessions) if (now - q.lastPoll > PRUNE_AFTER_MS) this.qrSessions.delete(k);
    for (const [k, b] of this.qrBindings) if (now > b.expiresAt && (b.deliveredAt === null || now - b.deliveredAt > QR_REDELIVERY_MS)) this.qrBindings.delete(k);
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

  bindQr(value: string, memberId: number): "ok" | "error:MEMBER_NOT_FOUND" | "error:MEMBER_INACTIVE" {
    const m = this.members.profile(memberId);
    if (!m) return "error:MEMBER_NOT_FOUND";
    if (m.status !== "active") return "error:MEMBER_INACTIVE";
    const now = this.deps.now();
    this.qrBindings.set(qrKey(value), {
      memberId,
      boundAt: now,
      expiresAt: now + this.setting("youjiu.qrBindingTtlSeconds") * 1000,
      deliveredAt: null,
      answer: null,
    });
    return "ok";
  }

  /** A QR poll: the live binding for the value (or a just-delivered one), and the session is refreshed. */
  qrPoll(value: string, scene: string | null, sn: string | null, remoteIp: string | null): { binding: QrBinding | null; firstOfSession: boolean } {
    const now = this.deps.now();
    this.prune(now);
    const key = qrKey(value);
    let s = this.qrSessions.get(key);
    const firstOfSession = !s || now - s.lastPoll > POLL_SESSION_GAP_MS;
    const deviceSn = sn ?? (remoteIp ? (this.snByIp.get(remoteIp) ?? null) : null);
    if (!s || firstOfSession) {
      s = { value: key, scene, firstSeen: now, lastPoll: now, sn: deviceSn, remoteIp };
      this.qrSessions.set(key, s);
      this.emit({ type: "qr_session", value: key, scene, at: now });
    } else {
      s.lastPoll = now;
      s.scene = scene ?? s.scene;
      s.sn = deviceSn ?? s.sn;
    }
    const b = this.qrBindings.get(key);
    if (!b) return { binding: null, firstOfSession };
    if (b.deliveredAt !== null) {
      if (now - b.deliveredAt <= QR_REDELIVERY_MS) return { binding: b, firstOfSession };
      this.qrBindings.delete(key);
      return { binding: null, firstOfSession };
    }
    if (now > b.expiresAt) {
      this.qrBindings.delete(key);
      return { binding: null, firstOfSession };
    }
    return { binding: b, firstOfSession };
  }

  /** The SN of the device whose live QR session shows this value (known from its token), or null. */
  qrOwner(value: string, now = this.deps.now()): string | null {
    const s = this.qrSessions.get(qrKey(value));
    return s && now - s.lastPoll <= QR_SESSION_WINDOW_MS ? s.sn : null;
  }

  qrDelivered(value: string, answer: unknown): void {
    const b = this.qrBindings.get(qrKey(value));
    if (b && b.deliveredAt === null) {
      b.deliveredAt = this.deps.now();
      b.answer = answer;
    }
  }

  /** Sessions polled in the last 30 s. */
  activeQrSessions(now = this.deps.now()): QrSession[] {
    const out: QrSession[] = [];
    for (const [k, s] of this.qrSessions) {
      if (now - s.lastPoll <= QR_SESSION_WINDOW_MS) out.push(s);
      else if (now - s.lastPoll > 10 * QR_SESSION_WINDOW_MS) this.qrSessions.delete(k);
    }
    return out.sort((a, b) => b.lastPoll - a.lastPoll);
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
