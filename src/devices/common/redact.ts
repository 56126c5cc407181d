/**
 * Redaction by allow-list (device-protocols §1.6; issue 13, point 9). Applies to captures, logs
 * and every table: a Torre Wi-Fi password must appear nowhere.
 *
 * For every key of a device body, query string, form or header:
 *  1. a known credential of a protocol (Lefu `wifiPassword`, Youjiu `secret` and `token`, …) is masked;
 *  2. any other field a protocol is known to send (KNOWN_FIELDS) is kept verbatim;
 *  3. an unknown key that looks like a credential (`passwd`, `psk`, `wifiPwd`, `wifi_pass`,
 *     `x-token`, `apiKey`, `secret`, …: see looksLikeCredential) is masked;
 *  4. any other unknown key is kept, so that a new firmware's fields can still be discovered.
 * Keys are compared by `keynorm` (lower case; spaces, `_` and `-` removed).
 */
import { keynorm } from "./coerce.ts";

export const REDACTED = "[redacted]";

/** Fields that are credentials in a protocol we speak: always masked. */
const CREDENTIALS = new Set(["wifipassword", "password", "pwd", "secret", "token", "secretkey", "jwtsecret", "authorization"]);

/**
 * Fields each protocol is known to send (spec §2–§4, the shared fixtures), kept verbatim. The
 * union is used: a Lefu field in a Youjiu body is still an ordinary field.
 */
export const KNOWN_FIELDS: Readonly<Record<"lefu" | "yolanda" | "youjiu", readonly string[]>> = {
  lefu: [
    "sn", "mac", "model", "type", "dataType", "data", "list", "weight", "impedance", "impedance20k", "impedance100k",
    "heartRate", "timestamp", "time", "timezone", "memberid", "userid", "userId", "scaleType", "bat", "charge", "battery",
    "rssi", "wifiSsid", "ssid", "firmwareVersion", "hardwareVersion", "wifiVersion", "bleVersion", "resVersion",
    "mcuVersion", "skuCode", "otaUrl", "otaWifiUrl", "currentIndex", "totalIndex", "unit", "code", "errorCode", "text",
  ],
  yolanda: [
    "mac", "model_id", "user_index", "timestamp", "hmac", "definite_flag", "resistance", "sec_resistance", "resistance_flag",
    "measurements", "records", "weight", "bmi", "bmr", "bodyage", "bodyfat", "bodyshape", "bone", "cardiac_index",
    "fat_control", "fat_free_weight", "fatty_liver_risk", "fat_weight", "heart_rate", "ideal_visual_weight", "inorganic_salt",
    "lbm", "muscle", "muscle_control", "muscle_rate", "obesity", "protein", "protein_quality", "score", "sinew",
    "standard_weight", "subfat", "visfat", "water", "water_content", "weight_control", "left_arm_fat", "left_arm_muscle_weight",
    "left_leg_fat", "left_leg_muscle_weight", "right_arm_fat", "right_arm_muscle_weight", "right_leg_fat",
    "right_leg_muscle_weight", "trunk_fat", "trunk_muscle_weight", "users", "appid", "iat", "exp", "iss", "is_success",
  ],
  youjiu: ["sn", "type", "value", "scene", "card_no_dec", "card_no_hex", "face_image", "code", "message", "result", "login_control", "allow_login", "user_info", "waiting"],
};

const KNOWN = new Set(Object.values(KNOWN_FIELDS).flat().map(keynorm));

/** An unknown key's name that suggests a credential (on its keynorm). */
const CREDENTIAL_LIKE = /pass|pwd|psk|secret|token|auth|cred|cookie|session|signature|bearer|jwt|private|apikey|key$|^sign$|^pin(code)?$|^otp$/;

export function looksLikeCredential(k: string): boolean {
  return CREDENTIAL_LIKE.test(keynorm(k));
}

/** True when the value under key `k` must not be stored. */
export function isSecretKey(k: string): boolean {
  const kn = keynorm(k);
  if (CREDENTIALS.has(kn)) return true;
  if (KNOWN.has(kn)) return false;
  return CREDENTIAL_LIKE.test(kn);
}

/** Nesting deeper than this is not kept (no device sends it; bodies deeper than MAX_JSON_DEPTH are never parsed). */
export const MAX_DEPTH = 64;

/** Deep copy with secret values replaced and face images summarised. */
export function redactValue(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== "object") return v;
  if (depth >= MAX_DEPTH) return "[nested too deeply, not stored]";
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    const kn = keynorm(k);
    if (kn === "faceimage" && typeof val === "string") out[k] = `[face image, ${Buffer.byteLength(val)} bytes, not stored]`;
    else if (isSecretKey(k)) out[k] = REDACTED;
    else out[k] = redactValue(val, depth + 1);
  }
  return out;
}

const MAY_NEED = /pass|pwd|psk|secret|token|auth|cred|cookie|session|sign|bearer|jwt|private|key|pin|otp|face/i;

/** Cheap pre-check: false means the text has nothing that redaction would change. */
export function mayNeedRedaction(text: string): boolean {
  return MAY_NEED.test(text);
}

/** A JSON key and the complete string value after it. */
const KEY_STRING = /"((?:[^"\\]|\\.){1,200})"(\s*:\s*)"(?:[^"\\]|\\.)*"/g;
/** A JSON key followed by a colon. */
const KEY_COLON = /"((?:[^"\\]|\\.){1,200})"\s*:/g;
const REDACTED_VALUE = new RegExp(String.raw`^\s*:\s*"${REDACTED.replace(/[[\]]/g, "\\$&")}"`);
const FACE = /("face_image"\s*:\s*)"((?:[^"\\]|\\.)*)"/gi;

/** `a=1&b=2` with the values of secret keys replaced; the rest kept byte for byte. */
function redactPairs(query: string): string {
  return query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        /* keep it raw */
      }
      return isSecretKey(name) ? `${pair.slice(0, eq + 1)}${REDACTED}` : pair;
    })
    .join("&");
}

/**
 * Redacts raw text that may not be valid JSON. A secret key with no complete string value after
 * it (a truncated body, or a number) cuts the text just after the key.
 */
export function redactText(text: string): string {
  let out = text.replace(FACE, (_m, head: string, body: string) => `${head}"[face image, ${body.length} bytes, not stored]"`);
  out = out.replace(KEY_STRING, (m, key: string, colon: string) => (isSecretKey(key) ? `"${key}"${colon}"${REDACTED}"` : m));
  // Any secret key still not followed by a redacted string is a truncated (or non-string) one: cut there.
  KEY_COLON.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = KEY_COLON.exec(out))) {
    if (!isSecretKey(m[1]!)) continue;
    const keyEnd = m.index + m[1]!.length + 2;
    if (!REDACTED_VALUE.test(out.slice(keyEnd, keyEnd + REDACTED.length + 16))) return out.slice(0, keyEnd);
  }
  if (out.includes("=") && !out.trimStart().startsWith("{")) out = redactPairs(out);
  return out;
}

/** Query string parameters that are secrets redacted in a raw request target. */
export function redactTarget(target: string): string {
  const q = target.indexOf("?");
  if (q < 0) return target;
  return target.slice(0, q + 1) + redactPairs(target.slice(q + 1));
}

/** Headers every client sends; kept verbatim. */
const KNOWN_HEADERS = new Set([
  "host", "user-agent", "accept", "accept-encoding", "accept-language", "connection", "content-type", "content-length",
  "transfer-encoding", "date", "origin", "referer", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
  "x-real-ip", "forwarded", "via", "cache-control", "pragma", "expect", "te", "upgrade", "keep-alive",
]);

/**
 * Headers as a plain object. Authorization and credential-like headers (Youjiu's `token` and
 * `x-token`, `x-api-key`, …) are masked; a JWT keeps its header and payload (which device, until
 * when) and loses its signature. Cookies are masked whole.
 */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (KNOWN_HEADERS.has(lower)) out[lower] = value;
    else if (lower === "authorization" || lower === "proxy-authorization") out[lower] = redactAuthorization(value);
    else if (lower === "cookie" || lower === "set-cookie") out[lower] = REDACTED;
    else if (isSecretKey(lower)) out[lower] = redactCredential(value);
    else out[lower] = value;
  });
  return out;
}

/** A bare credential: a JWT keeps header and payload, anything else is masked. */
function redactCredential(value: string): string {
  const parts = value.trim().split(".");
  return parts.length === 3 && parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p)) ? `${parts[0]}.${parts[1]}.[sig]` : REDACTED;
}

export function redactAuthorization(value: string): string {
  const m = /^(\S+)\s+(.*)$/.exec(value.trim());
  if (!m) return redactCredential(value);
  const [, scheme, cred] = m as unknown as [string, string, string];
  if (scheme.toLowerCase() === "bearer" || scheme.toLowerCase() === "token") {
    const parts = cred.split(".");
    if (parts.length === 3) return `${scheme} ${parts[0]}.${parts[1]}.[sig]`;
  }
  return `${scheme} ${REDACTED}`;
}
