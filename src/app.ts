/**
 * createApp(deps): the whole HTTP surface as one Elysia app, built from feature
 * plugins. It does not listen; main.ts (serve) does, tests call app.handle().
 *
 * Order matters:
 *  1. request bookkeeping (start time, remote address) and the body limit;
 *  2. the device roles (deps.roles, one router) answer in onRequest, before
 *     Elysia's body parser can reject a device's odd Content-Type (spec §1.3);
 *  3. the staff guard (default deny for /api/*: session, Origin, see staff/guard.ts), before
 *     the body limit so an anonymous request never gets its body read;
 *  4. the staff API and page.
 */
import { Elysia, type AnyElysia } from "elysia";
import type { Deps } from "./deps.ts";
import { errorHandler, jsonError } from "./http/errors.ts";
import { healthPlugin } from "./http/health.ts";
import { HostAllowList } from "./http/hosts.ts";
import { remoteAddress } from "./http/remote.ts";
import { checkStaffBody, setBodyDeadline } from "./http/body-deadline.ts";
import { deviceDispatcher, deviceRouter, type DeviceDispatch } from "./devices/pipeline.ts";
import { claimReportOf } from "./devices/role.ts";
import { metricsPlugin } from "./http/metrics.ts";
import { webhookMetrics } from "./integrations/sender.ts";
import { noteStart, observe } from "./http/observe.ts";
import { API_HEADERS, isApiPath } from "./http/api-headers.ts";
import { auditApi } from "./staff/audit.ts";
import { authApi } from "./staff/auth.ts";
import { claimsApi } from "./staff/claims.ts";
import { devicesApi } from "./staff/devices.ts";
import { docsPlugin } from "./staff/docs.ts";
import { facesApi } from "./staff/faces.ts";
import { actor, adminSession, staffGuard } from "./staff/guard.ts";
import { membersApi } from "./staff/members.ts";
import { memberSyncApi } from "./staff/member-sync.ts";
import { integrationsApi } from "./staff/integrations.ts";
import { yolandaStaffApi } from "./staff/yolanda.ts";
import { youjiuStaffApi } from "./staff/youjiu.ts";
import { webSupportApi } from "./staff/web-support.ts";
import { pageApi } from "./staff/page-api.ts";
import { webPlugin } from "./web/plugin.ts";

export function createApp(deps: Deps, devices: DeviceDispatch = deviceDispatcher(deps, deps.roles)) {
  const { log, config } = deps;
  const audit = deps.repos.audit;
  const staffOptions = { actor, audit: audit.record.bind(audit) };
  let root: AnyElysia | undefined;
  const hosts = new HostAllowList(deps);
  const guard = staffGuard(deps);
  const app = new Elysia({ name: "bodydock" })
    .onRequest(({ request, server, set }) => {
      noteStart(request, remoteAddress(server, request));
      // API answers (data and errors, from a route or a hook) are never cached and never sniffed.
      if (isApiPath(request)) Object.assign(set.headers, API_HEADERS);
      // Every body read (device roles and staff) must finish before this deadline (http/body-deadline.ts).
      setBodyDeadline(request, config.bodyTimeout * 1000);
    })
    // The device roles (deps.roles, devices/roles.ts) answer in one onRequest hook, in the order of
    // device-protocols §1.3, with their own body limits and error envelopes (devices/pipeline.ts).
    .use(deviceRouter(deps, deps.roles, devices))
    // Past the device routers: only the box's own names (DNS rebinding defence, http/hosts.ts).
    .onRequest(({ request, set }) => {
      if (!hosts.allowed(request.headers.get("host") ?? new URL(request.url).host)) {
        set.status = 421;
        observe(deps, request, "host_not_allowed", 421);
        return jsonError(421, "host_not_allowed", "this server does not answer to that host name; an admin can add it to the setting http.allowedHosts");
      }
    })
    // The staff body limit and deadline: 413 or 408, and the connection closed, before any parsing.
    .onRequest(async ({ request, set }) => {
      const refused = await checkStaffBody(request, config.bodyLimit);
      if (refused) {
        set.status = refused.status;
        observe(deps, request, refused.status === 413 ? "body_limit" : "body_timeout", refused.status);
        return refused;
      }
    })
    // Routed requests are logged and counted here; device routers do it themselves (http/observe.ts).
    .onAfterResponse(({ request, set, route }) => observe(deps, request, route || "unmatched", typeof set.status === "number" ? set.status : 200))
    .use(errorHandler(log))
    .use(healthPlugin(deps))
    .use(metricsPlugin(deps, deps.metrics, { isAdmin: adminSession(deps), extra: () => [...webhookMetrics(deps), ...deps.roles.flatMap((role) => role.metrics?.() ?? [])] }))
    // The staff API: every route mounted in this instance is behind the guard (Origin, then session),
    // because the guard's hook is scoped to it. A new staff plugin is protected by being listed here.
    .use(
      new Elysia({ name: "staff-api" })
        .use(guard)
        .use(authApi(deps, guard))
        .use(membersApi(deps, guard))
        .use(facesApi(deps, guard))
        .use(memberSyncApi(deps, guard))
        .use(integrationsApi(deps, guard))
        .use(auditApi(deps, guard))
        .use(claimsApi(deps, { ...staffOptions, report: claimReportOf(deps.roles) }))
        .use(devicesApi(deps, guard, staffOptions))
        .use(youjiuStaffApi(deps, guard, staffOptions))
        .use(yolandaStaffApi(deps, guard, staffOptions))
        .use(webSupportApi(deps, guard))
        .use(pageApi(deps, guard)),
    )
    .use(docsPlugin(deps, () => root!))
    .use(webPlugin(deps));
  root = app;
  return app;
}

export type App = ReturnType<typeof createApp>;
