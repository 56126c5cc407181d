/**
 * Identification by what a member shows the device (device-protocols §4.6.1–§4.6.3): a face image,
 * a scanned code, a typed ID, a card, or a QR code staff bind to a member. Look-ups by value are
 * throttled (login.ts); a face goes to the face service (face.ts).
 */
import type { Outcome } from "../pipeline.ts";
import { faceLogin } from "./face.ts";
import type { Login } from "./login.ts";
import { reply } from "./tokens.ts";
import { cardFrom, decToHex, hexToDec, hint, ok } from "./wire.ts";

const UNKNOWN_CARD_WAIT_MS = 60_000;

export async function byFace(l: Login): Promise<Outcome> {
  // Not counted by the look-up limit: a face cannot be guessed like a number, and inference runs in
  // its own low-priority worker, so face requests cannot starve the other devices.
  const { deps, tokenSn, value } = l;
  if (!value) return l.tryAgain("missing_value");
  const remote = l.req.remote;
  const sn = tokenSn ?? (remote ? (deps.youjiu.service.snByIp.get(remote) ?? null) : null);
  const f = await faceLogin(deps, { value, tokenVerified: tokenSn !== null, sn, device: sn ? deps.repos.youjiu.device(sn) : null, unavailableMessage: l.message("faceUnavailable") });
  if (f.kind === "answer") return l.answer(f.body, { sn: tokenSn, outcome: f.outcome, memberId: null, valueHint: f.valueHint });
  const r = l.identified(deps.youjiu.lookup.decide([f.memberId]), tokenSn, f.valueHint);
  const body = r.event.outcome === "delivered" ? { ...r.body, result: { ...r.body.result, recognizing_faces: 1 } } : r.body;
  return l.answer(body, r.event);
}

/** `scan` / `scan-ed` (a member code) and `id` (member number or phone). */
export function byValue(l: Login, kind: "scan" | "id"): Outcome {
  const { deps, value } = l;
  if (!value) return l.tryAgain("missing_value");
  const limited = l.throttled();
  if (limited) return limited;
  const lookup = deps.youjiu.lookup;
  const ids = kind === "scan" ? lookup.byScan(value) : lookup.byId(value, deps.settings.get("youjiu.countryCallingCode"));
  const r = l.identified(lookup.decide(ids), l.tokenSn, hint(value));
  return l.answer(r.body, r.event);
}

/** Cards tapped but not enrolled, by decimal number: when the first tap was (youjiu.unknownCardMode "wait"). */
export class UnknownCards {
  private readonly firstTap = new Map<string, number>();

  /** `card-ed`: a card known to a member, or (mode "wait") a minute of `waiting` while staff enrol it. */
  byCard(l: Login): Outcome {
    const { deps, now, tokenSn } = l;
    const { lookup } = deps.youjiu;
    const repo = deps.repos.youjiu;
    const card = cardFrom(l.rawValue);
    if (!card.dec && !card.hex) return l.waiting(null);
    const dec = card.dec ?? hexToDec(card.hex!);
    // A card waiting for staff to enrol it polls every second: only its first tap counts.
    if (!this.firstTap.has(dec)) {
      const limited = l.throttled();
      if (limited) return limited;
    }
    const ids = lookup.byCard(card);
    const hex = card.hex ?? decToHex(card.dec!);
    if (ids.length === 0) {
      const noted = { persist: () => (repo.unknownCard(dec, hex, tokenSn, now), {}) };
      if (deps.settings.get("youjiu.unknownCardMode") === "wait") {
        const first = this.firstTap.get(dec) ?? now;
        this.firstTap.set(dec, first);
        if (now - first < UNKNOWN_CARD_WAIT_MS) return l.answer(ok({ waiting: 1 }), null, noted);
        this.firstTap.delete(dec);
      }
      const r = l.identified({ kind: "unknown" }, tokenSn, hint(dec));
      return l.answer(r.body, r.event, noted);
    }
    this.firstTap.delete(dec);
    const r = l.identified(lookup.decide(ids), tokenSn, hint(dec));
    return l.answer(r.body, r.event);
  }
}

/** A QR value that belongs to another device: it names another SN, or another device's session polls it. */
function qrNamesOtherSn(l: Login, value: string, sn: string): boolean {
  const named = /(?:^|[?&#;,\s])sn[=:]\s*([A-Za-z0-9_-]{4,64})/i.exec(value)?.[1];
  if (named && named !== sn) return true;
  const owner = l.deps.youjiu.service.qr.owner(value);
  return owner !== null && owner !== sn;
}

/** `qr`: the member staff bound to the code the device shows; waiting until then (§4.7). */
export function byQr(l: Login): Outcome {
  const { deps, tokenSn, value } = l;
  const service = deps.youjiu.service;
  if (!value) return l.tryAgain("missing_value");
  if (tokenSn && qrNamesOtherSn(l, value, tokenSn)) return l.snMismatch(value);
  const { binding, firstOfSession } = service.qrPoll(value, l.scene, tokenSn, l.req.remote);
  if (!binding) return l.waiting(firstOfSession ? null : "skip");
  if (binding.deliveredAt !== null) return { memory: reply(200, binding.answer) }; // lost-response safety: same answer again
  const r = l.identified(deps.youjiu.lookup.decide([binding.memberId]), tokenSn, hint(value));
  return l.answer(r.body, r.event, { after: (stored) => stored && service.qr.delivered(value, r.body) });
}
