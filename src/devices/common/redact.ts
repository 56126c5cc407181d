/**
 * Redaction (device-protocols §1.6). Applies to captures, logs and every table:
 * a Torre Wi-Fi password must appear nowhere.
 */
import { keynorm } from "./coerce.ts";

const SECRET_KEYS = new Set(["wifipassword", "password", "pwd", "secret", "token"]);

export function isSecretKey(k: string): boolean {
  return SECRET_KEYS.has(keynorm(k));
}

export const REDACTED = "[redacted]";

/** Nesting deeper than this is not kept (no device sends it; it would only exhaust the stack). */
export const MAX_DEPTH = 64;

/** Deep copy with secret values replaced and face images summarised. */
export function redactValue(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== "object") return v;
  if (depth >= MAX_DEPTH) return "[nested too deeply, not stored]";
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    const kn = keynorm(k);
    if (SECRET_KEYS.has(kn)) out[k] = REDACTED;
    else if (kn === "faceimage" && typeof val === "string") out[k] = `[face image, ${Buffer.byteLength(val)} bytes, not stored]`;
    else out[k] = redactValue(val, depth + 1);
  }
  return out;
}

const MAY_NEED = /pass|pwd|secret|token|face/i;

/** Cheap pre-check: false means the text has nothing that redaction would change. */
export function mayNeedRedaction(text: string): boolean {
  return MAY_NEED.test(text);
}

const KEY_ALT = String.raw`wifi[_\- ]?password|password|pwd|secret|token`;
const COMPLETE = new RegExp(String.raw`("(?:${KEY_ALT})"\s*:\s*)"(?:[^"\\]|\\.)*"`, "gi");
const KEY_ONLY = new RegExp(String.raw`"(?:${KEY_ALT})"`, "gi");
const FACE = /("face_image"\s*:\s*)"((?:[^"\\]|\\.)*)"/gi;
const FORM = new RegExp(String.raw`(^|[&?])((?:${KEY_ALT})=)[^&]*`, "gi");

/**
 * Redacts raw text that may not be valid JSON. A secret key with no complete
 * string value after it (a truncated body) cuts the text just after the key.
 */
export function redactText(text: string): string {
  let out = text.replace(COMPLETE, (_m, head: string) => `${head}"${REDACTED}"`);
  out = out.replace(FACE, (_m, head: string, body: string) => `${head}"[face image, ${body.length} bytes, not stored]"`);
  // Any key occurrence still not followed by a redacted value is a truncated one: cut there.
  KEY_ONLY.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = KEY_ONLY.exec(out))) {
    const after = out.slice(m.index + m[0].length);
    if (!new RegExp(String.raw`^\s*:\s*"${REDACTED.replace(/[[\]]/g, "\\$&")}"`).test(after) && /^\s*:/.test(after)) {
      return out.slice(0, m.index + m[0].length);
    }
  }
  if (out.includes("=") && !out.trimStart().startsWith("{")) out = out.replace(FORM, (_m, sep: string, key: string) => `${sep}${key}${REDACTED}`);
  return out;
}

/** Query string parameters `secret` and `token` redacted in a raw request target. */
export function redactTarget(target: string): string {
  const q = target.indexOf("?");
  if (q < 0) return target;
  return target.slice(0, q + 1) + target.slice(q + 1).replace(FORM, (_m, sep: string, key: string) => `${sep}${key}${REDACTED}`);
}

/** Headers as a plain object with Authorization redacted (JWT keeps header and payload). */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (lower === "authorization") out[lower] = redactAuthorization(value);
    else if (lower === "cookie") out[lower] = REDACTED;
    else out[lower] = value;
  });
  return out;
}

export function redactAuthorization(value: string): string {
  const m = /^(\S+)\s+(.*)$/.exec(value.trim());
  if (!m) return REDACTED;
  const [, scheme, cred] = m as unknown as [string, string, string];
  if (scheme.toLowerCase() === "bearer") {
    const parts = cred.split(".");
    if (parts.length === 3) return `Bearer ${parts[0]}.${parts[1]}.[sig]`;
  }
  return `${scheme} ${REDACTED}`;
}
