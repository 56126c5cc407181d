/**
 * Staff API behind Youjiu's polling flows (device-protocols §4.7):
 *   GET    /api/v1/youjiu/devices                 XONE/U+ devices, "ready for push", last seen, pending push
 *   POST   /api/v1/youjiu/devices/:sn/push        {memberId, scene?}  409 DEVICE_NOT_WAITING when the device stopped waiting
 *   DELETE /api/v1/youjiu/devices/:sn/push        cancel a pending push
 *   POST   /api/v1/youjiu/devices/:sn/reset-secret  the next /activate creates a new secret
 *   POST   /api/v1/youjiu/qr-bindings            {value, memberId}
 *   GET    /api/v1/youjiu/qr-sessions            QR values polled in the last 30 s
 *   GET    /api/v1/youjiu/unknown-cards          cards tapped in the last 10 minutes that nobody has ("tap to enrol")
 *   GET    /api/v1/youjiu/events                 Server-Sent Events: waiting, idle, pushed, delivered, expired, superseded, cancelled, qr_session
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import type { YoujiuEvent } from "../devices/youjiu/service.ts";
import { XONE_SCENES, UPLUS_SCENES } from "../devices/youjiu/wire.ts";
import { AppError, jsonError } from "../http/errors.ts";
import { remoteAddress } from "../http/remote.ts";
import { type StaffGuard } from "./guard.ts";

/** Live event streams one address may hold open at once (a few browser tabs); more get 429 (issue 13, point 7). */
export const MAX_EVENT_STREAMS_PER_ADDRESS = 6;

export interface YoujiuStaffOptions {
  audit: (actor: string, action: string, entity: string, entityId: string, before: unknown, after: unknown) => void;
  actor: (ctx: { request: Request; store: unknown }) => string;
}

const ERRORS: Record<string, [number, string]> = {
  "error:DEVICE_NOT_WAITING": [409, "The device is not on its push-login waiting screen any more. Ask the member to open it and try again."],
  "error:MEMBER_NOT_FOUND": [404, "No such member."],
  "error:MEMBER_INACTIVE": [409, "This member is suspended and cannot log in."],
  "error:INVALID_SCENE": [422, "This assessment is not available for push login."],
};

function fail(result: string): never {
  const [status, message] = ERRORS[result] ?? [400, result];
  throw new AppError(status, result.replace(/^error:/, ""), message);
}

export const youjiuStaffApi = (deps: Deps, guard: StaffGuard, opts: YoujiuStaffOptions) => {
  const { service } = deps.youjiu;
  const repo = deps.repos.youjiu;
  const { devices } = deps.repos;

  const list = () => {
    const now = deps.now();
    const rows = new Map(devices.list("youjiu").map((d) => [d.device_key, d]));
    const waiting = new Map(service.waitingDevices(now).map((w) => [w.sn, w]));
    const sns = new Set([...rows.keys(), ...waiting.keys()]);
    return [...sns].sort().map((sn) => {
      const d = rows.get(sn);
      const w = waiting.get(sn);
      const push = w?.pendingPush && (w.pendingPush.status === "pending" || w.pendingPush.status === "delivering") ? w.pendingPush : null;
      const family = d?.family ?? "unknown";
      return {
        sn,
        name: d?.name ?? null,
        product: family,
        scenes: family === "uplus" ? [...UPLUS_SCENES] : [...XONE_SCENES],
        readyForPush: w?.ready ?? false,
        lastSeen: Math.max(d?.last_seen ?? 0, w?.lastPollAt ?? 0) || null,
        lastIp: w?.remoteIp ?? d?.last_ip ?? null,
        pendingPush: push ? { memberId: push.memberId, scene: push.scene, pushedAt: push.pushedAt, pushedBy: push.pushedBy } : null,
      };
    });
  };

  /** Open event streams per remote address. */
  const streams = new Map<string, number>();

  return new Elysia({ name: "staff-youjiu", prefix: "/api/v1/youjiu" })
    .use(guard)
    .get("/devices", () => list(), { detail: { summary: "Youjiu devices and whether each is waiting for a push", tags: ["youjiu"] } })
    .post(
      "/devices/:sn/push",
      async (ctx) => {
        const by = opts.actor(ctx);
        const result = service.push(ctx.params.sn, ctx.body.memberId, ctx.body.scene, by);
        if (result !== "ok") fail(result);
        const scene = ctx.body.scene ?? deps.settings.get("youjiu.defaultPushScene");
        // The push itself lives in memory (spec §4.6.4); the audit row is durable.
        await deps.writes.enqueue(() => opts.audit(by, "youjiu.push", "device", ctx.params.sn, null, { memberId: ctx.body.memberId, scene }));
        return { sn: ctx.params.sn, status: "pending" as const, memberId: ctx.body.memberId, scene };
      },
      {
        params: t.Object({ sn: t.String({ minLength: 1, maxLength: 64 }) }),
        body: t.Object({ memberId: t.Integer({ minimum: 1 }), scene: t.Optional(t.String({ minLength: 1, maxLength: 64 })) }),
        detail: { summary: "Push a member to a waiting XONE", tags: ["youjiu"] },
      },
    )
    .delete(
      "/devices/:sn/push",
      async (ctx) => {
        const result = service.cancelPush(ctx.params.sn);
        await deps.writes.enqueue(() => opts.audit(opts.actor(ctx), "youjiu.push_cancel", "device", ctx.params.sn, null, { result }));
        return { sn: ctx.params.sn, result };
      },
      {
        params: t.Object({ sn: t.String({ minLength: 1, maxLength: 64 }) }),
        detail: { summary: "Cancel a pending push", tags: ["youjiu"] },
      },
    )
    .post(
      "/devices/:sn/reset-secret",
      async (ctx) => {
        const by = opts.actor(ctx);
        await deps.writes.enqueue(() => {
          if (!repo.device(ctx.params.sn)) throw new AppError(404, "not_found", `no Youjiu device ${ctx.params.sn}`);
          repo.resetSecret(ctx.params.sn); // keeps the old secret's hash, so it cannot be trusted again
          opts.audit(by, "youjiu.reset_secret", "device", ctx.params.sn, null, { secret: "reset" });
        });
        return { sn: ctx.params.sn, result: "ok" };
      },
      // Device secrets are admin-only (security issue): a reset makes the device activate again.
      { admin: true, params: t.Object({ sn: t.String({ minLength: 1, maxLength: 64 }) }), detail: { summary: "Reset a device's credentials: the old secret stops working at once (admin)", tags: ["youjiu"] } },
    )
    .post(
      "/qr-bindings",
      async (ctx) => {
        const result = service.bindQr(ctx.body.value, ctx.body.memberId);
        if (result !== "ok") fail(result);
        await deps.writes.enqueue(() => opts.audit(opts.actor(ctx), "youjiu.qr_bind", "member", String(ctx.body.memberId), null, { value: ctx.body.value }));
        return { value: ctx.body.value, memberId: ctx.body.memberId, expiresInSeconds: deps.settings.get("youjiu.qrBindingTtlSeconds") };
      },
      {
        body: t.Object({ value: t.String({ minLength: 1, maxLength: 500 }), memberId: t.Integer({ minimum: 1 }) }),
        detail: { summary: "Bind a QR value shown on a device to a member", tags: ["youjiu"] },
      },
    )
    .get("/qr-sessions", () => service.activeQrSessions(), { detail: { summary: "QR values polled in the last 30 s", tags: ["youjiu"] } })
    .get(
      "/unknown-cards",
      () =>
        repo.unknownCards(deps.now() - 10 * 60 * 1000).map((c) => ({ cardDec: c.card_dec, cardHex: c.card_hex, sn: c.sn, firstSeen: c.first_seen, lastSeen: c.last_seen, taps: c.taps })),
      { detail: { summary: "Unknown cards tapped in the last 10 minutes", tags: ["youjiu"] } },
    )
    .get(
      "/events",
      ({ request, server }) => {
        const address = remoteAddress(server, request) ?? "local";
        const open = streams.get(address) ?? 0;
        if (open >= MAX_EVENT_STREAMS_PER_ADDRESS) {
          return jsonError(429, "too_many_streams", `this computer already has ${open} live views open; close a tab and reload`, {}, { "retry-after": "15" });
        }
        streams.set(address, open + 1);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          const n = (streams.get(address) ?? 1) - 1;
          if (n <= 0) streams.delete(address);
          else streams.set(address, n);
        };
        let off: (() => void) | undefined;
        let keepAlive: ReturnType<typeof setInterval> | undefined;
        const stream = new ReadableStream<string>({
          start(controller) {
            const send = (e: YoujiuEvent | { type: "hello"; devices: unknown }) => controller.enqueue(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
            send({ type: "hello", devices: list() });
            off = service.on(send);
            keepAlive = setInterval(() => controller.enqueue(": keep-alive\n\n"), 15000);
            request.signal.addEventListener("abort", () => {
              release();
              off?.();
              clearInterval(keepAlive);
              try {
                controller.close();
              } catch {
                /* already closed */
              }
            });
          },
          cancel() {
            release();
            off?.();
            clearInterval(keepAlive);
          },
        });
        return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" } });
      },
      { detail: { summary: "Live push-login events (Server-Sent Events)", tags: ["youjiu"] } },
    );
};
