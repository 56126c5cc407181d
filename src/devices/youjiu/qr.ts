/**
 * QR logins (device-protocols §4.7), in memory: staff bind a member to the code a device shows; the
 * device's polls find the binding (and the same answer again for 10 s after delivery, should the
 * answer be lost). Sessions record which codes devices are showing now, for the staff page.
 */
import type { Deps } from "../../deps.ts";
import type { MemberLookup } from "./lookup.ts";
import type { YoujiuEvent } from "./service.ts";
import { POLL_SESSION_GAP_MS, PRUNE_AFTER_MS, qrKey } from "./wire.ts";

export const QR_REDELIVERY_MS = 10_000;
export const QR_SESSION_WINDOW_MS = 30_000;

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

export class QrLogins {
  readonly bindings = new Map<string, QrBinding>();
  readonly sessions = new Map<string, QrSession>();

  constructor(
    private readonly deps: Deps,
    private readonly members: MemberLookup,
    /** Last remote IP seen with each verified SN (the service's). */
    private readonly snByIp: Map<string, string>,
    private readonly emit: (e: YoujiuEvent) => void,
  ) {}

  /** Drops sessions of devices silent for long, and bindings past their life. */
  prune(now: number): void {
    for (const [k, q] of this.sessions) if (now - q.lastPoll > PRUNE_AFTER_MS) this.sessions.delete(k);
    for (const [k, b] of this.bindings) if (now > b.expiresAt && (b.deliveredAt === null || now - b.deliveredAt > QR_REDELIVERY_MS)) this.bindings.delete(k);
  }

  bind(value: string, memberId: number): "ok" | "error:MEMBER_NOT_FOUND" | "error:MEMBER_INACTIVE" {
    const m = this.members.profile(memberId);
    if (!m) return "error:MEMBER_NOT_FOUND";
    if (m.status !== "active") return "error:MEMBER_INACTIVE";
    const now = this.deps.now();
    this.bindings.set(qrKey(value), {
      memberId,
      boundAt: now,
      expiresAt: now + this.deps.settings.get("youjiu.qrBindingTtlSeconds") * 1000,
      deliveredAt: null,
      answer: null,
    });
    return "ok";
  }

  /** A QR poll: the live binding for the value (or a just-delivered one), and the session is refreshed. */
  poll(value: string, scene: string | null, sn: string | null, remoteIp: string | null): { binding: QrBinding | null; firstOfSession: boolean } {
    const now = this.deps.now();
    const key = qrKey(value);
    let s = this.sessions.get(key);
    const firstOfSession = !s || now - s.lastPoll > POLL_SESSION_GAP_MS;
    const deviceSn = sn ?? (remoteIp ? (this.snByIp.get(remoteIp) ?? null) : null);
    if (!s || firstOfSession) {
      s = { value: key, scene, firstSeen: now, lastPoll: now, sn: deviceSn, remoteIp };
      this.sessions.set(key, s);
      this.emit({ type: "qr_session", value: key, scene, at: now });
    } else {
      s.lastPoll = now;
      s.scene = scene ?? s.scene;
      s.sn = deviceSn ?? s.sn;
    }
    const b = this.bindings.get(key);
    if (!b) return { binding: null, firstOfSession };
    if (b.deliveredAt !== null) {
      if (now - b.deliveredAt <= QR_REDELIVERY_MS) return { binding: b, firstOfSession };
      this.bindings.delete(key);
      return { binding: null, firstOfSession };
    }
    if (now > b.expiresAt) {
      this.bindings.delete(key);
      return { binding: null, firstOfSession };
    }
    return { binding: b, firstOfSession };
  }

  /** The SN of the device whose live QR session shows this value (known from its token), or null. */
  owner(value: string, now = this.deps.now()): string | null {
    const s = this.sessions.get(qrKey(value));
    return s && now - s.lastPoll <= QR_SESSION_WINDOW_MS ? s.sn : null;
  }

  delivered(value: string, answer: unknown): void {
    const b = this.bindings.get(qrKey(value));
    if (b && b.deliveredAt === null) {
      b.deliveredAt = this.deps.now();
      b.answer = answer;
    }
  }

  /** Sessions polled in the last 30 s. */
  active(now = this.deps.now()): QrSession[] {
    const out: QrSession[] = [];
    for (const [k, s] of this.sessions) {
      if (now - s.lastPoll <= QR_SESSION_WINDOW_MS) out.push(s);
      else if (now - s.lastPoll > 10 * QR_SESSION_WINDOW_MS) this.sessions.delete(k);
    }
    return out.sort((a, b) => b.lastPoll - a.lastPoll);
  }
}
