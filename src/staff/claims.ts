/**
 * Staff API: the claim queue and Lefu identities (device-protocols §1.9, §2.4).
 *   GET  /api/v1/claims                      measurements waiting to be claimed (with suggestions)
 *   POST /api/v1/claims/:id/assign {memberId} assign one (report recomputed with that member's profile)
 *   POST /api/v1/claims/:id/discard           tombstone it (kept, never deleted)
 *   POST /api/v1/claims/:id/restore           undo a discard (it waits to be claimed again)
 *   GET  /api/v1/claims/facets                the devices and sources claims come from (filters)
 *   GET  /api/v1/lefu-identities             Lefu memberids seen, with pending counts (?unlinked=true)
 *   PUT  /api/v1/lefu-identities/:memberid {memberId, assignPending?}  link once; optionally assign all its pending rows
 * Paths avoid the device routers' shapes (§1.3: never /lefu/wifi/...).
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { ClaimError, ClaimsRepo } from "../store/claims-repo.ts";
import { MembersRepo } from "../store/members-repo.ts";
import type { MeasurementRow } from "../store/measurements-repo.ts";

export interface ClaimsOptions {
  /** Recomputes a measurement's report for a member (null indicators when impossible, with a note). */
  report: (row: MeasurementRow, memberId: number) => { indicators: unknown | null; note: string | null; profileMemberId?: number | null };
  /** Records a staff change in the audit log. Runs inside the same write job. */
  audit: (actor: string, action: string, entity: string, entityId: string, before: unknown, after: unknown) => void;
  /** The acting staff username for a request. */
  actor: (ctx: { request: Request; store: unknown }) => string;
}

function toHttp(e: unknown): never {
  if (e instanceof ClaimError) {
    const status = e.code === "not_found" ? 404 : e.code === "no_member" ? 422 : 409;
    throw new AppError(status, e.code, e.message, e.code === "no_member" ? { field: "memberId" } : {});
  }
  throw e;
}

export function claimView(r: MeasurementRow & { device_name?: string | null; device_sn?: string | null; device_mac?: string | null; device_model?: string | null }) {
  return {
    id: r.id,
    source: r.source,
    status: r.status,
    claimReason: r.claim_reason,
    memberId: r.member_id,
    measuredAt: r.measured_at,
    clockSuspect: r.clock_suspect === 1,
    receivedAt: r.received_at,
    weightKg: r.weight_kg,
    heartRate: r.heart_rate,
    impedanceCount: r.impedance_json ? (JSON.parse(r.impedance_json) as unknown[]).length : 0,
    suggestedMemberId: r.suggested_member_id,
    candidates: r.candidates_json ? (JSON.parse(r.candidates_json) as number[]) : [],
    lefuMemberid: r.lefu_memberid,
    device: { id: r.device_id, name: r.device_name ?? null, sn: r.device_sn ?? null, mac: r.device_mac ?? null, model: r.device_model ?? null },
    reportNote: r.indicators_note,
    hasReport: r.indicators_json !== null,
    bodyfat: bodyfatOf(r.indicators_json),
  };
}

function bodyfatOf(json: string | null): number | null {
  if (!json) return null;
  try {
    const v = (JSON.parse(json) as { bodyfat?: unknown }).bodyfat;
    return typeof v === "number" ? v : null;
  } catch {
    return null;
  }
}

const Paging = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: t.Optional(t.Integer({ minimum: 0, default: 0 })),
});

export const claimsApi = (deps: Deps, opts: ClaimsOptions) => {
  const claims = deps.repos.claims;
  const members = deps.repos.members;
  /** The suggested members by name and member number (the README promises suggestions staff can read). */
  const suggestions = (c: ReturnType<typeof claimView>) =>
    [...new Set([...(c.suggestedMemberId ? [c.suggestedMemberId] : []), ...c.candidates])].flatMap((id) => {
      const m = members.get(id);
      return m ? [{ id: m.id, name: m.name, memberNo: m.memberNo, status: m.status }] : [];
    });
  return new Elysia({ name: "staff-claims", prefix: "/api/v1" })
    .get(
      "/claims",
      ({ query }) => {
        const { items, total } = claims.list(query.status ?? "unassigned", query.limit ?? 50, query.offset ?? 0, { deviceId: query.deviceId, source: query.source });
        return { items: items.map(claimView).map((c) => ({ ...c, suggestions: suggestions(c) })), total };
      },
      {
        query: t.Composite([
          Paging,
          t.Object({
            status: t.Optional(t.Union([t.Literal("unassigned"), t.Literal("discarded")])),
            deviceId: t.Optional(t.Integer({ minimum: 1, description: "only this device's" })),
            source: t.Optional(t.String({ maxLength: 40, description: "only this source's (lefu-torre, wsp-mini, …)" })),
          }),
        ]),
        detail: { summary: "Measurements waiting to be claimed, with the suggested members by name", tags: ["claims"] },
      },
    )
    .get("/claims/facets", ({ query }) => claims.facets(query.status ?? "unassigned"), {
      query: t.Object({ status: t.Optional(t.Union([t.Literal("unassigned"), t.Literal("discarded")])) }),
      detail: { summary: "The devices and sources of the claims, for filters", tags: ["claims"] },
    })
    .post(
      "/claims/:id/restore",
      async (ctx) => {
        const by = opts.actor(ctx);
        const { after } = await deps.writes
          .enqueue(() => {
            const r = claims.restore(ctx.params.id);
            opts.audit(by, "claim.restore", "measurement", String(ctx.params.id), claimView(r.before), claimView(r.after));
            return r;
          })
          .catch(toHttp);
        return claimView(after);
      },
      {
        params: t.Object({ id: t.Integer({ minimum: 1 }) }),
        detail: { summary: "Undo a discard: the measurement waits to be claimed again", tags: ["claims"] },
      },
    )
    .post(
      "/claims/:id/assign",
      async (ctx) => {
        const by = opts.actor(ctx);
        const { after } = await deps.writes
          .enqueue(() => {
            const r = claims.assign(ctx.params.id, ctx.body.memberId, by, deps.now(), opts.report);
            opts.audit(by, "claim.assign", "measurement", String(ctx.params.id), claimView(r.before), claimView(r.after));
            return r;
          })
          .catch(toHttp);
        return claimView(after);
      },
      {
        params: t.Object({ id: t.Integer({ minimum: 1 }) }),
        body: t.Object({ memberId: t.Integer({ minimum: 1 }) }),
        detail: { summary: "Assign a pending measurement to a member", tags: ["claims"] },
      },
    )
    .post(
      "/claims/:id/discard",
      async (ctx) => {
        const by = opts.actor(ctx);
        const { after } = await deps.writes
          .enqueue(() => {
            const r = claims.discard(ctx.params.id, by, deps.now());
            opts.audit(by, "claim.discard", "measurement", String(ctx.params.id), claimView(r.before), claimView(r.after));
            return r;
          })
          .catch(toHttp);
        return claimView(after);
      },
      {
        params: t.Object({ id: t.Integer({ minimum: 1 }) }),
        detail: { summary: "Discard a pending measurement (kept as a tombstone)", tags: ["claims"] },
      },
    )
    .get(
      "/lefu-identities",
      ({ query }) =>
        claims.identities(query.unlinked === true, query.limit ?? 50, query.offset ?? 0).map((i) => ({
          memberid: i.memberid,
          userid: i.userid,
          memberId: i.member_id,
          memberName: i.member_name,
          deviceId: i.device_id,
          firstSeen: i.first_seen,
          lastSeen: i.last_seen,
          pending: i.pending,
        })),
      {
        query: t.Composite([Paging, t.Object({ unlinked: t.Optional(t.Boolean()) })]),
        detail: { summary: "Lefu user ids seen on Torre scales", tags: ["claims"] },
      },
    )
    .put(
      "/lefu-identities/:memberid",
      async (ctx) => {
        const by = opts.actor(ctx);
        const { memberid } = ctx.params;
        return deps.writes
          .enqueue(() => {
            const link = claims.link(memberid, ctx.body.memberId);
            opts.audit(by, "lefu_identity.link", "lefu_identity", memberid, link.before, link.after);
            let assigned = 0;
            if (ctx.body.memberId !== null && ctx.body.assignPending !== false) {
              for (const row of claims.pendingOfIdentity(memberid)) {
                const r = claims.assign(row.id, ctx.body.memberId, by, deps.now(), opts.report);
                opts.audit(by, "claim.assign", "measurement", String(row.id), claimView(r.before), claimView(r.after));
                assigned++;
              }
            }
            return { memberid, memberId: link.after.member_id, assigned };
          })
          .catch(toHttp);
      },
      {
        params: t.Object({ memberid: t.String({ minLength: 1, maxLength: 200 }) }),
        body: t.Object({ memberId: t.Union([t.Integer({ minimum: 1 }), t.Null()]), assignPending: t.Optional(t.Boolean()) }),
        detail: { summary: "Link a Lefu identity to a member (and assign its pending measurements)", tags: ["claims"] },
      },
    );
};
