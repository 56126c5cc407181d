/**
 * The Yolanda WSP Mini client server (device-protocols §3.2–§3.4): JWT-authenticated (access.ts),
 * `…/wsp-mini/users` lists a scale's slots, `…/wsp-mini/measurements` stores its weighings.
 */
import type { Deps } from "../../deps.ts";
import type { DeviceSeenRow as DeviceRow } from "../../store/devices-repo.ts";
import type { ScaleUser } from "../../store/yolanda-repo.ts";
import { mergeQuery } from "../common/body.ts";
import { field, isObj, mac as macOf, type Obj } from "../common/coerce.ts";
import type { Outcome } from "../pipeline.ts";
import type { DeviceRequest } from "../role.ts";
import { verifyMini, type MiniAuthSettings } from "./access.ts";
import { SOURCE, type YolandaIngest } from "./ingest.ts";
import { json, seen, text } from "./replies.ts";
import type { MiniRoute } from "./wire.ts";

function miniSettings(deps: Deps): MiniAuthSettings {
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

export async function handleMini(deps: Deps, ingest: YolandaIngest, req: DeviceRequest<MiniRoute>): Promise<Outcome> {
  const { route, request, parsed, remote, now } = req;
  const { measurements, yolanda: slots } = deps.repos;
  const settings = miniSettings(deps);
  if (!settings.secret) return { authResult: "not_configured", reply: text(503, "not configured") };
  const auth = await verifyMini(request.headers.get("authorization"), settings, now);
  // Nothing but the capture is stored for a caller that failed authentication.
  if (!auth.ok) return { authFailure: true, authResult: auth.reason, reply: text(401, "unauthorized", { "www-authenticate": "Bearer" }) };
  const authResult = auth.via === "previous" ? "ok_previous_secret" : "ok";

  if (route.endpoint === "users") {
    const value = mergeQuery(parsed.value, req.path.query);
    const body: Obj = isObj(value) ? value : Object.fromEntries(req.path.query);
    const mac = macOf(field(body, "mac"));
    if (!mac) return { authResult, reply: json(400, { error: "invalid_mac" }) };
    const users = slots.users(mac).map((u: ScaleUser) => ({ user_index: u.user_index, gender: u.gender, height: u.height, birthday: u.birthday, weight: u.weight }));
    return { authResult, reply: json(200, { users }), device: () => seen(deps, mac, "mini", remote, route.prefix, now).id };
  }

  // POST …/wsp-mini/measurements
  const fail = (reason: string): Outcome => ({
    authResult,
    quarantine: true,
    reply: text(400, "fail"),
    persist: (captureId) => {
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
  return {
    authResult,
    reply: text(200, "success"),
    device: () => (device = seen(deps, mac, "mini", remote, route.prefix, now)).id,
    persist: (captureId) => ingest.items(device!, captureId, "mini", items, now, true, (n) => ingest.reported(device!, captureId, "mini", mac, n, n.definite, now)),
  };
}
