/**
 * Youjiu wire format (device-protocols §4): routing, envelopes, messages, the
 * user_info mapping, card and phone normalisation. Pure functions.
 */
import { ageOn } from "../../core/age.ts";
import { phoneDigits, type MemberProfile } from "../../core/members.ts";
import type { DevicePath } from "../common/path.ts";

export type YoujiuEndpoint = "activate" | "tokens" | "third_user";

/** §1.3 rule 4: ends with /youjiu/<endpoint> (any prefix) or is exactly /<endpoint>. */
export function matchYoujiu(p: DevicePath): { endpoint: YoujiuEndpoint; prefix: string } | null {
  for (const e of ["third_user", "activate", "tokens"] as const) {
    if (p.lower === `/${e}`) return { endpoint: e, prefix: "" };
    const tail = `/youjiu/${e}`;
    if (p.lower.endsWith(tail)) return { endpoint: e, prefix: p.path.slice(0, p.path.length - tail.length) };
  }
  return null;
}

export const JSON_TYPE = "application/json; charset=utf-8";

export function ok(result: Record<string, unknown>) {
  return { code: 0, message: "SUCCESS", result };
}

/** Protocol errors (§4.2): status, code, message. */
export const ERR = {
  INVALID_JSON: [400, 40001],
  MISSING_TYPE: [400, 40001],
  MISSING_VALUE: [400, 40001],
  MISSING_SN: [400, 40001],
  MISSING_PARAMETER: [400, 40001],
  UNAUTHORIZED: [401, 40101],
  TOKEN_EXPIRED: [401, 40101],
  INVALID_SECRET: [403, 40301],
  DEVICE_NOT_ALLOWED: [403, 40301],
  ALREADY_ACTIVATED: [403, 40301],
  SN_MISMATCH: [403, 40302],
  NOT_ENABLED: [404, 40401],
  PAYLOAD_TOO_LARGE: [413, 41301],
  INTERNAL_ERROR: [500, 50001],
} as const;
export type ErrName = keyof typeof ERR;

export function errBody(name: ErrName) {
  return { code: ERR[name][1], message: name, result: {} };
}

// ---- scenes and messages ----------------------------------------------------------

/** A poll after this gap starts a new session (its first poll is captured). */
export const POLL_SESSION_GAP_MS = 10_000;
/** Waiting records and QR sessions of devices silent this long are dropped (security issue, point 4). */
export const PRUNE_AFTER_MS = 10 * 60_000;

export const XONE_SCENES = ["meas-composition", "meas-posture", "meas-girth", "meas-balance", "meas-3t"] as const;
export const UPLUS_SCENES = ["meas-composition", "meas-composition-posture", "meas-composition-postpartum"] as const;
export const ALL_SCENES = [...new Set<string>([...XONE_SCENES, ...UPLUS_SCENES])];

export type MessageKey = "unknownMember" | "inactiveMember" | "unsupportedType" | "faceUnavailable" | "ambiguousMember" | "sceneNotAllowed" | "retry" | "slowDown";

export const MESSAGES: Record<"en" | "zh-CN", Record<MessageKey, string>> = {
  en: {
    unknownMember: "Member not found. Please see reception.",
    inactiveMember: "Membership inactive. Please see reception.",
    unsupportedType: "This login method is not supported here.",
    faceUnavailable: "Face login is not available. Please use your card or QR code.",
    ambiguousMember: "More than one member matches. Please see reception.",
    sceneNotAllowed: "This assessment is not enabled.",
    retry: "Please try again.",
    slowDown: "Too many attempts. Please wait a minute and try again.",
  },
  "zh-CN": {
    unknownMember: "未找到会员，请联系前台。",
    inactiveMember: "会员资格已失效，请联系前台。",
    unsupportedType: "此处不支持该登录方式。",
    faceUnavailable: "暂不支持人脸登录，请使用会员卡或二维码。",
    ambiguousMember: "匹配到多个会员，请联系前台。",
    sceneNotAllowed: "该测评项目未开通。",
    retry: "请重试。",
    slowDown: "尝试次数过多，请稍等一分钟再试。",
  },
};

export function refused(message: string) {
  return ok({ login_control: { allow_login: 0, message } });
}

/** `allow_login: 2`: the device shows the message and lets the member try again (spec §0.3: malformed requests). */
export function retry(message: string) {
  return ok({ login_control: { allow_login: 2, message } });
}

// ---- user_info (§4.6.2) ---------------------------------------------------------------

export function phoneForDevice(m: MemberProfile, mode: "international" | "china11"): string {
  const digits = phoneDigits(m.phone) ?? "";
  if (mode === "china11") return digits.length === 11 ? digits : String(m.id).padStart(11, "0");
  return digits.length >= 1 && digits.length <= 50 ? digits : String(m.id);
}

/** `timeZone`: the gym's (`gym.timeZone`); the age bounds are checked on the gym's calendar date. */
export function userInfo(m: MemberProfile, now: number, mode: "international" | "china11", timeZone: string): Record<string, unknown> {
  const info: Record<string, unknown> = { uid: m.id, phone: phoneForDevice(m, mode) };
  if (m.sex === "male") info.gender = 1;
  else if (m.sex === "female") info.gender = 2;
  if (m.birthday) {
    const age = ageOn(m.birthday, now, timeZone);
    if (age !== null && age >= 3 && age <= 99) info.birthday = m.birthday;
  }
  if (m.heightCm != null) {
    const h = Math.floor(m.heightCm + 0.5);
    if (h >= 90 && h <= 240) info.height = h;
  }
  const nick = (m.nickname?.trim() || m.name.trim().split(/\s+/)[0] || "").slice(0, 20);
  if (nick) info.nick_name = nick;
  return info;
}

export function extendData(memberId: number, sn: string | null, now: number): string {
  return `bd1|m=${memberId}|sn=${sn ?? "-"}|t=${Math.floor(now / 1000)}`;
}

// ---- cards (§4.6.3) -----------------------------------------------------------------------

export interface CardNumber {
  dec: string | null;
  hex: string | null;
}

/** Decimal without leading zeros ("0012" → "12"); null if not digits or beyond 64 bits. */
export function normDec(v: string): string | null {
  const s = v.trim();
  if (!/^\d{1,20}$/.test(s)) return null;
  const n = BigInt(s);
  return n <= 0xffffffffffffffffn ? n.toString() : null;
}

/** Upper-case hex, at least 8 digits; null if not hex. */
export function normHex(v: string): string | null {
  const s = v.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) return null;
  return s.toUpperCase().padStart(8, "0");
}

export function hexToDec(hex: string): string {
  return BigInt("0x" + hex).toString();
}
export function decToHex(dec: string): string {
  return BigInt(dec).toString(16).toUpperCase().padStart(8, "0");
}
/** Byte-reversed hex: 625968E6 ↔ E6685962. */
export function reverseBytes(hex: string): string {
  const h = hex.length % 2 ? "0" + hex : hex;
  return h.match(/../g)!.reverse().join("");
}

export function cardFrom(value: unknown): CardNumber {
  let v = value;
  if (typeof v === "string") {
    const s = v.trim();
    if (s.startsWith("{")) {
      try {
        v = JSON.parse(s);
      } catch {
        /* a plain string after all */
      }
    }
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const dec = o.card_no_dec ?? o.cardNoDec ?? o.dec;
    const hex = o.card_no_hex ?? o.cardNoHex ?? o.hex;
    return {
      dec: typeof dec === "string" || typeof dec === "number" ? normDec(String(dec)) : null,
      hex: typeof hex === "string" ? normHex(hex) : null,
    };
  }
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return { dec: String(v), hex: null };
  if (typeof v === "string") {
    const s = v.trim();
    if (/^\d+$/.test(s)) return { dec: normDec(s), hex: null };
    if (/^(0x)?[0-9a-fA-F]+$/i.test(s)) return { dec: null, hex: normHex(s) };
  }
  return { dec: null, hex: null };
}

/** The (dec, hex) pairs to try, in the order of §4.6.3 step 3. */
export function cardCandidates(c: CardNumber): Array<{ by: "dec" | "hex"; value: string }> {
  const out: Array<{ by: "dec" | "hex"; value: string }> = [];
  if (c.dec) out.push({ by: "dec", value: c.dec });
  if (c.hex) {
    out.push({ by: "hex", value: c.hex });
    const rev = reverseBytes(c.hex);
    out.push({ by: "hex", value: rev });
    out.push({ by: "dec", value: hexToDec(rev) });
  }
  return out;
}

/** A UUID inside any input (a scanned URL works too); else the trimmed input. */
export function qrKey(value: string): string {
  const m = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.exec(value);
  return (m ? m[0] : value.trim()).toLowerCase();
}

/** Last 4 characters, for login events. */
export function hint(value: string): string {
  return value.length <= 4 ? value : "…" + value.slice(-4);
}
