/**
 * Lefu items → rows (device-protocols §2.4, §2.6, §0.3): resolves the scale (one device upsert, the
 * register mismatch kept as a diagnostic), normalises each item, attributes it (memberid link, the
 * scale's default member, or the claim queue), computes its report and stores it through
 * MeasurementsRepo.ingest (idempotent). Runs inside the request's transaction.
 */
import type { Deps } from "../../deps.ts";
import type { DeviceSeenRow as DeviceRow } from "../../store/devices-repo.ts"; // the columns seen() returns
import { field, int, isObj, type Obj } from "../common/coerce.ts";
import type { PersistResult } from "../pipeline.ts";
import { lefuReport } from "./report.ts";
import { deviceInfo, eightElectrode, idemKey, idemKeyOfContent, keyFromSn, normaliseItem, torreItems, unknownPathItems, type ItemShape, type LefuDeviceInfo, type LefuRoute } from "./wire.ts";

/** The device row for weighings that named no scale at all (spec §0.3). */
export const UNKNOWN_SCALE_KEY = "UNKNOWN";

export function lefuSource(route: LefuRoute): string {
  return route.endpoint === "unknown" ? "lefu-unknown-path" : route.family === "torre" ? "lefu-torre" : "lefu-v2";
}

/** What one upload carries, as the role read it. */
export interface LefuUpload {
  route: LefuRoute;
  body: Obj;
  /** The parsed body merged with the query (an array for batches). */
  value: unknown;
  unparseable: boolean;
  remote: string | null;
  now: number;
  scrub: (x: unknown) => unknown;
}

export class LefuIngest {
  constructor(private readonly deps: Deps) {}

  /**
   * The scale of a request: by SN, else by MAC. A register call for an approved scale from another MAC
   * or address does not rewrite its row (security issue, point 5): it is kept as a diagnostic.
   */
  resolveDevice(route: LefuRoute, info: LefuDeviceInfo, remote: string | null, now: number): DeviceRow | null {
    const { devices, measurements } = this.deps.repos;
    let key = keyFromSn(info.sn);
    if (!key && info.mac) key = devices.byMac("lefu", info.mac)?.device_key ?? `MAC:${info.mac}`;
    if (!key) return null;
    if (route.endpoint === "register") {
      const known = devices.byKey("lefu", key);
      const otherMac = info.mac !== undefined && known?.mac != null && info.mac !== known.mac;
      const otherIp = remote !== null && known?.last_ip != null && remote !== known.last_ip;
      if (known && known.approved && (otherMac || otherIp)) {
        measurements.diagnostic("register_mismatch", known.id, null, { sn: info.sn ?? null, mac: info.mac ?? null, storedMac: known.mac, ip: remote, storedIp: known.last_ip }, now);
        this.deps.log.warn("lefu: register from another MAC or address kept as a diagnostic", { key, mac: info.mac, storedMac: known.mac, ip: remote, storedIp: known.last_ip });
        return known;
      }
    }
    return devices.seen(
      {
        vendor: "lefu",
        deviceKey: key,
        family: route.family,
        sn: info.sn,
        mac: info.mac,
        model: info.model,
        ip: remote,
        pathPrefix: route.prefix,
        versions: info.versions,
        battery: info.battery,
        batteryRaw: info.batteryRaw,
        rssi: info.rssi,
        timezone: info.timezone,
        wifiSsid: info.wifiSsid,
        // A new scale is approved only while staff have the pairing window open, or with autoApproveDevices
        // (spec §0.3); until then its weighings wait as claims.
        approveNew: this.deps.pairing.isOpen(now) || this.deps.settings.get("lefu.autoApproveDevices"),
      },
      now,
    );
  }

  /** One "unknown Lefu scale" row, never approved: weighings with no identity are kept as claims (spec §0.3). */
  private unknownScale(now: number): DeviceRow {
    return this.deps.repos.devices.seen({ vendor: "lefu", deviceKey: UNKNOWN_SCALE_KEY, model: "unknown Lefu scale", approveNew: false }, now);
  }

  /** The upload's rows; `device` is the request's scale (resolved first, in the same transaction). */
  rows(u: LefuUpload, device: DeviceRow | null, captureId: number): PersistResult {
    const { measurements } = this.deps.repos;
    const { route, body, now, scrub } = u;
    const src = lefuSource(route);
    const dataPath = route.endpoint === "record" || route.endpoint === "unknown";
    if (u.unparseable) {
      if (dataPath) measurements.quarantine(captureId, src, "unparseable", null, now);
      return { quarantine: dataPath };
    }
    let items: Array<{ item: unknown; shape: ItemShape }> = [];
    if (route.endpoint === "record") {
      items = route.family === "torre" ? torreItems(body).map((item) => ({ item, shape: "torre" as const })) : [{ item: body, shape: "v2" as const }];
    } else if (route.endpoint === "unknown") {
      items = unknownPathItems(u.value);
    }
    if (items.length === 0) {
      if (route.endpoint !== "record") return {};
      measurements.quarantine(captureId, src, "no_items", body, now);
      return { quarantine: true };
    }
    const scaleType = int(field(body, "scaleType")) ?? null;
    let duplicate = false;
    let quarantined = false;
    for (const { item, shape } of items) {
      const n = normaliseItem(item, shape, now);
      if (!n.ok) {
        measurements.quarantine(captureId, src, n.reason, scrub(n.raw), now);
        quarantined = true;
        continue;
      }
      // A batch item that names its own scale is stored under that scale (spec §0.3); an item with no
      // identity at all, on a request with none, under the unknown-scale row.
      const own = isObj(item) && route.endpoint === "unknown" ? deviceInfo(item) : null;
      const ownKey = own ? (keyFromSn(own.sn) ?? (own.mac ? `MAC:${own.mac}` : undefined)) : undefined;
      const itemDevice = (own && ownKey && ownKey !== device?.device_key ? this.resolveDevice(route, own, u.remote, now) : null) ?? device ?? this.unknownScale(now);
      const key = n.deviceTime ? idemKey(itemDevice.device_key, n.measuredAt, n.memberid) : idemKeyOfContent(itemDevice.device_key, n.raw);
      // Attribution (§2.4, §0.3).
      let memberId: number | null = null;
      let claimReason: string | null = null;
      let groupKey: string | null = null;
      let suggested: number | null = null;
      if (n.memberid) {
        const identity = measurements.lefuIdentitySeen(n.memberid, n.userid, itemDevice.id, now);
        groupKey = `lefu:${n.memberid}`;
        if (identity.member_id === null) claimReason = "unlinked_identity";
        else if (identity.device_key === itemDevice.device_key) memberId = identity.member_id;
        else {
          // The link was made on another scale: a claim, with that member suggested.
          claimReason = "identity_other_scale";
          suggested = identity.member_id;
        }
      } else if (itemDevice.default_member_id !== null) {
        memberId = itemDevice.default_member_id;
      } else claimReason = "no_default_member";
      if (itemDevice.device_key === UNKNOWN_SCALE_KEY) {
        memberId = null;
        claimReason = "no_device_identity";
      } else if (!itemDevice.approved || itemDevice.blocked) {
        memberId = null;
        claimReason = "unapproved_device";
      }
      // Members whose weight is nearest are suggested when staff open the claim queue (ClaimsRepo.list), not here;
      // a memberid linked on another scale suggests its member (spec §0.3).
      const candidates: number[] = suggested !== null ? [suggested] : [];
      // The report, with the member's profile (issue 5 §5); a pending row gets it when it is assigned.
      const report = lefuReport(
        { scaleType, weightKg: n.weightKg, heartRate: n.heartRate, impedance: n.impedance, measuredAt: n.measuredAt },
        memberId === null ? null : this.deps.repos.members.profile(memberId),
        itemDevice.impedance_mode,
        this.deps.settings.get("gym.timeZone"),
      );
      const id = measurements.ingest(
        {
          idemKey: key,
          source: src,
          deviceId: itemDevice.id,
          memberId,
          status: memberId === null ? "unassigned" : "assigned",
          claimReason,
          suggestedMemberId: candidates[0] ?? null,
          groupKey,
          candidates,
          measuredAt: n.measuredAt,
          deviceTsRaw: n.deviceTsRaw,
          clockSuspect: n.clockSuspect,
          receivedAt: now,
          weightKg: n.weightKg,
          heartRate: n.heartRate,
          impedance: n.impedance,
          scaleType,
          // Eight electrodes only when the item carries the ten impedances: a scaleType that says so with one
          // impedance is a 4-electrode reading (device-roles issue, point 5).
          eightElectrode: n.impedance ? n.impedance.length >= 10 : eightElectrode(scaleType),
          backlogTotal: n.backlogTotal,
          backlogCurrent: n.backlogCurrent,
          rssi: n.rssi,
          dataType: n.dataType,
          lefuMemberid: n.memberid,
          lefuUserid: n.userid,
          captureId: captureId || null,
          rawItem: scrub(n.raw),
          indicators: report.indicators,
          indicatorsNote: report.note,
          indicatorsProfileMemberId: report.profileMemberId,
        },
        now,
      );
      if (id === null) duplicate = true;
    }
    return { duplicate, quarantine: quarantined };
  }
}
