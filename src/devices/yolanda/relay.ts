/**
 * The on-site Yolanda relays (device-protocols §3.7): the Docker relay, WSP-Lite and WSP-Full
 * generations. Access (allowed sources, Docker's Authorization) is checked first; then each endpoint
 * reads a scale's slots and keys or stores its weighings (ingest.ts).
 */
import type { Deps } from "../../deps.ts";
import type { DeviceSeenRow as DeviceRow } from "../../store/devices-repo.ts";
import { safeEqual } from "../../http/secrets.ts";
import { redactValue } from "../common/redact.ts";
import { field, isObj, mac as macOf, type Obj } from "../common/coerce.ts";
import type { DeviceReply, Handled, Outcome } from "../pipeline.ts";
import type { DeviceRequest } from "../role.ts";
import { sourceAllowed } from "./access.ts";
import { SOURCE, type Channel, type YolandaIngest } from "./ingest.ts";
import { json, relayError, relayFail, seen, text } from "./replies.ts";
import type { RelayRoute } from "./wire.ts";

const IS_SUCCESS = { is_success: true };

export function handleRelay(deps: Deps, ingest: YolandaIngest, req: DeviceRequest<RelayRoute>): Outcome {
  const { route, request, parsed, remote, now } = req;
  const { measurements, yolanda: slots } = deps.repos;
  const g = route.generation;
  if (!sourceAllowed(remote, deps.settings.get("yolanda.relay.allowedSources"))) {
    return { authFailure: true, authResult: "source_not_allowed", reply: relayFail(g, 403, "forbidden") };
  }
  if (route.endpoint === "unknown") return { unknownPath: true, reply: relayError(404, "unsupported") };
  let authResult: string | null = null;
  if (g === "docker") {
    const expected = deps.settings.get("yolanda.relay.authorization");
    if (expected) {
      const got = request.headers.get("authorization");
      if (got === null || !safeEqual(got, expected)) {
        return { authFailure: true, authResult: got === null ? "authorization_missing" : "authorization_mismatch", reply: relayError(401, "unauthorized") };
      }
      authResult = "authorization_ok";
    }
  }
  const channel: Channel = g ?? "docker";

  // /aios and /bps: other device types, outside bodydock's scope; kept so the relay stops retrying.
  if (route.endpoint === "aios_measurements" || route.endpoint === "bps_measurements") {
    return {
      authResult,
      quarantine: true,
      reply: text(200, "success"),
      persist: (captureId) => {
        measurements.quarantine(captureId || null, SOURCE.lite, "unsupported_device", parsed.status === "unparseable" ? null : redactValue(parsed.value), now);
        return { quarantine: true };
      },
    };
  }

  const bad = (reason: string, error: string, quarantine: boolean): Outcome => ({
    authResult,
    quarantine,
    reply: relayFail(g, 400, error),
    persist: quarantine
      ? (captureId) => {
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
    return { authResult, reply: json(200, { ota_versions: [] }), device: mac ? () => seen(deps, mac, channel, remote, route.prefix, now).id : undefined };
  }
  if (!mac) return bad("invalid_mac", "invalid_mac", dataEndpoint);
  let device: DeviceRow | null = null;
  const withDevice = (reply: DeviceReply, persist?: Handled["persist"], extra: Partial<Handled> = {}): Outcome => ({
    authResult,
    ...extra,
    reply,
    device: () => (device = seen(deps, mac, channel, remote, route.prefix, now)).id,
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
      const scaleUsers = users().map((u) => ({ user_index: u.user_index, gender: u.gender, height: u.height, birthday: u.birthday, user_key: u.user_key, algorithm, sport_flag: u.sport_flag }));
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
      return withDevice(json(200, IS_SUCCESS), (captureId) =>
        ingest.items(device!, captureId, "docker", [body], now, true, (n) => ingest.reported(device!, captureId, "docker", mac, n, true, now)),
      );
    case "create_unknown_measurement":
      return withDevice(json(200, IS_SUCCESS), (captureId) =>
        ingest.items(device!, captureId, "docker", [body], now, false, (n) => ingest.unidentified(device!, captureId, "docker", mac, n, false, now)),
      );
    case "measurements":
    case "eight_measurements": {
      const eight = route.endpoint === "eight_measurements";
      return withDevice(text(200, "success"), (captureId) =>
        ingest.items(device!, captureId, "lite", [body], now, false, (n) => ingest.unidentified(device!, captureId, "lite", mac, n, eight, now)),
      );
    }
    case "create_measurements":
    case "create_eight_measurements": {
      if (!Array.isArray(records)) return bad("no_records", "invalid_body", true);
      const eight = route.endpoint === "create_eight_measurements";
      return withDevice(json(200, IS_SUCCESS), (captureId) => ingest.full(device!, captureId, mac, records, eight, now));
    }
  }
  return bad("unsupported", "unsupported", false);
}
