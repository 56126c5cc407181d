/**
 * Role A: the Lefu Wi-Fi scale server (device-protocols §2), as an Elysia
 * plugin. It answers in onRequest, on the normalised path, before Elysia's body
 * parser sees the request (§1.3). Everything is answered with success except a
 * body over 1 MiB (413), `lefu.enabled=false` (404) and a storage failure (500).
 */
import { Elysia } from "elysia";
import type { Deps } from "../../deps.ts";
import { remoteAddress } from "../../http/remote.ts";
import { mergeQuery, parseLenient, readBody } from "../common/body.ts";
import { int, isObj, field, type Obj } from "../common/coerce.ts";
import { devicePath } from "../common/request.ts";
import { observe } from "../../http/observe.ts";
import { commitDeviceRequest, toResponse, type DeviceReply, type Handled, type PersistResult } from "../common/pipeline.ts";
import { mayNeedRedaction, redactText, redactValue } from "../common/redact.ts";
import type { DeviceSeenRow as DeviceRow } from "../../store/devices-repo.ts"; // the columns seen() returns
import { lefuReport } from "./report.ts";
import { FAILURE, configAnswer, deviceInfo, eightElectrode, idemKey, idemKeyOfContent, keyFromSn, matchLefu, normaliseItem, recordAnswer, registerAnswer, torreItems, unknownPathItems, updateAnswer, type ItemShape, type LefuRoute } from "./wire.ts";

export const LEFU_BODY_LIMIT = 1024 * 1024;
/** The device row for weighings that named no scale at all (spec §0.3). */
export const UNKNOWN_SCALE_KEY = "UNKNOWN";
const JSON_TYPE = "application/json; charset=utf-8";

function reply(status: number, body: unknown): DeviceReply {
  return { status, body: JSON.stringify(body), contentType: JSON_TYPE, headers: { connection: "close" } };
}

export { NOTE_ENCRYPTED, NOTE_NO_IMPEDANCE } from "./report.ts";

export function lefuPlugin(deps: Deps) {
  const store = deps.repos;
  const { devices, measurements } = store;

  function source(route: LefuRoute): string {
    return route.endpoint === "unknown" ? "lefu-unknown-path" : route.family === "torre" ? "lefu-torre" : "lefu-v2";
  }

  async function handle(request: Request, route: LefuRoute, remote: string | null): Promise<Response> {
    const now = deps.now();
    const storageFailure = reply(500, FAILURE.storage);
    if (!deps.settings.get("lefu.enabled")) return toResponse(reply(404, FAILURE.disabled));

    const read = await readBody(request, LEFU_BODY_LIMIT);
    const base = { router: "lefu", routeKey: route.key, prefix: route.prefix, storageFailure, unknownPath: route.endpoint === "unknown" };
    if (read.tooLarge) {
      return commitDeviceRequest(deps, request, remote, {
        ...base,
        parseStatus: null,
        captureBody: null,
        bodyBytes: read.bytes,
        reply: reply(413, FAILURE.tooLarge),
      });
    }
    const parsed = parseLenient(read.text);
    const query = new URL(request.url, "http://device.invalid").searchParams;
    const value = mergeQuery(parsed.value, query);
    // A body that is not an object (an array, a number) still has the query's fields.
    const body: Obj = isObj(value) ? value : Object.fromEntries(query);
    // Most uploads carry nothing to redact: then the capture keeps the bytes verbatim.
    const clean = !mayNeedRedaction(read.text);
    const captureBody = clean
      ? read.text
      : parsed.status === "ok" || parsed.status === "empty"
        ? JSON.stringify(redactValue(parsed.value))
        : redactText(read.text);
    const scrub = clean ? (x: unknown) => x : redactValue;

    const unit = deps.settings.get("lefu.displayUnit");
    let answer: DeviceReply;
    switch (route.endpoint) {
      case "register":
        answer = reply(200, registerAnswer(now, unit));
        break;
      case "config":
        answer = reply(200, configAnswer(now, unit));
        break;
      case "update":
        answer = reply(200, updateAnswer());
        break;
      default:
        answer = reply(200, recordAnswer(now));
    }
    const info = deviceInfo(body);
    const unparseable = parsed.status === "unparseable";
    const handled: Handled = {
      ...base,
      parseStatus: parsed.status,
      captureBody,
      bodyBytes: read.bytes,
      quarantine: unparseable && (route.endpoint === "record" || route.endpoint === "unknown"),
      reply: answer,
    };
    let device: DeviceRow | null = null;
    handled.device = () => {
      device = resolveDevice(route, info, remote, now);
      return device?.id ?? null;
    };
    handled.persist = (_db, captureId) => persistRows(captureId, device, route, body, value, now, unparseable, scrub, remote);
    // The register/config answer carries the unit; a per-device override needs the device row first.
    if ((route.endpoint === "register" || route.endpoint === "config") && info.sn) {
      const known = devices.byKey("lefu", keyFromSn(info.sn)!);
      if (known?.unit_override != null) {
        handled.reply = reply(200, route.endpoint === "register" ? registerAnswer(now, known.unit_override) : configAnswer(now, known.unit_override));
      }
    }
    return commitDeviceRequest(deps, request, remote, handled);
  }

  /**
   * The device of an item that carries no identity of its own on a request without one: one "unknown Lefu
   * scale" row, never approved, so such weighings are kept as claims (spec §0.3) instead of quarantined.
   */
  function unknownScale(now: number): DeviceRow {
    return devices.seen({ vendor: "lefu", deviceKey: UNKNOWN_SCALE_KEY, model: "unknown Lefu scale", approveNew: false }, now);
  }

  function resolveDevice(route: LefuRoute, info: ReturnType<typeof deviceInfo>, remote: string | null, now: number): DeviceRow | null {
    let key = keyFromSn(info.sn);
    if (!key && info.mac) key = devices.byMac("lefu", info.mac)?.device_key ?? `MAC:${info.mac}`;
    if (!key) return null;
    // A register call for an approved scale from another MAC or address does not rewrite the scale's row
    // (security issue, point 5): it is kept as a diagnostic that the Devices page shows.
    if (route.endpoint === "register") {
      const known = devices.byKey("lefu", key);
      const otherMac = info.mac !== undefined && known?.mac != null && info.mac !== known.mac;
      const otherIp = remote !== null && known?.last_ip != null && remote !== known.last_ip;
      if (known && known.approved && (otherMac || otherIp)) {
        measurements.diagnostic("register_mismatch", known.id, null, { sn: info.sn ?? null, mac: info.mac ?? null, storedMac: known.mac, ip: remote, storedIp: known.last_ip }, now);
        deps.log.warn("lefu: register from another MAC or address kept as a diagnostic", { key, mac: info.mac, storedMac: known.mac, ip: remote, storedIp: known.last_ip });
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
        approveNew: deps.pairing.isOpen(now) || deps.settings.get("lefu.autoApproveDevices"),
      },
      now,
    );
  }

  function persistRows(
    captureId: number,
    device: DeviceRow | null,
    route: LefuRoute,
    body: Obj,
    value: unknown,
    now: number,
    unparseable: boolean,
    scrub: (x: unknown) => unknown,
    remote: string | null,
  ): PersistResult {
    const src = source(route);
    if (unparseable) {
      if (route.endpoint === "record" || route.endpoint === "unknown") measurements.quarantine(captureId, src, "unparseable", null, now);
      return { quarantine: route.endpoint === "record" || route.endpoint === "unknown" };
    }
    let items: Array<{ item: unknown; shape: ItemShape }> = [];
    if (route.endpoint === "record") {
      items = route.family === "torre" ? torreItems(body).map((item) => ({ item, shape: "torre" as const })) : [{ item: body, shape: "v2" as const }];
    } else if (route.endpoint === "unknown") {
      items = unknownPathItems(value);
    }
    if (items.length === 0) {
      if (route.endpoint === "record") {
        measurements.quarantine(captureId, src, "no_items", body, now);
        return { quarantine: true };
      }
      return {};
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
      const itemDevice = (own && ownKey && ownKey !== device?.device_key ? resolveDevice(route, own, remote, now) : null) ?? device ?? unknownScale(now);
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
        memberId === null ? null : deps.repos.members.profile(memberId),
        itemDevice.impedance_mode,
      );
      const id = measurements.insert({
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
      });
      if (id === null) {
        duplicate = true;
        devices.countDuplicate(itemDevice.id);
        const first = measurements.byIdem(key);
        if (first && Math.abs(first.weight_kg - n.weightKg) > 0.05) {
          measurements.diagnostic("conflicting_duplicate", itemDevice.id, captureId || null, { idemKey: key, firstWeightKg: first.weight_kg, replayWeightKg: n.weightKg }, now);
        }
      }
    }
    return { duplicate, quarantine: quarantined };
  }

  return new Elysia({ name: "device-lefu" }).onRequest(async ({ request, server, set }) => {
    const dp = devicePath(request);
    const route = matchLefu(dp);
    if (!route) return;
    const res = await handle(request, route, remoteAddress(server, request));
    set.status = res.status;
    observe(deps, request, `lefu.${route.family ?? "any"}.${route.endpoint}`, res.status);
    return res;
  });
}
