/**
 * Lefu wire format: routing (§2.2), answers (§2.3), device identity and the
 * mapping of the three upload shapes onto one measurement (§2.4, §2.6).
 * Pure functions: no database, no clock (callers pass `now`).
 */
import { battery, clockSuspect, epochMs, field, int, isObj, mac as macOf, num, str, type Obj } from "../common/coerce.ts";
import type { DevicePath } from "../common/path.ts";

export type LefuFamily = "v2" | "torre";
export type LefuEndpoint = "register" | "config" | "update" | "record" | "unknown";

export interface LefuRoute {
  prefix: string;
  /** Lower-cased route key ("torre/record"); "" for a path ending in /lefu/wifi. */
  key: string;
  endpoint: LefuEndpoint;
  family: LefuFamily | undefined;
}

const ROUTES: Record<string, [LefuEndpoint, LefuFamily]> = {
  register: ["register", "v2"],
  config: ["config", "v2"],
  checkforupdate: ["update", "v2"],
  record: ["record", "v2"],
  "v2/checkforupdate": ["update", "v2"],
  "torre/register": ["register", "torre"],
  "torre/config": ["config", "torre"],
  "torre/checkforupdate": ["update", "torre"],
  "torre/record": ["record", "torre"],
};

/** Lefu router match (§1.3 rule 1, §2.2): the last /lefu/wifi/ in the path, or a path ending in /lefu/wifi. */
export function matchLefu(p: DevicePath): LefuRoute | null {
  const idx = p.lower.lastIndexOf("/lefu/wifi/");
  let prefix: string;
  let key: string;
  if (idx >= 0) {
    prefix = p.path.slice(0, idx);
    key = p.lower.slice(idx + "/lefu/wifi/".length);
  } else if (p.lower.endsWith("/lefu/wifi")) {
    prefix = p.path.slice(0, p.path.length - "/lefu/wifi".length);
    key = "";
  } else return null;
  const known = ROUTES[key];
  return { prefix, key, endpoint: known ? known[0] : "unknown", family: known ? known[1] : undefined };
}

// ---- answers (§2.3) -------------------------------------------------------

export function registerAnswer(now: number, unit: number) {
  return { errorCode: 0, text: "Register success", data: { nowTime: now, now, unit } };
}
export function configAnswer(now: number, unit: number) {
  return { errorCode: 0, text: "Get config info success", data: { nowTime: now, now, nowTimeSecond: Math.floor(now / 1000), unit } };
}
export function updateAnswer() {
  return { code: 200, errorCode: 0, text: "checkForUpdate success", data: [] as never[] };
}
export function recordAnswer(now: number) {
  return { code: 200, errorCode: 0, text: "success", data: { nowTime: now } };
}
export const FAILURE = {
  storage: { errorCode: 1, text: "server error", data: null },
  tooLarge: { errorCode: 1, text: "payload too large", data: null },
  disabled: { errorCode: 1, text: "not enabled", data: null },
} as const;

// ---- device identity (§2.4) -----------------------------------------------

export interface LefuDeviceInfo {
  sn?: string;
  mac?: string;
  model?: string;
  versions: Record<string, string>;
  battery?: number;
  batteryRaw?: string;
  timezone?: string;
  rssi?: number;
  wifiSsid?: string;
}

const VERSION_FIELDS = ["firmwareVersion", "hardwareVersion", "wifiVersion", "bleVersion", "resVersion", "mcuVersion", "skuCode"];

export function deviceInfo(body: Obj): LefuDeviceInfo {
  const versions: Record<string, string> = {};
  for (const f of VERSION_FIELDS) {
    const v = str(field(body, f));
    if (v !== undefined && v.trim() !== "") versions[f] = v.trim();
  }
  const batRaw = field(body, "charge") ?? field(body, "bat");
  const sn = str(field(body, "sn"))?.trim();
  return {
    sn,
    mac: macOf(field(body, "mac")),
    model: str(field(body, "type"))?.trim(),
    versions,
    battery: battery(batRaw),
    batteryRaw: str(batRaw),
    timezone: str(field(body, "timezone"))?.trim(),
    rssi: int(field(body, "rssi")),
    wifiSsid: str(field(body, "wifiSsid"))?.trim(),
  };
}

/** The key from the SN; undefined when the SN is missing (the caller then looks the MAC up). */
export function keyFromSn(sn: string | undefined): string | undefined {
  return sn && sn.trim() ? sn.trim().toUpperCase() : undefined;
}

// ---- measurement items (§2.4, §2.6) -----------------------------------------

export type ItemShape = "v2" | "torre";

export interface LefuItem {
  ok: true;
  weightKg: number;
  measuredAt: number;
  deviceTsRaw: string | null;
  /** False when the item had no usable timestamp (measuredAt is then the receive time). */
  deviceTime: boolean;
  clockSuspect: boolean;
  heartRate: number | null;
  impedance: string[] | null;
  memberid: string | null;
  userid: string | null;
  backlogTotal: number | null;
  backlogCurrent: number | null;
  rssi: number | null;
  dataType: string | null;
  raw: unknown;
}
export interface LefuBadItem {
  ok: false;
  reason: "weight_out_of_range" | "no_timestamp" | "not_an_object";
  raw: unknown;
}

function impedanceString(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "string") return v.trim();
  return undefined;
}

/** The impedance strings of an item, verbatim (trimmed), or null for a weight-only weighing. */
function impedances(item: Obj, shape: ItemShape): string[] | null {
  if (shape === "torre") {
    const data = field(item, "data");
    if (Array.isArray(data)) {
      const out: string[] = [];
      for (const d of data) {
        const s = isObj(d) ? impedanceString(field(d, "impedance")) : impedanceString(d);
        if (s !== undefined && s !== "") out.push(s);
      }
      return out.length ? out : null;
    }
  }
  const one = impedanceString(field(item, "impedance"));
  return one === undefined || one === "" || one === "0" ? null : [one];
}

export function normaliseItem(raw: unknown, shape: ItemShape, now: number): LefuItem | LefuBadItem {
  if (!isObj(raw)) return { ok: false, reason: "not_an_object", raw };
  const weight = num(field(raw, "weight"));
  if (weight === undefined || !(weight > 0 && weight <= 300)) return { ok: false, reason: "weight_out_of_range", raw };
  // A readable weight is never lost (spec §0.3): with no usable timestamp, the receive time, flagged.
  const tsRaw = field(raw, "timestamp");
  const deviceTime = epochMs(tsRaw);
  const measuredAt = deviceTime ?? now;
  const hr = int(field(raw, "heartRate"));
  return {
    ok: true,
    weightKg: weight,
    measuredAt,
    deviceTsRaw: tsRaw === undefined || tsRaw === null ? null : String(tsRaw),
    deviceTime: deviceTime !== undefined,
    clockSuspect: deviceTime === undefined || clockSuspect(measuredAt, now),
    heartRate: hr === undefined || hr <= 0 ? null : hr,
    impedance: impedances(raw, shape),
    memberid: str(field(raw, "memberid"))?.trim() ?? null,
    userid: str(field(raw, "userid"))?.trim() ?? null,
    backlogTotal: int(field(raw, "Total index")) ?? null,
    backlogCurrent: int(field(raw, "Current index")) ?? null,
    rssi: int(field(raw, "rssi")) ?? null,
    dataType: str(field(raw, "data_type")) ?? null,
    raw,
  };
}

/** Items of a Torre record body: its `list`. */
export function torreItems(body: Obj): unknown[] {
  const list = field(body, "list");
  return Array.isArray(list) ? list : [];
}

/** Best-effort items of an unknown-path body (§2.6 step 3), each with its shape. */
export function unknownPathItems(body: unknown): Array<{ item: unknown; shape: ItemShape }> {
  let items: unknown[] = [];
  let top: Obj = {};
  if (Array.isArray(body)) items = body;
  else if (isObj(body)) {
    top = body;
    if (field(body, "weight") !== undefined) items = [body];
    else {
      for (const v of Object.values(body)) {
        if (Array.isArray(v) && v.some((x) => isObj(x) && field(x, "weight") !== undefined)) {
          items = v;
          break;
        }
      }
    }
  }
  const scalars: Obj = {};
  for (const [k, v] of Object.entries(top)) if (v === null || typeof v !== "object") scalars[k] = v;
  return items.map((it) => {
    const merged = isObj(it) ? { ...scalars, ...it } : it;
    const shape: ItemShape = isObj(it) && (field(it, "data") !== undefined || field(it, "memberid") !== undefined) ? "torre" : "v2";
    return { item: merged, shape };
  });
}

export function idemKey(deviceKey: string, measuredAt: number, memberid: string | null): string {
  return `lefu:${deviceKey}:${measuredAt}:${memberid ?? ""}`;
}

/**
 * The key of an item that carried no usable timestamp: its content, never the receive time, so a
 * scale that sends the same backlog again later does not store it twice.
 */
export function idemKeyOfContent(deviceKey: string, raw: unknown): string {
  const digest = new Bun.CryptoHasher("sha256").update(JSON.stringify(raw)).digest("hex").slice(0, 32);
  return `lefu:${deviceKey}:content:${digest}`;
}

/** Whether a scaleType is an 8-electrode variant (1–6). */
export function eightElectrode(scaleType: number | null): boolean {
  return scaleType !== null && scaleType >= 1 && scaleType <= 6;
}

