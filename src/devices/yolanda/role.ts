/**
 * Role B: Yolanda, the WSP Mini client server (§3.1–§3.6, mini.ts) and the on-site relays (§3.7,
 * relay.ts). Every request is captured; rows go in the capture's transaction and the answer is sent
 * once it is durable (§1.7). Measurements are idempotent on `yolanda:<MAC>:<ts>:<slot>`. With the
 * server it starts the WSP-Lite report fetcher (lite-reports.ts).
 */
import type { Deps } from "../../deps.ts";
import type { DeviceRole } from "../role.ts";
import { yolandaClaimReport } from "./claim.ts";
import { YolandaIngest } from "./ingest.ts";
import { LiteReports } from "./lite-reports.ts";
import { handleMini } from "./mini.ts";
import { handleRelay } from "./relay.ts";
import { relayFail, text } from "./replies.ts";
import { matchMini, matchRelay, type MiniRoute, type RelayRoute } from "./wire.ts";

export const YOLANDA_BODY_LIMIT = 1024 * 1024;

export type YolandaRoute = { kind: "mini"; mini: MiniRoute } | { kind: "relay"; relay: RelayRoute };

export function yolandaRole(deps: Deps): DeviceRole<YolandaRoute> {
  const ingest = new YolandaIngest(deps);
  return {
    vendor: "yolanda",
    match(path) {
      const mini = matchMini(path);
      if (mini) return { kind: "mini", mini };
      const relay = matchRelay(path);
      return relay ? { kind: "relay", relay } : null;
    },
    describe(route) {
      if (route.kind === "mini") {
        const fail = text(500, "fail");
        return {
          router: "wsp-mini",
          routeKey: route.mini.endpoint,
          prefix: route.mini.prefix,
          label: `yolanda.mini.${route.mini.endpoint}`,
          bodyLimit: YOLANDA_BODY_LIMIT,
          enabled: true,
          disabled: fail,
          tooLarge: text(413, "fail"),
          storageFailure: fail,
        };
      }
      const r = route.relay;
      return {
        router: "wsp-relay",
        routeKey: r.key,
        prefix: r.prefix,
        label: `yolanda.relay.${r.generation ?? "any"}.${r.endpoint}`,
        bodyLimit: YOLANDA_BODY_LIMIT,
        enabled: deps.settings.get("yolanda.relay.enabled"),
        disabled: relayFail(r.generation, 404, "not_enabled"),
        tooLarge: relayFail(r.generation, 413, "payload_too_large"),
        storageFailure: relayFail(r.generation, 500, "storage"),
      };
    },
    handle: (req) =>
      req.route.kind === "mini" ? handleMini(deps, ingest, { ...req, route: req.route.mini }) : handleRelay(deps, ingest, { ...req, route: req.route.relay }),
    claimReport: yolandaClaimReport,
    start: () => new LiteReports(deps).start(),
  };
}
