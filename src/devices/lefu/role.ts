/**
 * Role A: the Lefu Wi-Fi scale server (device-protocols §2). It answers the normalised paths with a
 * `/lefu/wifi` segment (§1.3 rule 1). Everything is answered with success except a body over 1 MiB
 * (413), `lefu.enabled=false` (404) and a storage failure (500); the rows are ingest.ts's.
 */
import type { Deps } from "../../deps.ts";
import type { DeviceSeenRow as DeviceRow } from "../../store/devices-repo.ts";
import { mergeQuery } from "../common/body.ts";
import { isObj, type Obj } from "../common/coerce.ts";
import type { DeviceReply, Outcome } from "../pipeline.ts";
import type { DeviceRequest, DeviceRole } from "../role.ts";
import { lefuClaimReport } from "./claim.ts";
import { LefuIngest } from "./ingest.ts";
import { FAILURE, configAnswer, deviceInfo, keyFromSn, matchLefu, recordAnswer, registerAnswer, updateAnswer, type LefuRoute } from "./wire.ts";

export const LEFU_BODY_LIMIT = 1024 * 1024;
const JSON_TYPE = "application/json; charset=utf-8";

function reply(status: number, body: unknown): DeviceReply {
  return { status, body: JSON.stringify(body), contentType: JSON_TYPE, headers: { connection: "close" } };
}

const DISABLED = reply(404, FAILURE.disabled);
const TOO_LARGE = reply(413, FAILURE.tooLarge);
const STORAGE_FAILURE = reply(500, FAILURE.storage);

export function lefuRole(deps: Deps): DeviceRole<LefuRoute> {
  const ingest = new LefuIngest(deps);
  const { devices } = deps.repos;

  /** The answer of each endpoint (§2.3); register/config carry the unit, a scale's own override first. */
  function answer(route: LefuRoute, sn: string | undefined, now: number): DeviceReply {
    switch (route.endpoint) {
      case "register":
      case "config": {
        const override = sn ? devices.byKey("lefu", keyFromSn(sn)!)?.unit_override : null;
        const unit = override ?? deps.settings.get("lefu.displayUnit");
        return reply(200, route.endpoint === "register" ? registerAnswer(now, unit) : configAnswer(now, unit));
      }
      case "update":
        return reply(200, updateAnswer());
      default:
        return reply(200, recordAnswer(now));
    }
  }

  return {
    vendor: "lefu",
    match: matchLefu,
    describe: (route) => ({
      router: "lefu",
      routeKey: route.key,
      prefix: route.prefix,
      label: `lefu.${route.family ?? "any"}.${route.endpoint}`,
      unknownPath: route.endpoint === "unknown",
      bodyLimit: LEFU_BODY_LIMIT,
      enabled: deps.settings.get("lefu.enabled"),
      disabled: DISABLED,
      tooLarge: TOO_LARGE,
      storageFailure: STORAGE_FAILURE,
    }),
    handle({ route, path, parsed, remote, now, scrub }: DeviceRequest<LefuRoute>): Outcome {
      const value = mergeQuery(parsed.value, path.query);
      // A body that is not an object (an array, a number) still has the query's fields.
      const body: Obj = isObj(value) ? value : Object.fromEntries(path.query);
      const info = deviceInfo(body);
      const unparseable = parsed.status === "unparseable";
      let device: DeviceRow | null = null;
      return {
        quarantine: unparseable && (route.endpoint === "record" || route.endpoint === "unknown"),
        reply: answer(route, info.sn, now),
        device: () => (device = ingest.resolveDevice(route, info, remote, now))?.id ?? null,
        persist: (captureId) => ingest.rows({ route, body, value, unparseable, remote, now, scrub }, device, captureId),
      };
    },
    claimReport: (row, memberId) => lefuClaimReport(deps.repos, row, memberId, deps.settings.get("gym.timeZone")),
  };
}
