/** The `devices` table: one row per physical device, kept current by every device call. */
import type { Database, Statement } from "bun:sqlite";

export type Vendor = "lefu" | "yolanda" | "youjiu";

export interface DeviceSeen {
  vendor: Vendor;
  deviceKey: string;
  /** Family from the route; undefined keeps the stored value (unknown paths). */
  family?: string;
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

export class DevicesRepo {
  private readonly upsertStmt: Statement<DeviceRow>;
  private readonly byKeyStmt: Statement<DeviceRow, [string, string]>;
  private readonly byMacStmt: Statement<DeviceRow, [string, string]>;
  private readonly byIdStmt: Statement<DeviceRow, [number]>;
  private readonly dupStmt: Statement<unknown, [number]>;
  private readonly listStmt: Statement<DeviceRow, [string | null]>;

  constructor(db: Database) {
    // COALESCE keeps what we knew when a request leaves a field out; versions are merged.
    this.upsertStmt = db.query(`
      INSERT INTO devices (vendor, device_key, family, sn, mac, model, approved, first_seen, last_seen, last_ip, path_prefix,
                           versions_json, battery, battery_raw, rssi, timezone, wifi_ssid)
      VALUES ($vendor, $key, COALESCE($family, 'unknown'), $sn, $mac, $model, $approved, $now, $now, $ip, $prefix,
              $versions, $battery, $batteryRaw, $rssi, $timezone, $wifiSsid)
      ON CONFLICT (vendor, device_key) DO UPDATE SET
        family = COALESCE($family, family),
        sn = COALESCE($sn, sn), mac = COALESCE($mac, mac), model = COALESCE($model, model),
        last_seen = $now, last_ip = COALESCE($ip, last_ip), path_prefix = COALESCE($prefix, path_prefix),
        versions_json = CASE WHEN $versions IS NULL THEN versions_json
                             ELSE json_patch(COALESCE(versions_json, '{}'), $versions) END,
        battery = COALESCE($battery, battery), battery_raw = COALESCE($batteryRaw, battery_raw),
        rssi = COALESCE($rssi, rssi), timezone = COALESCE($timezone, timezone), wifi_ssid = COALESCE($wifiSsid, wifi_ssid)
      RETURNING *`);
    this.byKeyStmt = db.query("SELECT * FROM devices WHERE vendor = ? AND device_key = ?");
    this.byMacStmt = db.query("SELECT * FROM devices WHERE vendor = ? AND mac = ? ORDER BY last_seen DESC LIMIT 1");
    this.byIdStmt = db.query("SELECT * FROM devices WHERE id = ?");
    this.dupStmt = db.query("UPDATE devices SET dup_count = dup_count + 1 WHERE id = ?");
    this.listStmt = db.query("SELECT * FROM devices WHERE ?1 IS NULL OR vendor = ?1 ORDER BY vendor, last_seen DESC");
  }

  /** Call inside a write job. */
  seen(d: DeviceSeen, now: number): DeviceRow {
    const versions = d.versions && Object.keys(d.versions).length ? JSON.stringify(d.versions) : null;
    return this.upsertStmt.get({
      vendor: d.vendor,
      key: d.deviceKey,
      family: d.family ?? null,
      sn: d.sn ?? null,
      mac: d.mac ?? null,
      model: d.model ?? null,
      approved: d.approveNew ? 1 : 0,
      now,
      ip: d.ip ?? null,
      prefix: d.pathPrefix ?? null,
      versions,
      battery: d.battery ?? null,
      batteryRaw: d.batteryRaw ?? null,
      rssi: d.rssi ?? null,
      timezone: d.timezone ?? null,
      wifiSsid: d.wifiSsid ?? null,
    } as never)!;
  }

  byKey(vendor: Vendor, key: string): DeviceRow | null {
    return this.byKeyStmt.get(vendor, key);
  }
  byMac(vendor: Vendor, mac: string): DeviceRow | null {
    return this.byMacStmt.get(vendor, mac);
  }
  byId(id: number): DeviceRow | null {
    return this.byIdStmt.get(id);
  }
  countDuplicate(id: number): void {
    this.dupStmt.run(id);
  }
  list(vendor: Vendor | null = null): DeviceRow[] {
    return this.listStmt.all(vendor);
  }
}
