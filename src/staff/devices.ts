/**
 * Staff API: devices of every role and their diagnostics.
 *   GET   /api/v1/devices                 all devices (?vendor=lefu|yolanda|youjiu), with online state
 *   GET   /api/v1/devices/:id             one device
 *   PATCH /api/v1/devices/:id             name, notes, approved, blocked, impedanceMode, defaultMemberId, unitOverride
 *   GET   /api/v1/device-captures         unknown-path and quarantined captures not yet dismissed
 *   POST  /api/v1/device-captures/:id/dismiss
 *   GET|POST|DELETE /api/v1/devices/pairing      the pairing window ("accept new devices for N minutes")
 *   GET   /api/v1/device-join-requests           unknown devices that asked to join while it was closed
 *   POST  /api/v1/device-join-requests/:id/approve   admit one (admin); DELETE dismisses it
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { type StaffGuard } from "./guard.ts";
import type { DeviceRow } from "../store/devices-repo.ts";
import type { CaptureRow } from "../store/captures-repo.ts";
import type { JoinRequestRow } from "../store/join-requests-repo.ts";
import { PAIRING_MAX_MINUTES } from "../devices/pairing.ts";

export function joinRequestView(r: JoinRequestRow) {
  return { id: r.id, vendor: r.vendor, key: r.device_key, family: r.family, firstSeen: r.first_seen, lastSeen: r.last_seen, lastIp: r.last_ip, attempts: r.attempts, path: r.last_path };
}

/** A device that has not been heard from for this long is shown offline. */
export const ONLINE_WINDOW_MS = 10 * 60 * 1000;

export function deviceView(d: DeviceRow, now: number) {
  return {
    id: d.id,
    vendor: d.vendor,
    key: d.device_key,
    family: d.family,
    sn: d.sn,
    mac: d.mac,
    model: d.model,
    name: d.name,
    notes: d.notes,
    approved: d.approved === 1,
    blocked: d.blocked === 1,
    firstSeen: d.first_seen,
    lastSeen: d.last_seen,
    online: now - d.last_seen <= ONLINE_WINDOW_MS,
    lastIp: d.last_ip,
    pathPrefix: d.path_prefix,
    versions: d.versions_json ? (JSON.parse(d.versions_json) as Record<string, string>) : {},
    battery: d.battery,
    rssi: d.rssi,
    timezone: d.timezone,
    wifiSsid: d.wifi_ssid,
    unitOverride: d.unit_override,
    defaultMemberId: d.default_member_id,
    impedanceMode: d.impedance_mode,
    duplicates: d.dup_count,
  };
}

export function captureView(c: CaptureRow) {
  return {
    id: c.id,
    receivedAt: c.received_at,
    remoteIp: c.remote_ip,
    method: c.method,
    path: c.raw_path,
    router: c.router,
    routeKey: c.route_key,
    headers: JSON.parse(c.headers_json) as Record<string, string>,
    body: c.body_text,
    bodyBytes: c.body_bytes,
    bodyTruncated: c.body_truncated === 1,
    parseStatus: c.parse_status,
    responseStatus: c.response_status,
    response: c.response_body,
    deviceId: c.device_id,
    unknownPath: c.unknown_path === 1,
    quarantine: c.quarantine === 1,
  };
}

export interface DevicesOptions {
  audit: (actor: string, action: string, entity: string, entityId: string, before: unknown, after: unknown) => void;
  actor: (ctx: { request: Request; store: unknown }) => string;
}

const Patch = t.Object(
  {
    name: t.Optional(t.Union([t.String({ maxLength: 100 }), t.Null()])),
    notes: t.Optional(t.Union([t.String({ maxLength: 2000 }), t.Null()])),
    approved: t.Optional(t.Boolean()),
    blocked: t.Optional(t.Boolean()),
    impedanceMode: t.Optional(t.Union([t.Literal("encrypted"), t.Literal("ohms")])),
    defaultMemberId: t.Optional(t.Union([t.Integer({ minimum: 1 }), t.Null()])),
    unitOverride: t.Optional(t.Union([t.Integer({ minimum: 0, maximum: 11 }), t.Null()])),
  },
  { additionalProperties: false },
);

export const devicesApi = (deps: Deps, guard: StaffGuard, opts: DevicesOptions) => {
  const { devices, captures } = deps.repos;
  const joins = deps.repos.joinRequests;
  const diagnostics = deps.repos.diagnostics;
  const get = (id: number) => {
    const d = devices.byId(id);
    if (!d) throw new AppError(404, "not_found", `device ${id} does not exist`);
    return d;
  };
  return new Elysia({ name: "staff-devices", prefix: "/api/v1" })
    .use(guard)
    .get("/devices/pairing", () => deps.pairing.state(), {
      detail: { summary: "Whether the pairing window is open, and until when (epoch ms)", tags: ["devices"] },
    })
    .post(
      "/devices/pairing",
      async (ctx) => {
        const by = opts.actor(ctx);
        const state = deps.pairing.open(ctx.body.minutes ?? 10, by);
        await deps.writes.enqueue(() => opts.audit(by, "devices.pairing_open", "pairing", "window", null, state));
        return state;
      },
      {
        body: t.Object({ minutes: t.Optional(t.Integer({ minimum: 1, maximum: PAIRING_MAX_MINUTES })) }, { additionalProperties: false }),
        detail: { summary: "Open the pairing window: devices bodydock does not know yet may join for N minutes (default 10)", tags: ["devices"] },
      },
    )
    .delete(
      "/devices/pairing",
      async (ctx) => {
        const by = opts.actor(ctx);
        const state = deps.pairing.close();
        await deps.writes.enqueue(() => opts.audit(by, "devices.pairing_close", "pairing", "window", null, state));
        return state;
      },
      { detail: { summary: "Close the pairing window", tags: ["devices"] } },
    )
    .get(
      "/device-diagnostics",
      ({ query }) =>
        diagnostics.list(query.deviceId ?? null, query.limit ?? 100).map((g) => ({
          id: g.id,
          at: g.at,
          kind: g.kind,
          deviceId: g.device_id,
          device: g.device_id === null ? null : { name: g.device_name, key: g.device_key, vendor: g.vendor },
          detail: g.detail_json ? (JSON.parse(g.detail_json) as unknown) : null,
        })),
      {
        query: t.Object({ deviceId: t.Optional(t.Integer({ minimum: 1 })), limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })) }),
        detail: { summary: "Device diagnostics, newest first: conflicting duplicates, register calls from another MAC or address", tags: ["devices"] },
      },
    )
    .get("/device-join-requests", () => joins.list().map(joinRequestView), {
      detail: { summary: "Unknown devices that asked to join while the pairing window was closed (capped list)", tags: ["devices"] },
    })
    .post(
      "/device-join-requests/:id/approve",
      async (ctx) => {
        const by = opts.actor(ctx);
        const row = await deps.writes.enqueue(() => {
          const r = joins.byId(ctx.params.id);
          if (!r) throw new AppError(404, "not_found", `join request ${ctx.params.id} does not exist`);
          // The device row is created approved and without a secret: a Youjiu device then activates (or
          // trusts its own secret on first use) once, as if the pairing window had been open.
          const seen = devices.seen({ vendor: r.vendor, deviceKey: r.device_key, sn: r.device_key, family: r.family ?? undefined, ip: r.last_ip, approveNew: true }, deps.now());
          const d = devices.byId(seen.id)!;
          joins.remove(r.id);
          opts.audit(by, "device.join_approve", "device", String(d.id), joinRequestView(r), deviceView(d, deps.now()));
          return d;
        });
        return deviceView(row, deps.now());
      },
      { admin: true, params: t.Object({ id: t.Integer({ minimum: 1 }) }), detail: { summary: "Admit a device that asked to join", tags: ["devices"] } },
    )
    .delete(
      "/device-join-requests/:id",
      async (ctx) => {
        const by = opts.actor(ctx);
        await deps.writes.enqueue(() => {
          const r = joins.byId(ctx.params.id);
          if (!r) throw new AppError(404, "not_found", `join request ${ctx.params.id} does not exist`);
          joins.remove(r.id);
          opts.audit(by, "device.join_dismiss", "device_join_request", String(r.id), joinRequestView(r), null);
        });
        return { id: ctx.params.id, dismissed: true };
      },
      { params: t.Object({ id: t.Integer({ minimum: 1 }) }), detail: { summary: "Dismiss a join request", tags: ["devices"] } },
    )
    .get("/devices", ({ query }) => devices.list(query.vendor ?? null).map((d) => deviceView(d, deps.now())), {
      query: t.Object({ vendor: t.Optional(t.Union([t.Literal("lefu"), t.Literal("yolanda"), t.Literal("youjiu")])) }),
      detail: { summary: "Devices of every role", tags: ["devices"] },
    })
    .get("/devices/:id", ({ params }) => deviceView(get(params.id), deps.now()), {
      params: t.Object({ id: t.Integer({ minimum: 1 }) }),
      detail: { summary: "One device", tags: ["devices"] },
    })
    .patch(
      "/devices/:id",
      async (ctx) => {
        const { params, body } = ctx;
        const by = opts.actor(ctx);
        if (body.defaultMemberId != null && !deps.repos.members.exists(body.defaultMemberId)) {
          throw new AppError(422, "validation_failed", `defaultMemberId: member ${body.defaultMemberId} does not exist`, { field: "defaultMemberId" });
        }
        const after = await deps.writes.enqueue(() => {
          const before = get(params.id);
          devices.update(params.id, body);
          const row = get(params.id);
          opts.audit(by, "device.update", "device", String(params.id), deviceView(before, deps.now()), deviceView(row, deps.now()));
          return row;
        });
        return deviceView(after, deps.now());
      },
      {
        params: t.Object({ id: t.Integer({ minimum: 1 }) }),
        body: Patch,
        detail: { summary: "Rename, annotate, approve/block, set options of a device", tags: ["devices"] },
      },
    )
    .get("/device-captures", ({ query }) => captures.flagged(query.limit ?? 100).map(captureView), {
      query: t.Object({ limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })) }),
      detail: { summary: "Unknown-path and quarantined device requests not yet dismissed", tags: ["devices"] },
    })
    .post(
      "/device-captures/:id/dismiss",
      async (ctx) => {
        const by = opts.actor(ctx);
        await deps.writes.enqueue(() => {
          const c = captures.byId(ctx.params.id);
          if (!c) throw new AppError(404, "not_found", `capture ${ctx.params.id} does not exist`);
          captures.dismiss(ctx.params.id);
          opts.audit(by, "capture.dismiss", "capture", String(ctx.params.id), { dismissed: false }, { dismissed: true });
        });
        return { id: ctx.params.id, dismissed: true };
      },
      { params: t.Object({ id: t.Integer({ minimum: 1 }) }), detail: { summary: "Dismiss a capture", tags: ["devices"] } },
    );
};
