/** The `devices` table: one row per physical device, kept current by every device call. */
import type { Database, Statement } from "bun:sqlite";
import { seenKey, type SeenThrottle } from "./seen-throttle.ts";

export type Vendor = "lefu" | "yolanda" | "youjiu";

export interface DeviceSeen {
  vendor: Vendor;
  deviceKey: string;
  /** Family from the route; undefined keeps the stored value (unknown paths). */
  family?: string;
  /** A family once known is kept: `family` only replaces 'unknown' (Youjiu: a XONE stays a XONE). */
  keepFamily?: boolean;
  sn?: string;
  mac?: string;
  model?: string;
  ip?: string | null;
  pathPrefix?: string;
  versions?: Record<string, string>;
  battery?: number;
  batteryRaw?: string;
  rssi?: number;
  timezone?: string;
  wifiSsid?: string;
  /** Approval for a device seen for the first time. */
  approveNew: boolean;
}

export interface DeviceRow {
  id: number;
  vendor: Vendor;
  device_key: string;
  family: string;
  sn: string | null;
  mac: string | null;
  model: string | null;
  name: string | null;
  notes: string | null;
  approved: number;
  blocked: number;
  first_seen: number;
  last_seen: number;
  last_ip: string | null;
  path_prefix: string | null;
  versions_json: string | null;
  battery: number | null;
  battery_raw: string | null;
  rssi: number | null;
  timezone: string | null;
  wifi_ssid: string | null;
  unit_override: number | null;
  default_member_id: number | null;
  impedance_mode: "encrypted" | "ohms";
  dup_count: number;
}

/** What a device call needs of its row (the upsert returns only these). */
export type DeviceSeenRow = Pick<
  DeviceRow,
  "id" | "vendor" | "device_key" | "family" | "approved" | "blocked" | "default_member_id" | "impedance_mode" | "unit_override"
>;
/** What staff may change on a device (PATCH /api/v1/devices/:id); a field left out is kept. */
export interface DevicePatch {
  name?: string | null;
  notes?: string | null;
  approved?: boolean;
  blocked?: boolean;
  impedanceMode?: "encrypted" | "ohms";
  defaultMemberId?: number | null;
  unitOverride?: number | null;
}

const SEEN_COLUMNS = "id, vendor, device_key, family, approved, blocked, default_member_id, impedance_mode, unit_override";

/** DevicePatch fields and their columns. */
const PATCH_FIELDS: ReadonlyArray<readonly [keyof DevicePatch, string]> = [
  ["name", "name"],
  ["notes", "notes"],
  ["approved", "approved"],
  ["blocked", "blocked"],
  ["impedanceMode", "impedance_mode"],
  ["defaultMemberId", "default_member_id"],
  ["unitOverride", "unit_override"],
];

export class DevicesRepo {
  private readonly upsertStmt: Statement<DeviceSeenRow>;
  private readonly seenRowStmt: Statement<DeviceSeenRow, [string, string]>;
  private readonly byKeyStmt: Statement<DeviceRow, [string, string]>;
  private readonly byMacStmt: Statement<DeviceRow, [string, string]>;
  private readonly byIdStmt: Statement<DeviceRow, [number]>;
  private readonly modeStmt: Statement<unknown, [string, number]>;
  private readonly listStmt: Statement<DeviceRow, [string | null]>;
  private readonly patchStmt: Statement<unknown>;
  private readonly onlineStmt: Statement<{ vendor: Vendor; n: number }, [number]>;

  constructor(
    db: Database,
    private readonly throttle: SeenThrottle,
  ) {
    // COALESCE keeps what we knew when a request leaves a field out; versions are merged.
    this.upsertStmt = db.query(`
      INSERT INTO devices (vendor, device_key, family, sn, mac, model, approved, first_seen, last_seen, last_ip, path_prefix,
                           versions_json, battery, battery_raw, rssi, timezone, wifi_ssid)
      VALUES ($vendor, $key, COALESCE($family, 'unknown'), $sn, $mac, $model, $approved, $now, $now, $ip, $prefix,
              $versions, $battery, $batteryRaw, $rssi, $timezone, $wifiSsid)
      ON CONFLICT (vendor, device_key) DO UPDATE SET
        family = CASE WHEN $family IS NULL OR ($keepFamily = 1 AND family <> 'unknown') THEN family ELSE $family END,
        sn = COALESCE($sn, sn), mac = COALESCE($mac, mac), model = COALESCE($model, model),
        last_seen = $now, last_ip = COALESCE($ip, last_ip), path_prefix = COALESCE($prefix, path_prefix),
        versions_json = CASE WHEN $versions IS NULL THEN versions_json
                             ELSE json_patch(COALESCE(versions_json, '{}'), $versions) END,
        battery = COALESCE($battery, battery), battery_raw = COALESCE($batteryRaw, battery_raw),
        rssi = COALESCE($rssi, rssi), timezone = COALESCE($timezone, timezone), wifi_ssid = COALESCE($wifiSsid, wifi_ssid)
      RETURNING ${SEEN_COLUMNS}`);
    this.seenRowStmt = db.query(`SELECT ${SEEN_COLUMNS} FROM devices WHERE vendor = ? AND device_key = ?`);
    this.byKeyStmt = db.query("SELECT * FROM devices WHERE vendor = ? AND device_key = ?");
    this.byMacStmt = db.query("SELECT * FROM devices WHERE vendor = ? AND mac = ? ORDER BY last_seen DESC LIMIT 1");
    this.byIdStmt = db.query("SELECT * FROM devices WHERE id = ?");
    this.modeStmt = db.query("UPDATE devices SET impedance_mode = ? WHERE id = ?");
    this.listStmt = db.query("SELECT * FROM devices WHERE ?1 IS NULL OR vendor = ?1 ORDER BY vendor, last_seen DESC");
    // One statement for every patch: $set<Field> says whether the field is in it (prepared once, not built per call).
    const set = (column: string, field: string) => `${column} = CASE WHEN $set_${field} THEN $${field} ELSE ${column} END`;
    this.patchStmt = db.query(`UPDATE devices SET ${PATCH_FIELDS.map(([f, c]) => set(c, f)).join(", ")} WHERE id = $id`);
    this.onlineStmt = db.query("SELECT vendor, COUNT(*) AS n FROM devices WHERE last_seen >= ? GROUP BY vendor ORDER BY vendor");
  }

  /** Call inside a write job. Writes the fields `patch` has (undefined ones are kept); true when the device exists. */
  update(id: number, patch: DevicePatch): boolean {
    if (PATCH_FIELDS.every(([f]) => patch[f] === undefined)) return this.byIdStmt.get(id) !== null;
    const p: Record<string, string | number | null> = { $id: id };
    for (const [f] of PATCH_FIELDS) {
      const v = patch[f];
      p[`$set_${f}`] = v === undefined ? 0 : 1;
      p[`$${f}`] = v === undefined ? null : typeof v === "boolean" ? (v ? 1 : 0) : v;
    }
    return this.patchStmt.run(p as never).changes > 0;
  }

  /** Devices whose row says they were heard from at `since` or later, per vendor (GET /metrics). */
  onlineByVendor(since: number): Map<Vendor, number> {
    return new Map(this.onlineStmt.all(since).map((r) => [r.vendor, r.n]));
  }

  /**
   * The one device upsert every role uses (Lefu, Yolanda, Youjiu): creates the row on first contact, else
   * updates what the request says about the device (COALESCE keeps what a request leaves out).
   * Call inside a write job. The row is written when something about the device changed, or when it was
   * last written a second ago or more; otherwise it is only read, and the call is kept in memory
   * (seen-throttle.ts), where lastSeen() and the reads below find it.
   */
  seen(d: DeviceSeen, now: number): DeviceSeenRow {
    const versions = d.versions && Object.keys(d.versions).length ? JSON.stringify(d.versions) : null;
    const p = {
      vendor: d.vendor,
      key: d.deviceKey,
      family: d.family ?? null,
      keepFamily: d.keepFamily ? 1 : 0,
      sn: d.sn ?? null,
      mac: d.mac ?? null,
      model: d.model ?? null,
      approved: d.approveNew ? 1 : 0,
      ip: d.ip ?? null,
      prefix: d.pathPrefix ?? null,
      versions,
      battery: d.battery ?? null,
      batteryRaw: d.batteryRaw ?? null,
      rssi: d.rssi ?? null,
      timezone: d.timezone ?? null,
      wifiSsid: d.wifiSsid ?? null,
    };
    const key = seenKey(d.vendor, d.deviceKey);
    const sig = JSON.stringify(p);
    if (!this.throttle.mustWrite(key, sig, now)) {
      const row = this.seenRowStmt.get(d.vendor, d.deviceKey);
      if (row) return row;
    }
    const row = this.upsertStmt.get({ ...p, now } as never)!;
    this.throttle.written(key, sig, now);
    return row;
  }

  /** last_seen including calls within the last second that were not written (see seen()). */
  private live(r: DeviceRow): DeviceRow {
    const t = this.throttle.lastSeen(seenKey(r.vendor, r.device_key), r.last_seen);
    return t === r.last_seen ? r : { ...r, last_seen: t };
  }

  byKey(vendor: Vendor, key: string): DeviceRow | null {
    const r = this.byKeyStmt.get(vendor, key);
    return r && this.live(r);
  }
  byMac(vendor: Vendor, mac: string): DeviceRow | null {
    const r = this.byMacStmt.get(vendor, mac);
    return r && this.live(r);
  }
  byId(id: number): DeviceRow | null {
    const r = this.byIdStmt.get(id);
    return r && this.live(r);
  }
  /** Call inside a write job. How a Lefu scale sends impedance (staff set it; the dataset tool too). */
  setImpedanceMode(id: number, mode: "encrypted" | "ohms"): void {
    this.modeStmt.run(mode, id);
  }
  list(vendor: Vendor | null = null): DeviceRow[] {
    return this.listStmt.all(vendor).map((r) => this.live(r));
  }
}
