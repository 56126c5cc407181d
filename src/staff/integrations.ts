/**
 * Admin routes for integrations (issue 17). Keys themselves are checked in api-keys.ts.
 *   GET    /api/v1/api-keys                  keys (never the key text)
 *   POST   /api/v1/api-keys                  {name, scopes, ratePerMinute?} → 201 {key, ...}: the key is shown this once
 *   DELETE /api/v1/api-keys/:id              revoke
 *   GET    /api/v1/webhooks                  endpoints with their state and queue
 *   POST   /api/v1/webhooks                  {url, events, secret?, timeoutMs?, description?} → 201 {id, secret}
 *   GET    /api/v1/webhooks/:id              one endpoint and its latest deliveries
 *   PATCH  /api/v1/webhooks/:id              {url?, events?, timeoutMs?, description?}
 *   DELETE /api/v1/webhooks/:id
 *   POST   /api/v1/webhooks/:id/pause | resume
 *   POST   /api/v1/webhooks/:id/rotate       {graceHours?} → {secret, previousValidUntil}: old and new both sign until then
 *   POST   /api/v1/webhooks/:id/test         a webhook.test event to this endpoint only
 *   POST   /api/v1/webhooks/:id/replay       {eventId} or {from, to} (epoch ms): queue again
 * Every change is audited in its write job.
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { EVENT_TYPES, TEST_EVENT } from "../integrations/events.ts";
import { newSecret, secretKey } from "../integrations/signature.ts";
import { ApiKeyError } from "../store/api-keys-repo.ts";
import { type EndpointRow } from "../store/webhooks-repo.ts";
import { SCOPES, createKey, listKeys, revokeKey, type Scope } from "./api-keys.ts";
import { actor, type StaffGuard } from "./guard.ts";

const IdParams = t.Object({ id: t.Integer({ minimum: 1 }) });
const EventName = t.Union([...EVENT_TYPES.map((e) => t.Literal(e)), t.Literal("*")], { description: "an event type, or * for all" });
const Url = t.String({ minLength: 8, maxLength: 2000, pattern: "^https?://", description: "http(s) URL the events are POSTed to" });
const TimeoutMs = t.Integer({ minimum: 500, maximum: 60000, description: "per attempt (default 10000)" });

const KeyView = t.Object({
  id: t.Integer(),
  name: t.String(),
  prefix: t.String({ description: "the key's first characters, to tell keys apart" }),
  scopes: t.Array(t.String()),
  ratePerMinute: t.Integer(),
  createdAt: t.Integer(),
  createdBy: t.String(),
  lastUsedAt: t.Union([t.Integer(), t.Null()]),
  lastUsedIp: t.Union([t.String(), t.Null()]),
  uses: t.Integer(),
  revokedAt: t.Union([t.Integer(), t.Null()]),
});

const EndpointView = t.Object({
  id: t.Integer(),
  url: t.String(),
  events: t.Array(t.String()),
  description: t.Union([t.String(), t.Null()]),
  state: t.Union([t.Literal("active"), t.Literal("paused"), t.Literal("disabled")]),
  stateReason: t.Union([t.String(), t.Null()]),
  timeoutMs: t.Integer(),
  createdAt: t.Integer(),
  lastSuccessAt: t.Union([t.Integer(), t.Null()]),
  lastError: t.Union([t.Object({ at: t.Integer(), status: t.Union([t.Integer(), t.Null()]), message: t.String() }), t.Null()]),
  queued: t.Integer({ description: "deliveries waiting" }),
  oldestPendingAt: t.Union([t.Integer(), t.Null()], { description: "when the oldest waiting event happened" }),
  failed: t.Integer({ description: "deliveries given up after 3 days (replayable)" }),
  delivered: t.Integer(),
  rotatingUntil: t.Union([t.Integer(), t.Null()], { description: "the previous secret also signs until then" }),
});

export const integrationsApi = (deps: Deps, guard: StaffGuard) => {
  const hooks = deps.repos.webhooks;
  const audit = deps.repos.audit;

  const view = (e: EndpointRow) => {
    const s = hooks.stats(e.id);
    const now = deps.now();
    return {
      id: e.id,
      url: e.url,
      events: JSON.parse(e.events_json) as string[],
      description: e.description,
      state: e.state,
      stateReason: e.state_reason,
      timeoutMs: e.timeout_ms,
      createdAt: e.created_at,
      lastSuccessAt: e.last_success_at,
      lastError: e.last_error_at === null ? null : { at: e.last_error_at, status: e.last_error_status, message: e.last_error ?? "" },
      queued: s.pending,
      oldestPendingAt: s.oldest_pending_at,
      failed: s.failed,
      delivered: s.delivered,
      rotatingUntil: e.previous_secret && e.previous_until !== null && e.previous_until > now ? e.previous_until : null,
    };
  };
  const audited = (e: EndpointRow) => ({ ...view(e), secret: undefined });
  const need = (id: number) => {
    const e = hooks.get(id);
    if (!e) throw new AppError(404, "not_found", `webhook endpoint ${id} does not exist`);
    return e;
  };
  const setState = async (ctx: { params: { id: number }; request: Request }, state: "active" | "paused") => {
    need(ctx.params.id);
    const after = await deps.writes.enqueue(() => {
      const before = need(ctx.params.id);
      const r = hooks.setState(ctx.params.id, state, state === "paused" ? "paused by staff" : null, deps.now())!;
      audit.record(actor(ctx), state === "paused" ? "webhook.pause" : "webhook.resume", "webhook", String(r.id), audited(before), audited(r));
      return r;
    });
    return view(after);
  };

  return new Elysia({ name: "staff-integrations", prefix: "/api/v1" })
    .use(guard)
    .get("/api-keys", () => listKeys(deps), { admin: true, response: t.Array(KeyView), detail: { summary: "API keys (admin; never the key itself)", tags: ["integrations"] } })
    .post(
      "/api-keys",
      async (ctx) => {
        const by = actor(ctx);
        const r = await deps.writes
          .enqueue(() => createKey(deps, { name: ctx.body.name.trim(), scopes: [...new Set(ctx.body.scopes)] as Scope[], ratePerMinute: ctx.body.ratePerMinute, by }))
          .catch((e) => {
            if (e instanceof ApiKeyError) throw new AppError(409, "conflict", e.message);
            throw e;
          });
        ctx.set.status = 201;
        return { ...r.view, key: r.key };
      },
      {
        admin: true,
        body: t.Object(
          {
            name: t.String({ minLength: 1, maxLength: 100, pattern: "\\S" }),
            scopes: t.Array(t.Union(SCOPES.map((s) => t.Literal(s))), { minItems: 1, maxItems: SCOPES.length }),
            ratePerMinute: t.Optional(t.Integer({ minimum: 1, maximum: 100000, description: "requests a minute (default 600)" })),
          },
          { additionalProperties: false },
        ),
        response: { 201: t.Composite([KeyView, t.Object({ key: t.String({ description: "Authorization: Bearer <key>; shown only now" }) })]) },
        detail: { summary: "Create an API key (admin); the answer is the only time the key is shown", tags: ["integrations"] },
      },
    )
    .delete(
      "/api-keys/:id",
      async (ctx) => {
        const r = await deps.writes.enqueue(() => revokeKey(deps, ctx.params.id, actor(ctx)));
        if (!r) throw new AppError(404, "not_found", `no live API key ${ctx.params.id}`);
        return r;
      },
      { admin: true, params: IdParams, response: KeyView, detail: { summary: "Revoke an API key (admin): it stops working at once", tags: ["integrations"] } },
    )
    .get("/webhooks", () => hooks.list().map(view), {
      admin: true,
      response: t.Array(EndpointView),
      detail: { summary: "Webhook endpoints with their state: last success, last error, queue (admin)", tags: ["integrations"] },
    })
    .post(
      "/webhooks",
      async (ctx) => {
        const secret = ctx.body.secret ?? newSecret();
        if (!secretKey(secret)) throw new AppError(422, "validation_failed", "secret must be whsec_ followed by 24 to 64 bytes in base64", { field: "secret" });
        const e = await deps.writes.enqueue(() => {
          const r = hooks.create(
            { url: ctx.body.url, events: [...new Set(ctx.body.events)], secret, timeoutMs: ctx.body.timeoutMs ?? 10000, description: ctx.body.description?.trim() || null },
            deps.now(),
          );
          audit.record(actor(ctx), "webhook.create", "webhook", String(r.id), null, audited(r));
          return r;
        });
        ctx.set.status = 201;
        return { id: e.id, secret };
      },
      {
        admin: true,
        body: t.Object(
          {
            url: Url,
            events: t.Array(EventName, { minItems: 1, maxItems: EVENT_TYPES.length + 1 }),
            secret: t.Optional(t.String({ minLength: 38, maxLength: 200, description: "whsec_<base64>; generated when left out" })),
            timeoutMs: t.Optional(TimeoutMs),
            description: t.Optional(t.Union([t.String({ maxLength: 200 }), t.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: t.Object({ id: t.Integer(), secret: t.String({ description: "whsec_…: verify signatures with it" }) }) },
        detail: {
          summary: "Register a webhook endpoint (admin)",
          description: `Events: ${EVENT_TYPES.join(", ")} (or *). Deliveries are signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature).`,
          tags: ["integrations"],
        },
      },
    )
    .get(
      "/webhooks/:id",
      ({ params, query }) => {
        const e = need(params.id);
        return { ...view(e), deliveries: hooks.recent(e.id, query.limit ?? 50) };
      },
      {
        admin: true,
        params: IdParams,
        query: t.Object({ limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })) }),
        detail: { summary: "One webhook endpoint and its latest deliveries (admin)", tags: ["integrations"] },
      },
    )
    .patch(
      "/webhooks/:id",
      async (ctx) => {
        need(ctx.params.id);
        const after = await deps.writes.enqueue(() => {
          const before = need(ctx.params.id);
          const r = hooks.update(
            ctx.params.id,
            {
              url: ctx.body.url,
              events: ctx.body.events ? [...new Set(ctx.body.events)] : undefined,
              timeoutMs: ctx.body.timeoutMs,
              description: ctx.body.description === undefined ? undefined : ctx.body.description?.trim() || null,
            },
            deps.now(),
          )!;
          audit.record(actor(ctx), "webhook.update", "webhook", String(r.id), audited(before), audited(r));
          return r;
        });
        return view(after);
      },
      {
        admin: true,
        params: IdParams,
        body: t.Object(
          {
            url: t.Optional(Url),
            events: t.Optional(t.Array(EventName, { minItems: 1, maxItems: EVENT_TYPES.length + 1 })),
            timeoutMs: t.Optional(TimeoutMs),
            description: t.Optional(t.Union([t.String({ maxLength: 200 }), t.Null()])),
          },
          { additionalProperties: false },
        ),
        response: EndpointView,
        detail: { summary: "Change a webhook endpoint's URL, events or timeout (admin)", tags: ["integrations"] },
      },
    )
    .delete(
      "/webhooks/:id",
      async (ctx) => {
        need(ctx.params.id);
        await deps.writes.enqueue(() => {
          const before = need(ctx.params.id);
          hooks.delete(ctx.params.id);
          audit.record(actor(ctx), "webhook.delete", "webhook", String(ctx.params.id), audited(before), null);
        });
        return { id: ctx.params.id, deleted: true };
      },
      { admin: true, params: IdParams, response: t.Object({ id: t.Integer(), deleted: t.Boolean() }), detail: { summary: "Delete a webhook endpoint and its queue (admin)", tags: ["integrations"] } },
    )
    .post("/webhooks/:id/pause", (ctx) => setState(ctx, "paused"), {
      admin: true,
      params: IdParams,
      response: EndpointView,
      detail: { summary: "Pause deliveries (events keep queueing) (admin)", tags: ["integrations"] },
    })
    .post("/webhooks/:id/resume", (ctx) => setState(ctx, "active"), {
      admin: true,
      params: IdParams,
      response: EndpointView,
      detail: { summary: "Resume a paused or disabled endpoint: its queue is sent in order (admin)", tags: ["integrations"] },
    })
    .post(
      "/webhooks/:id/rotate",
      async (ctx) => {
        need(ctx.params.id);
        const secret = newSecret();
        const graceHours = ctx.body?.graceHours ?? deps.settings.get("webhooks.rotationGraceHours");
        const until = deps.now() + Math.round(graceHours * 3600_000);
        await deps.writes.enqueue(() => {
          const before = need(ctx.params.id);
          const r = hooks.rotate(ctx.params.id, secret, until, deps.now())!;
          audit.record(actor(ctx), "webhook.rotate", "webhook", String(r.id), audited(before), { ...audited(r), previousValidUntil: until });
        });
        return { secret, previousValidUntil: until };
      },
      {
        admin: true,
        params: IdParams,
        body: t.Optional(t.Object({ graceHours: t.Optional(t.Number({ minimum: 0, maximum: 720 }) ) }, { additionalProperties: false })),
        response: t.Object({ secret: t.String(), previousValidUntil: t.Integer({ description: "epoch ms; until then both secrets sign every delivery" }) }),
        detail: { summary: "Rotate the secret: the new one signs at once, the old one too until the grace period ends (admin)", tags: ["integrations"] },
      },
    )
    .post(
      "/webhooks/:id/test",
      async (ctx) => {
        need(ctx.params.id);
        const r = await deps.writes.enqueue(() => {
          const ev = deps.repos.outbox.add(TEST_EVENT, { message: "a test event from bodydock", endpointId: ctx.params.id, sentBy: actor(ctx) }, deps.now(), ctx.params.id);
          audit.record(actor(ctx), "webhook.test", "webhook", String(ctx.params.id), null, { eventId: ev.eventId });
          return ev;
        });
        return { eventId: r.eventId };
      },
      { admin: true, params: IdParams, response: t.Object({ eventId: t.String() }), detail: { summary: "Queue a webhook.test event to this endpoint (admin)", tags: ["integrations"] } },
    )
    .post(
      "/webhooks/:id/replay",
      async (ctx) => {
        need(ctx.params.id);
        const b = ctx.body;
        if ((b.eventId === undefined) === (b.from === undefined)) throw new AppError(422, "validation_failed", "give eventId, or from and to", { field: "eventId" });
        if (b.from !== undefined && (b.to === undefined || b.to <= b.from)) throw new AppError(422, "validation_failed", "to must be after from", { field: "to" });
        const queued = await deps.writes.enqueue(() => {
          const n = b.eventId !== undefined ? (hooks.replayOne(ctx.params.id, b.eventId, deps.now()) ? 1 : -1) : hooks.replayRange(ctx.params.id, b.from!, b.to!, deps.now());
          if (n >= 0) audit.record(actor(ctx), "webhook.replay", "webhook", String(ctx.params.id), null, { ...b, queued: n });
          return n;
        });
        if (queued < 0) throw new AppError(404, "not_found", `no event ${b.eventId} in the outbox (events are kept webhooks.retentionDays days)`);
        return { queued };
      },
      {
        admin: true,
        params: IdParams,
        body: t.Object(
          {
            eventId: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
            from: t.Optional(t.Integer({ description: "epoch ms, inclusive" })),
            to: t.Optional(t.Integer({ description: "epoch ms, exclusive" })),
          },
          { additionalProperties: false },
        ),
        response: t.Object({ queued: t.Integer() }),
        detail: { summary: "Send one event, or every event of a time range, again (in order; failed ones too) (admin)", tags: ["integrations"] },
      },
    );
};
