/**
 * Lenient body reading for device requests (device-protocols §1.4): raw bytes,
 * Content-Type ignored, UTF-8 with replacement, BOM stripped, then JSON with
 * recovery steps (comments, trailing commas, first balanced {...}), optionally
 * form-urlencoded.
 */
export type ParseStatus = "ok" | "recovered" | "form" | "empty" | "unparseable";

export interface ReadBody {
  /** Decoded text (BOM stripped). */
  text: string;
  bytes: number;
  tooLarge: boolean;
}

/** Reads at most `limit` bytes; a larger body is reported as tooLarge (its text is what was read). */
export async function readBody(request: Request, limit: number): Promise<ReadBody> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return { text: "", bytes: Number(declared), tooLarge: true };
  if (request.body === null) return { text: "", bytes: 0, tooLarge: false };
  if (declared !== null) {
    // Length known and within the limit: one native read.
    return decode(new Uint8Array(await request.arrayBuffer()));
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
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
  let out = "";
  let comma = false;
  const emitComma = () => {
    if (comma) out += ",";
    comma = false;
  };
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === '"') {
      emitComma();
      const end = stringEnd(s, i);
      out += s.slice(i, end);
      i = end;
    } else if (c === "/" && s[i + 1] === "/") {
      while (i < s.length && s[i] !== "\n") i++;
    } else if (c === "/" && s[i + 1] === "*") {
      const end = s.indexOf("*/", i + 2);
      i = end < 0 ? s.length : end + 2;
    } else if (c === ",") {
      emitComma();
      comma = true;
      i++;
    } else if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      out += c;
      i++;
    } else {
      if (c === "}" || c === "]") comma = false;
      emitComma();
      out += c;
      i++;
    }
  }
  emitComma();
  return out;
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
}

export function parseLenient(text: string, allowForm = false): Parsed {
  const trimmed = text.trim();
  if (trimmed === "") return { value: {}, status: "empty" };
  const direct = tryJson(trimmed);
  if (direct.ok) return { value: direct.value, status: "ok" };
  const cleaned = tryJson(stripJsonNoise(trimmed));
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
