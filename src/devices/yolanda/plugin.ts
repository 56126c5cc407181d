/**
 * Role B: the Yolanda WSP Mini client server (device-protocols §3.1–§3.6) and
 * the on-site Yolanda relays (§3.7), as one Elysia plugin answering in
 * onRequest, on the normalised path, before Elysia's body parser sees the
 * request (§1.3).
 *
 * Every request is captured; data rows are written in the capture's
 * group-committed transaction, and the answer is sent only after it is durable
 * (§1.7). Measurements are idempotent on `yolanda:<MAC>:<ts>:<slot>`: a replay
 * stores nothing and gets the same answer.
 */
import { Elysia } from "elysia";
import type { Deps } from "../../deps.ts";
import { remoteAddress } from "../../http/remote.ts";
import type { DeviceSeenRow as DeviceRow } from "../../store/devices-repo.ts"; // the columns seen() returns
import { type ScaleUser } from "../../store/yolanda-repo.ts";
import { mergeQuery, parseLenient, readBody, type Parsed, type ReadBody } from "../common/body.ts";
import { field, isObj, mac as macOf, type Obj } from "../common/coerce.ts";
import { commitDeviceRequest, toResponse, type DeviceReply, type Handled, type PersistResult } from "../common/pipeline.ts";
import { mayNeedRedaction, redactText, redactValue } from "../common/redact.ts";
import { devicePath } from "../common/request.ts";
import { observe } from "../../http/observe.ts";
import { safeEqual, sourceAllowed, verifyMini, type MiniAuthSettings } from "./access.ts";
import { deriveMissing, type Deriver } from "./derive.ts";
import { JSON_TYPE, TEXT_TYPE, idemKey, matchMini, matchRelay, normaliseItem, slotGroup, validSlot, type Indicators, type MiniRoute, type RelayGeneration, type RelayRoute, type YolandaItem } from "./wire.ts";

export const YOLANDA_BODY_LIMIT = 1024 * 1024;

export const SOURCE = { mini: "yolanda-mini", docker: "yolanda-docker", lite: "yolanda-lite", full: "yolanda-full" } as const;
const FAMILY = { mini: "wsp-mini", docker: "wsp-docker", lite: "wsp-lite", full: "wsp-full" } as const;
type Channel = keyof typeof SOURCE;

/** Staff-facing notes stored with a measurement that has no report (yet). */
export const NOTE_LITE = "no report yet: WSP-Lite sends weight only; the relay computes the report once staff assign the member";
export const NOTE_UNKNOWN = "no report: the relay matched no stored user";
export const NOTE_MULTI = "several candidates: each candidate record keeps its own report; the claimed member's is used";

function text(status: number, body: string, headers?: Record<string, string>): DeviceReply {
  return { status, body, contentType: TEXT_TYPE, headers };
}
function json(status: number, body: unknown): DeviceReply {
  return { status, body: JSON.stringify(body), contentType: JSON_TYPE };
}
const relayError = (status: number, error: string) => json(status, { is_success: false, error });
const IS_SUCCESS = { is_success: true };

export interface YolandaOptions {
  /** Fills report fields a relay left out (the core's bodyfat-only family); the default uses src/core when present. */
  derive?: Deriver;
}

export function yolandaPlugin(deps: Deps, opts: YolandaOptions = {}) {
  const { devices, measurements } = deps.repos;
  const slots = deps.repos.yolanda;
  const derive = opts.derive ?? deriveMissing;

  function miniSettings(): MiniAuthSettings {
    const s = deps.settings;
    return {
      secret: s.get("yolanda.mini.jwtSecret") || null,
      previous: s.get("yolanda.mini.jwtSecretPrevious") || null,
      clockToleranceSeconds: s.get("yolanda.mini.clockToleranceSeconds"),
      maxTokenAgeSeconds: s.get("yolanda.mini.maxTokenAgeSeconds"),
      expectedAppid: s.get("yolanda.mini.expectedAppid") || null,
      expectedIssuer: s.get("yolanda.mini.expectedIssuer") || null,
    };
  }

  /** The capture text of a body: verbatim when nothing needs redaction. */
  function captureText(read: ReadBody, parsed: Parsed | null): string | null {
    if (read.text === "") return null;
    if (!mayNeedRedaction(read.text)) return read.text;
    return parsed && (parsed.status === "ok" || parsed.status === "empty") ? JSON.stringify(redactValue(parsed.value)) : redactText(read.text);
  }

  function seen(mac: string, channel: Channel, remote: string | null, prefix: string, now: number): DeviceRow {
    return devices.seen({ vendor: "yolanda", deviceKey: mac, family: FAMILY[channel], mac, ip: remote, pathPrefix: prefix, approveNew: true }, now);
  }

  // ---- storing one measurement ---------------------------------------------------------

  interface Attribution {
    memberId: number | null;
    claimReason: string | null;
    suggested: number | null;
    slotMember: number | null;
  }

  /** §3.4 / §3.7.1 attribution: the slot holder at the measurement time (else now), if the relay is sure and the member active. */
  function attribute(mac: string, item: YolandaItem, definite: boolean): Attribution {
    if (!validSlot(item.userIndex)) return { memberId: null, claimReason: "user_index_out_of_range", suggested: null, slotMember: null };
    const slot = slots.slotFor(mac, item.userIndex, item.measuredAt);
    if (!slot) return { memberId: null, claimReason: "empty_slot", suggested: null, slotMember: null };
    const active = slots.memberStatus(slot.member_id) === "active";
    if (definite && active) return { memberId: slot.member_id, claimReason: null, suggested: null, slotMember: slot.member_id };
    return { memberId: null, claimReason: definite ? "member_inactive" : "uncertain", suggested: slot.member_id, slotMember: slot.member_id };
  }

  /** The slot's member, if any; members whose weight is nearest are added when staff open the claim queue (ClaimsRepo.list). */
  function candidatesFor(_weightKg: number, first: Array<number | null>): number[] {
    const out: number[] = [];
    for (const id of first) if (id !== null && !out.includes(id)) out.push(id);
    return out;
  }

  /** Inserts a measurement; on a replay counts the duplicate and notes a conflicting one. Returns true for a replay. */
  function store(
    device: DeviceRow,
    captureId: number,
    source: string,
    key: string,
    item: YolandaItem,
    a: Attribution,
    fields: { indicators: Indicators | null; note: string | null; groupKey: string | null; candidates: number[]; eight: boolean; userIndex: number | null; definite: boolean | null; hmac: string | null; raw: unknown },
    now: number,
  ): boolean {
    const id = measurements.insert({
      idemKey: key,
      source,
      deviceId: device.id,
      memberId: a.memberId,
      status: a.memberId === null ? "unassigned" : "assigned",
      claimReason: a.claimReason,
      suggestedMemberId: a.suggested,
      groupKey: fields.groupKey,
      candidates: a.memberId === null ? fields.candidates : null,
      measuredAt: item.measuredAt,
      deviceTsRaw: item.deviceTsRaw,
      clockSuspect: item.clockSuspect,
      receivedAt: now,
      weightKg: item.weightKg,
      heartRate: item.heartRate,
      impedance: null,
      scaleType: null,
      eightElectrode: fields.eight,
      backlogTotal: null,
      backlogCurrent: null,
      rssi: null,
      dataType: null,
      lefuMemberid: null,
      lefuUserid: null,
      captureId: captureId || null,
      rawItem: redactValue(fields.raw),
      indicators: fields.indicators,
      indicatorsNote: fields.note,
      // The relay computed the report for the slot's profile (§3.4 indicator caveat).
      indicatorsProfileMemberId: fields.indicators ? a.slotMember : null,
      hmac: fields.hmac,
      resistance: item.resistance,
      secResistance: item.secResistance,
      modelId: item.modelId,
      userIndex: fields.userIndex,
      definiteFlag: fields.definite,
      resistanceFlag: item.resistanceFlag,
    });
    if (id !== null) return false;
    devices.countDuplicate(device.id);
    const first = measurements.byIdem(key);
    if (first && (Math.abs(first.weight_kg - item.weightKg) > 0.05 || (first.hmac ?? null) !== fields.hmac)) {
      measurements.diagnostic(
        "conflicting_duplicate",
        device.id,
        captureId || null,
        { idemKey: key, firstWeightKg: first.weight_kg, replayWeightKg: item.weightKg, hmacDiffers: (first.hmac ?? null) !== fields.hmac },
        now,
      );
    }
    return true;
  }

  /** An item that carries the relay's report, attributed to a slot (WSP Mini, Docker create_measurement, Full single record). */
  function storeReported(device: DeviceRow, captureId: number, channel: Channel, mac: string, item: YolandaItem, definite: boolean, now: number): boolean {
    const a = attribute(mac, item, definite);
    const indicators = item.indicators ? derive(item.indicators, a.slotMember, item, deps.repos.members) : null;
    return store(
      device,
      captureId,
      SOURCE[channel],
      idemKey(mac, item.tsSeconds, item.userIndex ?? 0),
      item,
      a,
      {
        indicators,
        note: null,
        groupKey: validSlot(item.userIndex) ? slotGroup(mac, item.userIndex) : null,
        candidates: a.memberId === null ? candidatesFor(item.weightKg, [a.suggested]) : [],
        eight: item.segmental,
        userIndex: item.userIndex,
        definite: channel === "mini" ? item.definite : true,
        hmac: item.hmac,
        raw: item.raw,
      },
      now,
    );
  }

  /** A weighing nobody was matched to (Docker create_unknown_measurement, WSP-Lite): claim queue, key …:0. */
  function storeUnidentified(device: DeviceRow, captureId: number, channel: Channel, mac: string, item: YolandaItem, eight: boolean, now: number): boolean {
    return store(
      device,
      captureId,
      SOURCE[channel],
      idemKey(mac, item.tsSeconds, 0),
      item,
      { memberId: null, claimReason: "unidentified", suggested: null, slotMember: null },
      {
        indicators: null,
        note: channel === "lite" ? NOTE_LITE : NOTE_UNKNOWN,
        groupKey: null,
        candidates: candidatesFor(item.weightKg, []),
        eight,
        userIndex: null,
        definite: null,
        hmac: item.hmac,
        raw: item.raw,
      },
      now,
    );
  }

  /** Stores items; bad ones are quarantined. */
  function storeItems(
    device: DeviceRow,
    captureId: number,
    channel: Channel,
    rawItems: unknown[],
    now: number,
    one: (item: YolandaItem) => boolean,
    withReport: boolean,
  ): PersistResult {
    let duplicate = false;
    let quarantine = false;
    for (const raw of rawItems) {
      const n = normaliseItem(raw, now, withReport);
      if (!n.ok) {
        measurements.quarantine(captureId || null, SOURCE[channel], n.reason, redactValue(n.raw), now);
        quarantine = true;
        continue;
      }
      if (n.modelId) slots.setModelId(device.id, n.modelId);
      if (one(n)) duplicate = true;
    }
    return { duplicate, quarantine };
  }

  // ---- WSP Mini (§3.2–§3.4) --------------------------------------------------------------

  async function handleMini(request: Request, route: MiniRoute, remote: string | null): Promise<Response> {
    const now = deps.now();
    const base = { router: "wsp-mini", routeKey: route.endpoint, prefix: route.prefix, storageFailure: text(500, "fail") };
    const read = await readBody(request, YOLANDA_BODY_LIMIT);
    if (read.tooLarge) {
      return commitDeviceRequest(deps, request, remote, { ...base, parseStatus: null, captureBody: null, bodyBytes: read.bytes, reply: text(413, "fail") });
    }
    const parsed = parseLenient(read.text);
    const common = { ...base, parseStatus: parsed.status, captureBody: captureText(read, parsed), bodyBytes: read.bytes };

    const settings = miniSettings();
    if (!settings.secret) return commitDeviceRequest(deps, request, remote, { ...common, authResult: "not_configured", reply: text(503, "not configured") });
    const auth = await verifyMini(request.headers.get("authorization"), settings, now);
    if (!auth.ok) {
      // Nothing but the capture is stored for a caller that failed authentication.
      return commitDeviceRequest(deps, request, remote, {
        ...common,
        authFailure: true,
        authResult: auth.reason,
        reply: text(401, "unauthorized", { "www-authenticate": "Bearer" }),
      });
    }
    const ctx = { ...common, authResult: auth.via === "previous" ? "ok_previous_secret" : "ok" };

    if (route.endpoint === "users") {
      const query = devicePath(request).query;
      const value = mergeQuery(parsed.value, query);
      const body: Obj = isObj(value) ? value : Object.fromEntries(query);
      const mac = macOf(field(body, "mac"));
      if (!mac) return commitDeviceRequest(deps, request, remote, { ...ctx, reply: json(400, { error: "invalid_mac" }) });
      const users = slots.users(mac).map((u: ScaleUser) => ({ user_index: u.user_index, gender: u.gender, height: u.height, birthday: u.birthday, weight: u.weight }));
      return commitDeviceRequest(deps, request, remote, {
        ...ctx,
        reply: json(200, { users }),
        device: () => seen(mac, "mini", remote, route.prefix, now).id,
      });
    }

    // POST …/wsp-mini/measurements
    const fail = (reason: string) =>
      commitDeviceRequest(deps, request, remote, {
        ...ctx,
        quarantine: true,
        reply: text(400, "fail"),
        persist: (_db, captureId) => {
          measurements.quarantine(captureId || null, SOURCE.mini, reason, null, now);
          return { quarantine: true };
        },
      });
    if (parsed.status === "unparseable") return fail("unparseable");
    if (!isObj(parsed.value)) return fail("not_an_object");
    const body = parsed.value;
    const mac = macOf(field(body, "mac"));
    if (!mac) return fail("invalid_mac");
    const items = field(body, "measurements");
    if (!Array.isArray(items)) return fail("no_measurements");
    let device: DeviceRow | null = null;
    return commitDeviceRequest(deps, request, remote, {
      ...ctx,
      reply: text(200, "success"),
      device: () => (device = seen(mac, "mini", remote, route.prefix, now)).id,
      persist: (_db, captureId) => storeItems(device!, captureId, "mini", items, now, (n) => storeReported(device!, captureId, "mini", mac, n, n.definite, now), true),
    });
  }

  // ---- on-site relays (§3.7) ----------------------------------------------------------------

  function relayFail(generation: RelayGeneration | null, status: number, error: string): DeviceReply {
    return generation === "lite" ? text(status, "fail") : relayError(status, error);
  }

  async function handleRelay(request: Request, route: RelayRoute, remote: string | null): Promise<Response> {
    const now = deps.now();
    const g = route.generation;
    if (!deps.settings.get("yolanda.relay.enabled")) return toResponse(relayFail(g, 404, "not_enabled"));
    const base = { router: "wsp-relay", routeKey: route.key, prefix: route.prefix, storageFailure: relayFail(g, 500, "storage") };
    const read = await readBody(request, YOLANDA_BODY_LIMIT);
    if (read.tooLarge) {
      return commitDeviceRequest(deps, request, remote, { ...base, parseStatus: null, captureBody: null, bodyBytes: read.bytes, reply: relayFail(g, 413, "payload_too_large") });
    }
    const parsed = parseLenient(read.text);
    const common = { ...base, parseStatus: parsed.status, captureBody: captureText(read, parsed), bodyBytes: read.bytes };

    if (!sourceAllowed(remote, deps.settings.get("yolanda.relay.allowedSources"))) {
      return commitDeviceRequest(deps, request, remote, { ...common, authFailure: true, authResult: "source_not_allowed", reply: relayFail(g, 403, "forbidden") });
    }
    if (route.endpoint === "unknown") {
      return commitDeviceRequest(deps, request, remote, { ...common, unknownPath: true, reply: relayError(404, "unsupported") });
    }
    let authResult: string | null = null;
    if (g === "docker") {
      const expected = deps.settings.get("yolanda.relay.authorization");
      if (expected) {
        const got = request.headers.get("authorization");
        if (got === null || !safeEqual(got, expected)) {
          return commitDeviceRequest(deps, request, remote, {
            ...common,
            authFailure: true,
            authResult: got === null ? "authorization_missing" : "authorization_mismatch",
            reply: relayError(401, "unauthorized"),
          });
        }
        authResult = "authorization_ok";
      }
    }
    const ctx: Omit<Handled, "reply"> = { ...common, authResult };
    const channel: Channel = g ?? "docker";

    // /aios and /bps: other device types, outside bodydock's scope; kept so the relay stops retrying.
    if (route.endpoint === "aios_measurements" || route.endpoint === "bps_measurements") {
      return commitDeviceRequest(deps, request, remote, {
        ...ctx,
        quarantine: true,
        reply: text(200, "success"),
        persist: (_db, captureId) => {
          measurements.quarantine(captureId || null, SOURCE.lite, "unsupported_device", parsed.status === "unparseable" ? null : redactValue(parsed.value), now);
          return { quarantine: true };
        },
      });
    }

    const bad = (reason: string, error: string, quarantine: boolean) =>
      commitDeviceRequest(deps, request, remote, {
        ...ctx,
        quarantine,
        reply: relayFail(g, 400, error),
        persist: quarantine
          ? (_db, captureId) => {
              measurements.quarantine(captureId || null, SOURCE[channel], reason, null, now);
              return { quarantine: true };
            }
          : undefined,
      });
    const dataEndpoint = /measurement/.test(route.endpoint);
    if (parsed.status === "unparseable") return bad("unparseable", "invalid_json", dataEndpoint);
    const body: Obj = isObj(parsed.value) ? parsed.value : {};
    const records = field(body, "records");
    const firstRecord = Array.isArray(records) && isObj(records[0]) ? records[0] : {};
    const mac = macOf(field(body, "mac")) ?? macOf(field(firstRecord, "mac"));

    if (route.endpoint === "read_ota_versions") {
      // Always empty: bodydock never offers firmware. The MAC is optional here.
      return commitDeviceRequest(deps, request, remote, {
        ...ctx,
        reply: json(200, { ota_versions: [] }),
        device: mac ? () => seen(mac, channel, remote, route.prefix, now).id : undefined,
      });
    }
    if (!mac) return bad("invalid_mac", "invalid_mac", dataEndpoint);
    let device: DeviceRow | null = null;
    const withDevice = (reply: DeviceReply, persist?: Handled["persist"], extra: Partial<Handled> = {}) =>
      commitDeviceRequest(deps, request, remote, {
        ...ctx,
        ...extra,
        reply,
        device: () => (device = seen(mac, channel, remote, route.prefix, now)).id,
        persist,
      });
    const users = () => slots.users(mac);
    const unit = () => deps.settings.get("yolanda.relay.unit");

    switch (route.endpoint) {
      case "read_secret_key": {
        const key = slots.scaleKey(mac) ?? deps.settings.get("yolanda.relay.defaultScaleKey") ?? "";
        // The key goes to the relay, never into the capture.
        return withDevice(json(200, { secret_key: key }), undefined, { captureResponse: JSON.stringify({ secret_key: key ? "[redacted]" : "" }) });
      }
      case "read_model_id":
        return withDevice(json(200, { model_id: slots.lastModelId(mac) ?? "" }));
      case "read_scale_users": {
        const algorithm = deps.settings.get("yolanda.relay.algorithm");
        const scaleUsers = users().map((u) => ({
          user_index: u.user_index,
          gender: u.gender,
          height: u.height,
          birthday: u.birthday,
          user_key: u.user_key,
          algorithm,
          sport_flag: u.sport_flag,
        }));
        return withDevice(json(200, { scale_users: scaleUsers, unit: unit() }));
      }
      case "read_weight_scale_users": {
        const scaleUsers = users().map((u) => ({
          user_index: u.user_index,
          gender: u.gender,
          height: u.height,
          weight: u.weight,
          weight_goal: u.goal_weight,
          birthday: u.birthday,
          user_key: u.user_key,
        }));
        return withDevice(json(200, { scale_users: scaleUsers, unit: unit() }));
      }
      case "list_users": {
        const list = users().map((u) => ({ user_index: u.user_index, gender: u.gender, height: u.height, birthday: u.birthday, weight: u.weight, goal_weight: u.goal_weight }));
        return withDevice(json(200, { users: list }));
      }
      case "finish_info_sync":
        return withDevice(json(200, IS_SUCCESS), () => {
          slots.purgeRemoved(mac, now);
          return {};
        });
      case "create_measurement":
        return withDevice(json(200, IS_SUCCESS), (_db, captureId) =>
          storeItems(device!, captureId, "docker", [body], now, (n) => storeReported(device!, captureId, "docker", mac, n, true, now), true),
        );
      case "create_unknown_measurement":
        return withDevice(json(200, IS_SUCCESS), (_db, captureId) =>
          storeItems(device!, captureId, "docker", [body], now, (n) => storeUnidentified(device!, captureId, "docker", mac, n, false, now), false),
        );
      case "measurements":
      case "eight_measurements": {
        const eight = route.endpoint === "eight_measurements";
        return withDevice(text(200, "success"), (_db, captureId) =>
          storeItems(device!, captureId, "lite", [body], now, (n) => storeUnidentified(device!, captureId, "lite", mac, n, eight, now), false),
        );
      }
      case "create_measurements":
      case "create_eight_measurements": {
        if (!Array.isArray(records)) return bad("no_records", "invalid_body", true);
        const eight = route.endpoint === "create_eight_measurements";
        return withDevice(json(200, IS_SUCCESS), (_db, captureId) => storeFull(device!, captureId, mac, records, eight, now));
      }
    }
    return bad("unsupported", "unsupported", false);
  }

  /**
   * WSP-Full (§3.7.3): one record means the relay identified the user; several
   * mean it could not decide, and each candidate has a record with its own report.
   * Several are stored as ONE claim-queue row keyed `…:multi`, holding every
   * record; claiming it for member X keeps X's record.
   */
  function storeFull(device: DeviceRow, captureId: number, mac: string, records: unknown[], eight: boolean, now: number): PersistResult {
    if (records.length <= 1) {
      const r = storeItems(device, captureId, "full", records, now, (n) => storeReported(device, captureId, "full", mac, { ...n, segmental: n.segmental || eight }, true, now), true);
      if (records.length === 0) {
        measurements.quarantine(captureId || null, SOURCE.full, "no_records", null, now);
        return { quarantine: true };
      }
      return r;
    }
    const good: YolandaItem[] = [];
    let quarantine = false;
    for (const raw of records) {
      const n = normaliseItem(raw, now, true);
      if (n.ok) good.push(n);
      else {
        measurements.quarantine(captureId || null, SOURCE.full, n.reason, redactValue(n.raw), now);
        quarantine = true;
      }
    }
    const first = good[0];
    if (!first) return { quarantine };
    if (first.modelId) slots.setModelId(device.id, first.modelId);
    const key = idemKey(mac, first.tsSeconds, "multi");
    const candidates = good.map((n) => ({ n, slot: validSlot(n.userIndex) ? slots.slotFor(mac, n.userIndex, n.measuredAt) : null }));
    const members = candidates.map((c) => c.slot?.member_id ?? null);
    const duplicate = store(
      device,
      captureId,
      SOURCE.full,
      key,
      first,
      { memberId: null, claimReason: "ambiguous", suggested: null, slotMember: null },
      {
        indicators: null,
        note: NOTE_MULTI,
        groupKey: key,
        // The candidates are the records' members: each has its own report, nobody else has one.
        candidates: members.filter((m, i): m is number => m !== null && members.indexOf(m) === i),
        eight: eight || good.some((n) => n.segmental),
        userIndex: null,
        definite: false,
        hmac: null,
        raw: {
          records: candidates.map((c) => ({
            user_index: c.n.userIndex,
            member_id: c.slot?.member_id ?? null,
            hmac: c.n.hmac,
            indicators: c.n.indicators ? derive(c.n.indicators, c.slot?.member_id ?? null, c.n, deps.repos.members) : null,
            raw: c.n.raw,
          })),
        },
      },
      now,
    );
    return { duplicate, quarantine };
  }

  return new Elysia({ name: "device-yolanda" }).onRequest(async ({ request, server, set }) => {
    const dp = devicePath(request);
    const mini = matchMini(dp);
    const relay = mini ? null : matchRelay(dp);
    if (!mini && !relay) return;
    const remote = remoteAddress(server, request);
    const res = mini ? await handleMini(request, mini, remote) : await handleRelay(request, relay!, remote);
    set.status = res.status;
    observe(deps, request, mini ? `yolanda.mini.${mini.endpoint}` : `yolanda.relay.${relay!.generation ?? "any"}.${relay!.endpoint}`, res.status);
    return res;
  });
}
