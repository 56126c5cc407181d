/**
 * createApp(deps): the whole HTTP surface as one Elysia app, built from feature
 * plugins. It does not listen; main.ts (serve) does, tests call app.handle().
 *
 * Order matters:
 *  1. request bookkeeping (start time, remote address) and the body limit;
 *  2. device routers (added by the device roles) answer in onRequest, before
 *     Elysia's body parser can reject a device's odd Content-Type (spec §1.3);
 *  3. the staff guard (default deny for /api/*: session, Origin, see staff/guard.ts), before
 *     the body limit so an anonymous request never gets its body read;
 *  4. the staff API and page.
 */
import { Elysia, type AnyElysia } from "elysia";
import type { Deps } from "./deps.ts";
import { errorHandler, jsonError } from "./http/errors.ts";
import { healthPlugin } from "./http/health.ts";
import { remoteAddress } from "./http/remote.ts";
import { lefuPlugin } from "./devices/lefu/plugin.ts";
import { yolandaPlugin } from "./devices/yolanda/plugin.ts";
import { youjiuPlugin } from "./devices/youjiu/plugin.ts";
import { metricsPlugin } from "./http/metrics.ts";
import { metricsOf, noteStart, observe } from "./http/observe.ts";
import { lefuClaimReport } from "./devices/lefu/claim.ts";
import { yolandaClaimReport, type ClaimReport } from "./devices/yolanda/claim.ts";
import { auditRepo } from "./store/audit-repo.ts";
import type { MeasurementRow } from "./store/measurements-repo.ts";
import { auditApi } from "./staff/audit.ts";
import { authApi } from "./staff/auth.ts";
import { claimsApi } from "./staff/claims.ts";
import { devicesApi } from "./staff/devices.ts";
import { docsPlugin } from "./staff/docs.ts";
import { actor, adminSession, staffGuard } from "./staff/guard.ts";
import { membersApi } from "./staff/members.ts";
import { yolandaStaffApi } from "./staff/yolanda.ts";
import { youjiuStaffApi } from "./staff/youjiu.ts";
import { webSupportApi } from "./staff/web-support.ts";
import { pageApi } from "./staff/page-api.ts";
import { webPlugin } from "./web/plugin.ts";

/**
 * True if the body is over `limit` bytes. Uses Content-Length when present;
 * otherwise (chunked, or an in-process Request) it counts a clone of the body,
 * stopping as soon as the limit is passed.
 */
export async function bodyTooLarge(request: Request, limit: number): Promise<boolean> {
  const len = request.headers.get("content-length");
  if (len !== null) return Number(len) > limit;
  if (request.body === null) return false;
  const reader = request.clone().body!.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return true;
    }
  }
}

/**
 * A claimed measurement's report for its new member: Lefu rows are computed again with that
 * member's profile (devices/lefu/claim.ts); Yolanda rows keep or pick the relay's report
 * (devices/yolanda/claim.ts); anything else keeps its note.
 */
const claimReport =
  (deps: Deps) =>
  (row: MeasurementRow, memberId: number): ClaimReport =>
    lefuClaimReport(deps.db, row, memberId) ?? yolandaClaimReport(row, memberId) ?? { indicators: null, note: row.indicators_note, profileMemberId: null };

export function createApp(deps: Deps) {
  const { log, config } = deps;
  const audit = auditRepo(deps);
  const staffOptions = { actor, audit: audit.record.bind(audit) };
  let root: AnyElysia | undefined;
  const app = new Elysia({ name: "bodydock" })
    .onRequest(({ request, server }) => {
      noteStart(request, remoteAddress(server, request));
    })
    // Device routers answer in their own onRequest hooks, in the order of device-protocols §1.3,
    // with their own body limits and error envelopes.
    .use(lefuPlugin(deps))
    .use(yolandaPlugin(deps))
    .use(youjiuPlugin(deps))
    // Everything else is the staff API and page. The guard first: no session, no body reading.
    .use(staffGuard(deps))
    .onRequest(async ({ request, set }) => {
      if (await bodyTooLarge(request, config.bodyLimit)) {
        set.status = 413;
        observe(deps, request, "body_limit", 413);
        return jsonError(413, "payload_too_large", `request body is larger than the limit of ${config.bodyLimit} bytes`);
      }
    })
    // Routed requests are logged and counted here; device routers do it themselves (http/observe.ts).
    .onAfterResponse(({ request, set, route }) => observe(deps, request, route || "unmatched", typeof set.status === "number" ? set.status : 200))
    .use(errorHandler(log))
    .use(healthPlugin(deps))
    .use(metricsPlugin(deps, metricsOf(deps), { isAdmin: adminSession(deps) }))
    .use(authApi(deps))
    .use(membersApi(deps))
    .use(auditApi(deps))
    .use(claimsApi(deps, { ...staffOptions, report: claimReport(deps) }))
    .use(devicesApi(deps, staffOptions))
    .use(youjiuStaffApi(deps, staffOptions))
    .use(yolandaStaffApi(deps, staffOptions))
    .use(webSupportApi(deps))
    .use(pageApi(deps))
    .use(docsPlugin(deps, () => root!))
    .use(webPlugin(deps));
  root = app;
  return app;
}

export type App = ReturnType<typeof createApp>;
