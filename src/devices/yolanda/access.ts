/**
 * Who may call the Yolanda routes.
 *
 * WSP Mini (§3.2): `Authorization: Bearer <JWT>`, HS256 only, verified with jose
 * against `yolanda.mini.jwtSecret` (and, on a signature failure, the previous
 * secret during a rotation). `exp`, `appid` and `iss` are optional; `appid` and
 * `iss` are compared only when configured and present. The clock is deps.now().
 *
 * On-site relays (§3.7): the source address must be in an allow-list of IPs and
 * CIDR ranges; v1.0.x endpoints must also carry the configured Authorization
 * value exactly (constant-time comparison).
 *
 * Nothing here logs, and no failure reason contains a secret.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { createHash } from "node:crypto";

// ---- WSP Mini JWT ----------------------------------------------------------------

export interface MiniAuthSettings {
  secret: string | null;
  previous: string | null;
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number | null;
  expectedAppid: string | null;
  expectedIssuer: string | null;
}

export type MiniAuth = { ok: true; via: "current" | "previous"; payload: JWTPayload } | { ok: false; reason: string };

/** UTF-8 bytes of a secret; kept for the last few secrets so jose can reuse its imported key. */
const keys = new Map<string, Uint8Array>();
function keyOf(secret: string): Uint8Array {
  let k = keys.get(secret);
  if (!k) {
    if (keys.size >= 4) keys.clear();
    k = new TextEncoder().encode(secret);
    keys.set(secret, k);
  }
  return k;
}

/** A jose error as the short reason stored in the capture (spec: alg_not_allowed, signature_failed, expired, …). */
export function joseReason(e: unknown): string {
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return "alg_not_allowed";
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return "signature_failed";
  if (e instanceof joseErrors.JWTExpired) return e.claim === "iat" ? "token_too_old" : "expired";
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return "not_yet_valid";
    if (e.claim === "iat") return e.reason === "missing" ? "iat_missing" : "iat_invalid";
    return `claim_invalid`;
  }
  if (e instanceof joseErrors.JOSENotSupported) return "not_supported";
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) return "malformed";
  return "invalid_token";
}

/** The token of `Authorization: Bearer <token>` (scheme in any case, then one or more spaces); null otherwise. */
export function bearerToken(header: string | null): { token: string } | { reason: string } {
  if (header === null || header.trim() === "") return { reason: "missing_authorization" };
  const m = /^bearer +(\S+)\s*$/i.exec(header.trim());
  return m ? { token: m[1]! } : { reason: "not_bearer" };
}

/** A token issued further in the future than this is refused, whatever the clock tolerance (spec §0.3.6). */
export const FUTURE_IAT_LIMIT_S = 300;

export async function verifyMini(header: string | null, s: MiniAuthSettings, now: number): Promise<MiniAuth> {
  if (!s.secret) return { ok: false, reason: "not_configured" };
  const bearer = bearerToken(header);
  if ("reason" in bearer) return { ok: false, reason: bearer.reason };
  // iat is required (spec §0.3.6); the age limit applies to tokens without exp and is checked below.
  const options = {
    algorithms: ["HS256"],
    clockTolerance: s.clockToleranceSeconds,
    currentDate: new Date(now),
    requiredClaims: ["iat"],
  };
  let payload: JWTPayload;
  let via: "current" | "previous" = "current";
  try {
    payload = (await jwtVerify(bearer.token, keyOf(s.secret), options)).payload;
  } catch (e) {
    // Rotation: only a signature failure is retried with the previous secret.
    if (!(e instanceof joseErrors.JWSSignatureVerificationFailed) || !s.previous) return { ok: false, reason: joseReason(e) };
    try {
      payload = (await jwtVerify(bearer.token, keyOf(s.previous), options)).payload;
      via = "previous";
    } catch (e2) {
      return { ok: false, reason: joseReason(e2) };
    }
  }
  const nowS = now / 1000;
  if (typeof payload.iat !== "number") return { ok: false, reason: "iat_missing" };
  if (payload.iat > nowS + FUTURE_IAT_LIMIT_S) return { ok: false, reason: "iat_in_future" };
  if (payload.exp === undefined && s.maxTokenAgeSeconds !== null && nowS - payload.iat > s.maxTokenAgeSeconds + s.clockToleranceSeconds) {
    return { ok: false, reason: "token_too_old" };
  }
  // With an appid configured, a token must carry it (a token without one is refused too).
  if (s.expectedAppid && payload.appid !== s.expectedAppid) return { ok: false, reason: payload.appid === undefined ? "appid_missing" : "appid_mismatch" };
  if (s.expectedIssuer && payload.iss !== undefined && payload.iss !== s.expectedIssuer) return { ok: false, reason: "issuer_mismatch" };
  return { ok: true, via, payload };
}

/** A short, non-reversible fingerprint so staff can tell which secret is configured without seeing it. */
export function fingerprint(secret: string): string {
  return createHash("sha256").update("bodydock-fingerprint\0" + secret).digest("hex").slice(0, 12);
}

// ---- relay source allow-list ----------------------------------------------------------

type Addr = { v: 4 | 6; bytes: number[] };

function parseV4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function parseV6(s: string): number[] | null {
  let text = s;
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:192.168.1.5).
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.slice(lastColon + 1).includes(".")) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = v4;
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const group = (h: string) => (h === "" ? [] : h.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const bytes: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

export function parseIp(s: string): Addr | null {
  const t = s.trim().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const v4 = parseV4(t);
  if (v4) return { v: 4, bytes: v4 };
  const v6 = parseV6(t);
  if (!v6) return null;
  // IPv4-mapped IPv6 (a dual-stack socket reports IPv4 clients this way) is matched as IPv4.
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return { v: 4, bytes: v6.slice(12) };
  return { v: 6, bytes: v6 };
}

function inRange(addr: Addr, cidr: string): boolean {
  const [base, lenText] = cidr.trim().split("/");
  const net = parseIp(base ?? "");
  if (!net || net.v !== addr.v) return false;
  const max = addr.v === 4 ? 32 : 128;
  const len = lenText === undefined ? max : /^\d{1,3}$/.test(lenText) ? Number(lenText) : -1;
  if (len < 0 || len > max) return false;
  for (let bit = 0; bit < len; bit += 8) {
    const bits = Math.min(8, len - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    const i = bit / 8;
    if ((addr.bytes[i]! & mask) !== (net.bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * Whether a relay may call from `ip`. An unknown remote address (in-process
 * requests through app.handle) counts as loopback (§3.7).
 */
export function sourceAllowed(ip: string | null, allowed: readonly string[]): boolean {
  const addr = parseIp(ip ?? "127.0.0.1");
  if (!addr) return false;
  return allowed.some((cidr) => inRange(addr, cidr));
}
