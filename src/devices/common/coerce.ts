/**
 * Field lookup and type coercion for device payloads (device-protocols §1.5).
 * Every function returns `undefined` for "missing".
 */
export type Obj = Record<string, unknown>;

/** Normalised keys seen so far: devices send the same few dozen keys on every request. Bounded (crafted keys). */
const normalised = new Map<string, string>();

export function keynorm(k: string): string {
  let n = normalised.get(k);
  if (n === undefined) {
    n = k.toLowerCase().replace(/[\s_-]/g, "");
    if (normalised.size >= 4096) normalised.clear();
    normalised.set(k, n);
  }
  return n;
}

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const normIndex = new WeakMap<Obj, Map<string, string>>();

/** Exact key first, then the first key whose keynorm matches (the normalised index is built once per object). */
export function field(o: Obj, key: string): unknown {
  if (Object.hasOwn(o, key)) return o[key];
  let index = normIndex.get(o);
  if (!index) {
    index = new Map();
    for (const k of Object.keys(o)) {
      const n = keynorm(k);
      if (!index.has(n)) index.set(n, k);
    }
    normIndex.set(o, index);
  }
  const k = index.get(keynorm(key));
  return k === undefined ? undefined : o[k];
}

const NUM = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function num(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string") return undefined;
  let s = v.trim();
  if (s === "") return undefined;
  if (!s.includes(".") && (s.match(/,/g) ?? []).length === 1) s = s.replace(",", ".");
  if (!NUM.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Integral values only ("1.0" → 1); any other fraction is invalid (undefined). */
export function int(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

export function bool(v: unknown): boolean | undefined {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true" || s === "1") return true;
    if (s === "false" || s === "0") return false;
  }
  return undefined;
}

/** Strings as received (numbers stringified); empty after trimming → missing. */
export function str(v: unknown): string | undefined {
  if (typeof v === "string") return v.trim() === "" ? undefined : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

/** "88:4a:18:5f:f6:c5" → "88:4A:18:5F:F6:C5"; undefined if not 12 hex digits. */
export function mac(v: unknown): string | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const hex = s.replace(/[:\-.\s]/g, "");
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  return hex.toUpperCase().match(/../g)!.join(":");
}

/** Epoch ms from seconds or ms (≥ 1e11 is ms). */
export function epochMs(v: unknown): number | undefined {
  const n = num(v);
  if (n === undefined || n < 0) return undefined;
  const ms = n >= 1e11 ? n : n * 1000;
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined;
}

const CLOCK_FLOOR = Date.UTC(2015, 0, 1);

export function clockSuspect(ms: number, now: number): boolean {
  return ms < CLOCK_FLOOR || ms > now + 24 * 3600 * 1000;
}

/** Battery as a fraction: 0…1 is a fraction, (1, 100] a percentage. */
export function battery(v: unknown): number | undefined {
  const n = num(v);
  if (n === undefined || n < 0) return undefined;
  if (n <= 1) return n;
  if (n <= 100) return n / 100;
  return undefined;
}
