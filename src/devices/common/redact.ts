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

/** Answers for keys seen lately: bodies repeat the same few keys, crafted ones tens of thousands of times. */
const decided = new Map<string, boolean>();

/** True when the value under key `k` must not be stored. */
export function isSecretKey(k: string): boolean {
  let d = decided.get(k);
  if (d === undefined) {
    const kn = keynorm(k);
    d = CREDENTIALS.has(kn) || (!KNOWN.has(kn) && CREDENTIAL_LIKE.test(kn));
    if (decided.size >= 4096) decided.clear();
    decided.set(k, d);
  }
  return d;
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

/** Substrings every secret key contains (as typed; see looksLikeCredential). Only keys around them are examined. */
const HINT = /pass|pwd|psk|secret|token|auth|cred|cookie|session|sign|bearer|jwt|private|key|pin|otp/gi;
/** After a key's closing quote: the colon. */
const COLON = /\s*:/y;
/** After a key's closing quote: the colon and a complete string value. */
const STRING_VALUE = /(\s*:\s*)"(?:[^"\\]|\\.)*"/y;
const FACE = /("face_image"\s*:\s*)"((?:[^"\\]|\\.)*)"/gi;

/**
 * The string values of secret keys in JSON-like text replaced. A secret key with no complete
 * string after it (cut off, or a number) ends the text just after the key. One pass over the
 * hints, so a body of 60 000 ordinary keys costs about a millisecond.
 */
function redactJsonKeys(text: string): string {
  const parts: string[] = [];
  let from = 0;
  HINT.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = HINT.exec(text))) {
    const open = text.lastIndexOf('"', m.index);
    const close = text.indexOf('"', m.index + m[0].length);
    if (close < 0) break;
    if (open < from || close - open > 201) continue;
    COLON.lastIndex = close + 1;
    if (!COLON.test(text) || !isSecretKey(text.slice(open + 1, close))) {
      HINT.lastIndex = close + 1;
      continue;
    }
    STRING_VALUE.lastIndex = close + 1;
    const v = STRING_VALUE.exec(text);
    parts.push(text.slice(from, close + 1));
    if (!v) return parts.join("");
    parts.push(v[1]!, `"${REDACTED}"`);
    from = HINT.lastIndex = close + 1 + v[0].length;
  }
  parts.push(text.slice(from));
  return parts.join("");
}

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
  out = redactJsonKeys(out);
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
