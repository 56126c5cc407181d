/**
 * What the staff page needs from /api/v1 that no other staff plugin serves (issue 8):
 *   GET /api/v1/members/:id/measurements   ?from&to&limit  a member's history from every source
 *   GET /api/v1/measurements/:id           one measurement with its report, its member and their last ones
 *   GET /api/v1/dashboard                  ?since&limit&offset  measurements made that day (newest first, paged), the claim queue size
 *   GET /api/v1/settings                   (admin) the settings the settings page shows (secrets masked)
 *   PUT /api/v1/settings/:key              (admin) change one of them (audited)
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { auditRepo } from "../store/audit-repo.ts";
import { MembersRepo } from "../store/members-repo.ts";
import { PageRepo } from "../store/page-repo.ts";
import type { MeasurementRow } from "../store/measurements-repo.ts";
import { SettingError } from "../store/settings-repo.ts";
import { settingDef } from "../config/settings.ts";
import { actor, staffGuard } from "./guard.ts";

export function measurementView(r: MeasurementRow & { device_name?: string | null; device_model?: string | null }) {
  return {
    id: r.id,
    source: r.source,
    status: r.status,
    memberId: r.member_id,
    measuredAt: r.measured_at,
    receivedAt: r.received_at,
    clockSuspect: r.clock_suspect === 1,
    weightKg: r.weight_kg,
    heartRate: r.heart_rate,
    eightElectrode: r.eight_electrode === 1,
    impedance: r.impedance_json ? (JSON.parse(r.impedance_json) as unknown) : null,
    report: r.indicators_json ? (JSON.parse(r.indicators_json) as Record<string, unknown>) : null,
    reportNote: r.indicators_note,
    device: { id: r.device_id, name: r.device_name ?? null, model: r.device_model ?? null },
  };
}

const SETTINGS_FOR_PAGE = [
  "yolanda.mini.expectedIssuer",
  "yolanda.mini.expectedAppid",
  "yolanda.mini.clockToleranceSeconds",
  "youjiu.requireToken",
  "youjiu.autoActivate",
  "youjiu.tokenTtlSeconds",
  "youjiu.unknownCardMode",
  "youjiu.locale",
  "youjiu.defaultPushScene",
  "diagnostics.captureRetentionDays",
  "staff.sessionTtlHours",
  "lefu.autoApproveDevices",
];

export const webSupportApi = (deps: Deps) => {
  const audit = auditRepo(deps);
  const members = new MembersRepo(deps.db);
  const withDevice = "SELECT m.*, d.name AS device_name, d.model AS device_model FROM measurements m LEFT JOIN devices d ON d.id = m.device_id";
  const historyStmt = deps.db.query<MeasurementRow, [number, number, number, number]>(
    `${withDevice} WHERE m.member_id = ? AND m.status = 'assigned' AND m.measured_at >= ? AND m.measured_at < ? ORDER BY m.measured_at DESC LIMIT ?`,
  );
  const oneStmt = deps.db.query<MeasurementRow, [number]>(`${withDevice} WHERE m.id = ?`);
  const page = new PageRepo(deps.db);
  const pendingStmt = deps.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM measurements WHERE status = 'unassigned'");

  return new Elysia({ name: "web-support", prefix: "/api/v1" })
    .use(staffGuard(deps))
    .get(
      "/members/:id/measurements",
      ({ params, query }) => {
        if (!members.get(params.id)) throw new AppError(404, "not_found", `member ${params.id} does not exist`);
        return historyStmt.all(params.id, query.from ?? 0, query.to ?? 8.64e15, query.limit ?? 1000).map(measurementView);
      },
      {
        params: t.Object({ id: t.Integer({ minimum: 1 }) }),
        query: t.Object({
          from: t.Optional(t.Number({ description: "epoch ms, inclusive" })),
          to: t.Optional(t.Number({ description: "epoch ms, exclusive" })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 5000 })),
        }),
        detail: { summary: "A member's measurements from every source, newest first", tags: ["measurements"] },
      },
    )
    .get(
      "/measurements/:id",
      ({ params }) => {
        const r = oneStmt.get(params.id);
        if (!r) throw new AppError(404, "not_found", `measurement ${params.id} does not exist`);
        const member = r.member_id ? members.get(r.member_id) : null;
        const history = r.member_id ? historyStmt.all(r.member_id, 0, r.measured_at + 1, 8).map(measurementView) : [];
        return { measurement: measurementView(r), member, history };
      },
      { params: t.Object({ id: t.Integer({ minimum: 1 }) }), detail: { summary: "One measurement, its report, its member and their last ones", tags: ["measurements"] } },
    )
    .get(
      "/dashboard",
      ({ query }) => {
        const since = query.since ?? deps.now() - 24 * 3600 * 1000;
        const limit = query.limit ?? 50;
        const offset = query.offset ?? 0;
        // measured (not received) since then, newest first: a scale's backlog of old weighings is not "today's"
        const m = page.measured(since, since + 24 * 3600 * 1000 + 3600 * 1000, limit, offset);
        return {
          now: deps.now(),
          pendingClaims: pendingStmt.get()!.n,
          today: m.items.map((r) => ({ ...measurementView(r), memberName: r.member_name, memberNo: r.member_no })),
          todayTotal: m.total,
          limit,
          offset,
        };
      },
      {
        query: t.Object({
          since: t.Optional(t.Number({ description: "epoch ms; the page sends local midnight (default: 24 h ago)" })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })),
          offset: t.Optional(t.Integer({ minimum: 0 })),
        }),
        detail: { summary: "Measurements made since `since` (one day: newest first, paged) and the claim queue size", tags: ["dashboard"] },
      },
    )
    .get(
      "/settings",
      () => {
        const all = new Map(deps.settings.list().map((s) => [s.key, s]));
        return { settings: SETTINGS_FOR_PAGE.map((k) => all.get(k)!) };
      },
      { admin: true, detail: { summary: "The settings the staff page shows (admin; secrets masked)", tags: ["settings"] } },
    )
    .put(
      "/settings/:key",
      async (ctx) => {
        const key = ctx.params.key;
        if (!SETTINGS_FOR_PAGE.includes(key) || !settingDef(key)) throw new AppError(404, "not_found", `no setting ${key} on this page`);
        await deps.writes
          .enqueue(() => {
            const before = deps.settings.get(key);
            deps.settings.set(key, ctx.body.value, actor(ctx));
            audit.record(actor(ctx), "setting.update", "setting", key, { value: before }, { value: ctx.body.value });
          })
          .catch((e) => {
            if (e instanceof SettingError) throw new AppError(422, "validation_failed", e.message, { field: "value" });
            throw e;
          });
        return { key, value: deps.settings.get(key) };
      },
      {
        admin: true,
        params: t.Object({ key: t.String({ maxLength: 100 }) }),
        body: t.Object({ value: t.Unknown() }),
        detail: { summary: "Change one of those settings (admin, audited)", tags: ["settings"] },
      },
    );
};
