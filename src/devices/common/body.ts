/**
 * Lenient body reading for device requests (device-protocols §1.4): raw bytes,
 * Content-Type ignored, UTF-8 with replacement, BOM stripped, then JSON with
 * recovery steps (comments, trailing commas, first balanced {...}), optionally
 * form-urlencoded.
 */
import { abandonBody, beforeDeadline, readBefore } from "../../http/body-deadline.ts";
import { jsonTooComplex } from "../../http/json-limits.ts";

export type ParseStatus = "ok" | "recovered" | "form" | "empty" | "unparseable";

export interface ReadBody {
  /** Decoded text (BOM stripped). */
  text: string;
  bytes: number;
  tooLarge: boolean;
}

/**
 * Reads at most `limit` bytes; a larger body is reported as tooLarge (its text is what was read).
 * The read has the request's total deadline (http/body-deadline.ts): a body still arriving then
 * throws BodyTimeoutError, which the error handler answers 408 with the connection closed.
 */
export async function readBody(request: Request, limit: number): Promise<ReadBody> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    abandonBody(request);
    return { text: "", bytes: Number(declared), tooLarge: true };
  }
  if (request.body === null) return { text: "", bytes: 0, tooLarge: false };
  if (declared !== null) {
    // Length known and within the limit: one native read, against the deadline.
    return decode(new Uint8Array(await beforeDeadline(request, request.arrayBuffer())));
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await readBefore(request, reader);
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      void reader.cancel().catch(() => {});
      return { text: "", bytes: total, tooLarge: true };
    }
    chunks.push(value);
  }
  return decode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

function decode(buf: Uint8Array): ReadBody {
  let text = utf8.decode(buf);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, bytes: buf.byteLength, tooLarge: false };
}

/** Index just past the JSON string that starts at `i` (a quote), respecting escapes. */
function stringEnd(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
  return Math.min(j + 1, s.length);
}

/**
 * Removes // and /* *\/ comments outside strings, and trailing commas before } or ]
 * (a comma is held back until the next significant character shows whether it trails).
 */
export function stripJsonNoise(s: string): string {
  // Verbatim runs are copied as slices (not character by character): a 1 MiB body costs one pass.
  const out: string[] = [];
  let from = 0;
  let comma = false;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c === 0x2f /* / */ && (s.charCodeAt(i + 1) === 0x2f || s.charCodeAt(i + 1) === 0x2a)) {
      out.push(s.slice(from, i));
      if (s.charCodeAt(i + 1) === 0x2f) {
        const nl = s.indexOf("\n", i);
        i = nl < 0 ? s.length : nl;
      } else {
        const end = s.indexOf("*/", i + 2);
        i = end < 0 ? s.length : end + 2;
      }
      from = i;
    } else if (c === 0x2c /* , */) {
      out.push(s.slice(from, i));
      if (comma) out.push(",");
      comma = true;
      from = ++i;
    } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      i++;
    } else {
      if (comma) {
        // The held-back comma goes after the whitespace, unless it trails before } or ].
        out.push(s.slice(from, i));
        if (c !== 0x7d && c !== 0x5d) out.push(",");
        comma = false;
        from = i;
      }
      i = c === 0x22 /* " */ ? stringEnd(s, i) : i + 1;
    }
  }
  out.push(s.slice(from));
  if (comma) out.push(",");
  return out.join("");
}

/** The first balanced {...} in s, respecting strings and escapes; null if none closes. */
export function firstBalancedObject(s: string): string | null {
  const start = s.indexOf("{");
  if (start < 0) return null;
  let depth = 0;
  let inStr = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      if (c === "\\") i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return s.slice(start, i + 1);
    }
  }
  return null;
}

function tryJson(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch {
    return { ok: false };
  }
}

export interface Parsed {
  value: unknown;
  status: ParseStatus;
  /** Set when the text nests deeper than MAX_JSON_DEPTH or holds more than MAX_JSON_VALUES: it was not parsed at all. */
  tooComplex?: "depth" | "size";
}

// The depth and size limits are shared with the staff body check (http/json-limits.ts).
export { MAX_JSON_DEPTH, MAX_JSON_VALUES, jsonTooComplex } from "../../http/json-limits.ts";

export function parseLenient(text: string, allowForm = false): Parsed {
  const trimmed = text.trim();
  if (trimmed === "") return { value: {}, status: "empty" };
  // Depth and size first, before JSON.parse and every recovery step: a crafted body stops here (issue 13, point 7).
  const tooComplex = jsonTooComplex(trimmed);
  if (tooComplex) return { value: null, status: "unparseable", tooComplex };
  const direct = tryJson(trimmed);
  if (direct.ok) return { value: direct.value, status: "ok" };
  const stripped = stripJsonNoise(trimmed);
  const cleaned = stripped === trimmed ? direct : tryJson(stripped);
  if (cleaned.ok) return { value: cleaned.value, status: "recovered" };
  const obj = firstBalancedObject(trimmed);
  if (obj !== null) {
    const a = tryJson(obj);
    if (a.ok) return { value: a.value, status: "recovered" };
    const b = tryJson(stripJsonNoise(obj));
    if (b.ok) return { value: b.value, status: "recovered" };
  }
  if (allowForm && trimmed.includes("=") && !trimmed.startsWith("{")) {
    const value: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(trimmed)) if (!(k in value)) value[k] = v;
    return { value, status: "form" };
  }
  return { value: null, status: "unparseable" };
}

/** Query parameters merged under the body's keys (body wins). Non-object bodies are left alone. */
export function mergeQuery(value: unknown, query: URLSearchParams): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  let merged: Record<string, unknown> | null = null;
  for (const [k, v] of query) {
    if (k in obj) continue;
    merged ??= { ...obj };
    if (!(k in merged)) merged[k] = v;
  }
  return merged ?? obj;
}
