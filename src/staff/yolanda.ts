/**
 * Staff API for Yolanda scales (device-protocols §3.2, §3.5, §3.7, §5.2–§5.3):
 *   GET    /api/v1/yolanda/scales                           scales with their slots 1–8 (and why a slot is not sent)
 *   GET    /api/v1/yolanda/scales/:mac                      one scale
 *   POST   /api/v1/yolanda/scales/:mac/slots          {memberId}  the lowest free slot; 409 scale_full (free one first)
 *   PUT    /api/v1/yolanda/scales/:mac/slots/:index   {memberId}  a given slot; 409 slot_taken / already_on_scale
 *   DELETE /api/v1/yolanda/scales/:mac/slots/:index             free a slot (soft delete; history kept)
 *   PUT    /api/v1/yolanda/scales/:mac/scale-key      {scaleKey}  the 16-character key a v1.0.x relay asks for (null clears)
 *   GET    /api/v1/yolanda/mini                                WSP Mini set-up: whether a secret is set (fingerprint only), checks
 *   PUT    /api/v1/yolanda/mini/secret                {secret, keepPrevious?}  set or rotate the WSP Mini secret
 *   DELETE /api/v1/yolanda/mini/secret-previous                end a rotation
 *
 * Secrets (the WSP Mini secret, scale keys) are written here but never returned
 * or audited in clear: responses and audit rows carry a fingerprint or a flag.
 * Paths avoid the device routers' shapes (§1.3): nothing ends in
 * /wsp-mini/users, /wsp-mini/measurements or /wsp/<x>.
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { type StaffGuard } from "./guard.ts";
import { mac as macOf } from "../devices/common/coerce.ts";
import { fingerprint } from "../devices/yolanda/access.ts";
import { AppError } from "../http/errors.ts";
import { SLOT_MAX, SLOT_MIN, SlotError, slotProblems, type SlotRow, type YolandaScaleRow } from "../store/yolanda-repo.ts";

export interface YolandaStaffOptions {
  /** Records a staff change in the audit log. Runs inside the same write job. */
  audit: (actor: string, action: string, entity: string, entityId: string, before: unknown, after: unknown) => void;
  /** The acting staff username for a request. */
  actor: (ctx: { request: Request; store: unknown }) => string;
}

/** A scale counts as online when heard from within this window. */
const ONLINE_WINDOW_MS = 10 * 60 * 1000;

const SLOT_STATUS: Record<SlotError["code"], number> = {
  slot_taken: 409,
  already_on_scale: 409,
  slot_empty: 404,
  member_not_found: 422,
  no_user_key: 409,
};

function toHttp(e: unknown): never {
  if (e instanceof SlotError) throw new AppError(SLOT_STATUS[e.code], e.code, e.message, e.code === "member_not_found" ? { field: "memberId" } : {});
  throw e;
}

function parseMac(raw: string): string {
  const m = macOf(decodeURIComponent(raw));
  if (!m) throw new AppError(422, "validation_failed", "mac: not a MAC address (12 hex digits)", { field: "mac" });
  return m;
}

const MemberBody = t.Object({ memberId: t.Integer({ minimum: 1 }) }, { additionalProperties: false });
const SlotParams = t.Object({ mac: t.String({ minLength: 1, maxLength: 64 }), index: t.Integer({ minimum: SLOT_MIN, maximum: SLOT_MAX }) });
const MacParams = t.Object({ mac: t.String({ minLength: 1, maxLength: 64 }) });

export const yolandaStaffApi = (deps: Deps, guard: StaffGuard, opts: YolandaStaffOptions) => {
  const repo = deps.repos.yolanda;

  function scaleView(mac: string, d: YolandaScaleRow | null) {
    const now = deps.now();
    const slots = repo.slotMembers(mac).map((s) => {
      const problems = slotProblems(s);
      return {
        userIndex: s.user_index,
        memberId: s.member_id,
        memberName: s.member_name,
        userKey: s.user_key,
        assignedAt: s.assigned_at,
        // Left out of the list sent to Yolanda, with the reasons staff must fix (§3.3).
        sentToYolanda: problems.length === 0,
        problems,
      };
    });
    const used = new Set(slots.map((s) => s.userIndex));
    const freeSlots: number[] = [];
    for (let i = SLOT_MIN; i <= SLOT_MAX; i++) if (!used.has(i)) freeSlots.push(i);
    return {
      mac,
      deviceId: d?.id ?? null,
      name: d?.name ?? null,
      family: d?.family ?? "unknown",
      firstSeen: d?.first_seen ?? null,
      lastSeen: d?.last_seen ?? null,
      online: d ? now - d.last_seen <= ONLINE_WINDOW_MS && d.family !== "unknown" : false,
      lastIp: d?.last_ip ?? null,
      lastModelId: d?.last_model_id ?? null,
      hasScaleKey: (d?.scale_secret_key ?? null) !== null,
      duplicates: d?.dup_count ?? 0,
      slots,
      freeSlots,
      full: freeSlots.length === 0,
      // Freed slots a v1.0.x relay has not synced yet (cleared on its finish_info_sync).
      pendingRemovals: repo.pendingPurge(mac).map((r) => ({ userIndex: r.user_index, memberId: r.member_id, removedAt: r.removed_at })),
    };
  }

  const slotAudit = (r: SlotRow) => ({ mac: r.mac, userIndex: r.user_index, memberId: r.member_id, userKey: r.user_key });

  function miniView() {
    const s = deps.settings;
    const secret = s.get("yolanda.mini.jwtSecret") || null;
    const previous = s.get("yolanda.mini.jwtSecretPrevious") || null;
    return {
      secretConfigured: secret !== null,
      secretFingerprint: secret ? fingerprint(secret) : null,
      previousConfigured: previous !== null,
      previousFingerprint: previous ? fingerprint(previous) : null,
      expectedAppid: s.get("yolanda.mini.expectedAppid"),
      expectedIssuer: s.get("yolanda.mini.expectedIssuer"),
      clockToleranceSeconds: s.get("yolanda.mini.clockToleranceSeconds"),
      maxTokenAgeSeconds: s.get("yolanda.mini.maxTokenAgeSeconds"),
      usersPath: "/wsp-mini/users",
      measurementsPath: "/wsp-mini/measurements",
    };
  }

  /** Runs settings writes and their audit row in one write job; a failed job leaves no stale cached value. */
  async function settingsJob<T>(fn: () => T): Promise<T> {
    try {
      return await deps.writes.enqueue(fn);
    } catch (e) {
      deps.settings.invalidate();
      throw e;
    }
  }

  return new Elysia({ name: "staff-yolanda", prefix: "/api/v1/yolanda" })
    .use(guard)
    .get(
      "/scales",
      () => {
        const rows = new Map(repo.scales().map((d) => [d.device_key, d]));
        const macs = new Set([...rows.keys(), ...repo.macsWithSlots()]);
        return [...macs].sort().map((m) => scaleView(m, rows.get(m) ?? null));
      },
      { detail: { summary: "Yolanda scales with their slots 1–8", tags: ["yolanda"] } },
    )
    .get(
      "/scales/:mac",
      ({ params }) => {
        const mac = parseMac(params.mac);
        const d = repo.scale(mac);
        if (!d && repo.activeSlots(mac).length === 0) throw new AppError(404, "not_found", `no Yolanda scale ${mac}`);
        return scaleView(mac, d);
      },
      { params: MacParams, detail: { summary: "One Yolanda scale", tags: ["yolanda"] } },
    )
    .post(
      "/scales/:mac/slots",
      async (ctx) => {
        const mac = parseMac(ctx.params.mac);
        const by = opts.actor(ctx);
        await deps.writes
          .enqueue(() => {
            const free = scaleView(mac, repo.scale(mac)).freeSlots;
            if (free.length === 0) {
              throw new AppError(409, "scale_full", `scale ${mac} already has ${SLOT_MAX} members; choose a slot to free first`, {
                slots: repo.activeSlots(mac).map((s) => ({ userIndex: s.user_index, memberId: s.member_id })),
              });
            }
            const row = repo.assign(mac, free[0]!, ctx.body.memberId, deps.now(), by);
            opts.audit(by, "yolanda.slot.assign", "yolanda_slot", `${mac}#${row.user_index}`, null, slotAudit(row));
            return row;
          })
          .catch(toHttp);
        return scaleView(mac, repo.scale(mac));
      },
      { params: MacParams, body: MemberBody, detail: { summary: "Put a member into the lowest free slot", tags: ["yolanda"] } },
    )
    .put(
      "/scales/:mac/slots/:index",
      async (ctx) => {
        const mac = parseMac(ctx.params.mac);
        const by = opts.actor(ctx);
        await deps.writes
          .enqueue(() => {
            const row = repo.assign(mac, ctx.params.index, ctx.body.memberId, deps.now(), by);
            opts.audit(by, "yolanda.slot.assign", "yolanda_slot", `${mac}#${row.user_index}`, null, slotAudit(row));
          })
          .catch(toHttp);
        return scaleView(mac, repo.scale(mac));
      },
      { params: SlotParams, body: MemberBody, detail: { summary: "Put a member into a given slot (it must be free)", tags: ["yolanda"] } },
    )
    .delete(
      "/scales/:mac/slots/:index",
      async (ctx) => {
        const mac = parseMac(ctx.params.mac);
        const by = opts.actor(ctx);
        await deps.writes
          .enqueue(() => {
            const row = repo.free(mac, ctx.params.index, deps.now(), by);
            opts.audit(by, "yolanda.slot.free", "yolanda_slot", `${mac}#${row.user_index}`, slotAudit(row), null);
          })
          .catch(toHttp);
        return scaleView(mac, repo.scale(mac));
      },
      { params: SlotParams, detail: { summary: "Free a slot (kept in history for attribution)", tags: ["yolanda"] } },
    )
    .put(
      "/scales/:mac/scale-key",
      async (ctx) => {
        const mac = parseMac(ctx.params.mac);
        const by = opts.actor(ctx);
        await deps.writes.enqueue(() => {
          const before = repo.scaleKey(mac) !== null;
          repo.setScaleKey(mac, ctx.body.scaleKey, deps.now());
          opts.audit(by, "yolanda.scale_key.set", "device", mac, { hasScaleKey: before }, { hasScaleKey: ctx.body.scaleKey !== null });
        });
        return scaleView(mac, repo.scale(mac));
      },
      { admin: true,
        params: MacParams,
        body: t.Object({ scaleKey: t.Union([t.String({ minLength: 16, maxLength: 16, pattern: "^[\\x21-\\x7e]{16}$" }), t.Null()]) }, { additionalProperties: false }),
        detail: { summary: "Set the 16-character key a WSP Docker v1.0.x relay asks for (never returned)", tags: ["yolanda"] },
      },
    )
    .get("/mini", () => miniView(), { detail: { summary: "WSP Mini set-up (the secret is never returned)", tags: ["yolanda"] } })
    .put(
      "/mini/secret",
      async (ctx) => {
        const by = opts.actor(ctx);
        const { secret, keepPrevious } = ctx.body;
        await settingsJob(() => {
          const before = miniView();
          const current = deps.settings.get("yolanda.mini.jwtSecret") || null;
          // Rotation: the old secret keeps working until staff end it, so Yolanda can switch without a gap.
          if (keepPrevious !== false && current !== null && current !== secret) deps.settings.set("yolanda.mini.jwtSecretPrevious", current, by);
          if (keepPrevious === false) deps.settings.set("yolanda.mini.jwtSecretPrevious", null, by);
          deps.settings.set("yolanda.mini.jwtSecret", secret, by);
          const after = miniView();
          opts.audit(by, "yolanda.mini.secret.set", "setting", "yolanda.mini.jwtSecret",
            { fingerprint: before.secretFingerprint, previousFingerprint: before.previousFingerprint },
            { fingerprint: after.secretFingerprint, previousFingerprint: after.previousFingerprint });
        });
        return miniView();
      },
      { admin: true,
        body: t.Object(
          {
            // Long and random: Yolanda signs every call with it (§5.2). Printable ASCII, no spaces.
            secret: t.String({ minLength: 16, maxLength: 512, pattern: "^[\\x21-\\x7e]+$" }),
            keepPrevious: t.Optional(t.Boolean()),
          },
          { additionalProperties: false },
        ),
        detail: { summary: "Set or rotate the WSP Mini secret (keepPrevious, default true, accepts the old one until ended)", tags: ["yolanda"] },
      },
    )
    .delete(
      "/mini/secret-previous",
      async (ctx) => {
        const by = opts.actor(ctx);
        await settingsJob(() => {
          const before = miniView().previousFingerprint;
          deps.settings.set("yolanda.mini.jwtSecretPrevious", null, by);
          opts.audit(by, "yolanda.mini.secret_previous.clear", "setting", "yolanda.mini.jwtSecretPrevious", { fingerprint: before }, { fingerprint: null });
        });
        return miniView();
      },
      { admin: true, detail: { summary: "End a rotation: only the current WSP Mini secret is accepted", tags: ["yolanda"] } },
    );
};
