/**
 * Yolanda measurement items (device-protocols §3.4, §3.7): the report fields under their vendor names,
 * the mapping of one item onto one measurement, slots and idempotency keys. Pure functions: no
 * database, no clock (callers pass `now`).
 */
import { bool, clockSuspect, epochMs, field, int, isObj, keynorm, num, str, type Obj } from "../common/coerce.ts";
import { redactValue } from "../common/redact.ts";

// ---- measurement items (§3.4, §3.7) ---------------------------------------------

/** The 29 report fields of the seed's measurement list, under their vendor names. */
export const INDICATORS = [
  "weight",
  "heart_rate",
  "bmi",
  "bodyfat",
  "fat_free_weight",
  "subfat",
  "visfat",
  "water",
  "bmr",
  "muscle",
  "sinew",
  "bone",
  "protein",
  "score",
  "bodyage",
  "body_shape",
  "cardiac_index",
  // optional in the seed
  "fatty_liver_risk",
  "fat_weight",
  "obesity",
  "water_content",
  "protein_quality",
  "inorganic_salt",
  "ideal_visual_weight",
  "standard_weight",
  "weight_control",
  "fat_control",
  "muscle_control",
  "muscle_rate",
] as const;
export type IndicatorName = (typeof INDICATORS)[number];

/** Fields the seed marks optional (否): the relay may leave them out. */
export const OPTIONAL_INDICATORS: readonly IndicatorName[] = INDICATORS.slice(17);

/** WSP-Full's 8-electrode segment values (muscle kg, fat %). */
export const SEGMENTS = [
  "right_arm_muscle_weight",
  "left_arm_muscle_weight",
  "right_leg_muscle_weight",
  "left_leg_muscle_weight",
  "trunk_muscle_weight",
  "right_arm_fat",
  "left_arm_fat",
  "right_leg_fat",
  "left_leg_fat",
  "trunk_fat",
] as const;

/** Other spellings of report fields: WSP-Full sends `lbm` for fat_free_weight (and `body_age`, which keynorm already matches). */
const ALIASES: Record<string, IndicatorName> = { lbm: "fat_free_weight" };

/** Item fields that are not indicators (they have their own columns). */
const ITEM_FIELDS = ["mac", "model_id", "user_index", "timestamp", "hmac", "definite_flag", "resistance", "sec_resistance", "resistance_flag"];

const KNOWN = new Set([...INDICATORS, ...SEGMENTS, ...Object.keys(ALIASES), ...ITEM_FIELDS].map(keynorm));

export interface Indicators {
  [name: string]: unknown;
  /** Fields nobody here knows, verbatim. */
  extra?: Record<string, unknown>;
  /** Fields bodydock computed because the relay did not send them (never one the relay sent). */
  derived?: string[];
}

export interface YolandaItem {
  ok: true;
  weightKg: number;
  measuredAt: number;
  /** The timestamp in whole seconds, for the idempotency key. */
  tsSeconds: number;
  deviceTsRaw: string;
  clockSuspect: boolean;
  heartRate: number | null;
  /** Integer user_index as sent (may be out of 1–8), or null when missing/invalid. */
  userIndex: number | null;
  /** WSP Mini ownership flag; missing counts as false. */
  definite: boolean;
  /** Verbatim, byte for byte. */
  hmac: string | null;
  modelId: string | null;
  resistance: number | null;
  secResistance: number | null;
  resistanceFlag: number | null;
  /** Report fields the relay sent (numbers), plus extra; null when the item carries no report. */
  indicators: Indicators | null;
  /** Any of the 10 segment values present. */
  segmental: boolean;
  raw: Obj;
}

export interface YolandaBadItem {
  ok: false;
  reason: "not_an_object" | "weight_out_of_range" | "no_timestamp";
  raw: unknown;
}

function lookup(item: Obj, name: string): unknown {
  const v = field(item, name);
  if (v !== undefined) return v;
  for (const [alias, target] of Object.entries(ALIASES)) if (target === name) return field(item, alias);
  return undefined;
}

/** The report fields (and segment values) an item carries, coerced to numbers; unknown keys kept in `extra`. */
export function indicatorsOf(item: Obj): { indicators: Indicators; segmental: boolean } {
  const out: Indicators = {};
  for (const name of INDICATORS) {
    const v = num(lookup(item, name));
    if (v !== undefined) out[name] = v;
  }
  let segmental = false;
  for (const name of SEGMENTS) {
    const v = num(field(item, name));
    if (v !== undefined) {
      out[name] = v;
      segmental = true;
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KNOWN.has(keynorm(k))) extra[k] = v;
  // Redacted like every stored value (a stray password key), and cut at the redaction depth limit.
  if (Object.keys(extra).length) out.extra = redactValue(extra) as Record<string, unknown>;
  return { indicators: out, segmental };
}

/**
 * One measurement item. `withReport`: the item carries the relay's report
 * (WSP Mini, Docker create_measurement, Full); WSP-Lite and unknown
 * measurements carry only weight and heart rate.
 */
export function normaliseItem(raw: unknown, now: number, withReport: boolean): YolandaItem | YolandaBadItem {
  if (!isObj(raw)) return { ok: false, reason: "not_an_object", raw };
  const weight = num(field(raw, "weight"));
  if (weight === undefined || !(weight > 0 && weight <= 300)) return { ok: false, reason: "weight_out_of_range", raw };
  const tsRaw = field(raw, "timestamp");
  const measuredAt = epochMs(tsRaw);
  if (measuredAt === undefined) return { ok: false, reason: "no_timestamp", raw };
  const hr = smallInt(field(raw, "heart_rate"));
  const hmacRaw = field(raw, "hmac");
  const rf = smallInt(field(raw, "resistance_flag"));
  const { indicators, segmental } = withReport ? indicatorsOf(raw) : { indicators: null, segmental: false };
  return {
    ok: true,
    weightKg: weight,
    measuredAt,
    tsSeconds: Math.floor(measuredAt / 1000),
    deviceTsRaw: String(tsRaw),
    clockSuspect: clockSuspect(measuredAt, now),
    heartRate: hr === undefined || hr <= 0 || hr > 300 ? null : hr,
    userIndex: smallInt(field(raw, "user_index")) ?? null,
    definite: bool(field(raw, "definite_flag")) ?? false,
    hmac: typeof hmacRaw === "string" ? (hmacRaw === "" ? null : hmacRaw) : typeof hmacRaw === "number" ? String(hmacRaw) : null,
    modelId: str(field(raw, "model_id"))?.trim() || null,
    resistance: num(field(raw, "resistance")) ?? null,
    secResistance: num(field(raw, "sec_resistance")) ?? null,
    resistanceFlag: rf === undefined ? null : rf,
    indicators,
    segmental,
    raw,
  };
}

/**
 * An integer that fits the STRICT INTEGER columns as an integer (|v| < 2^31);
 * anything larger is treated as missing (the raw item keeps it).
 */
export function smallInt(v: unknown): number | undefined {
  const n = int(v);
  return n !== undefined && Math.abs(n) < 2 ** 31 ? n : undefined;
}

export function validSlot(userIndex: number | null): userIndex is number {
  return userIndex !== null && userIndex >= 1 && userIndex <= 8;
}

/** `yolanda:<MAC>:<timestamp_seconds>:<user_index | 0 | multi>` (§3.4, §3.7). */
export function idemKey(mac: string, tsSeconds: number, slot: number | "multi"): string {
  return `yolanda:${mac}:${tsSeconds}:${slot}`;
}

/** The claim group of a slot: pending rows of one slot can be assigned together once staff know who it was. */
export function slotGroup(mac: string, userIndex: number): string {
  return `yolanda-slot:${mac}:${userIndex}`;
}
