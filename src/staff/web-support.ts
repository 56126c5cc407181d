/**
 * What the staff page needs from /api/v1 that no other staff plugin serves (issue 8):
 *   GET /api/v1/members/:id/measurements   ?from&to&limit  a member's history from every source
 *   GET /api/v1/measurements/:id           one measurement with its report, its member (and their age then, on the gym's calendar) and their last ones
 *   GET /api/v1/dashboard                  ?since&limit&offset  measurements made that day (newest first, paged), the claim queue size
 *   GET /api/v1/settings                   (admin) every setting in SETTING_DEFS with its schema (secrets masked)
 *   PUT /api/v1/settings/:key              (admin) change any of them: validated against its schema, audited (secrets as set/unset only)
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import type { MeasurementRow } from "../store/measurements-repo.ts";
import type { HistoryRow } from "../store/page-repo.ts";
import { SECRET_MASK, SettingError } from "../store/settings-repo.ts";
import { SETTING_DEFS, isSettingKey, settingDef, type SettingKey } from "../config/settings.ts";
import { actor, type StaffGuard } from "./guard.ts";
import { ageOn } from "../core/age.ts";

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

/**
 * The same JSON text as JSON.stringify(measurementView(r)), written without parsing the stored report and
 * impedance JSON only to serialise them again (issue 18: a member's all-time history is 1,000 reports,
 * ~1 MB; parsing and re-serialising them was most of the call's ~110 ms).
 */
export function measurementJson(r: HistoryRow): string {
  const s = JSON.stringify;
  return (
    `{"id":${r.id},"source":${s(r.source)},"status":${s(r.status)},"memberId":${s(r.member_id)},"measuredAt":${s(r.measured_at)},` +
    `"receivedAt":${s(r.received_at)},"clockSuspect":${r.clock_suspect === 1},"weightKg":${s(r.weight_kg)},"heartRate":${s(r.heart_rate)},` +
    `"eightElectrode":${r.eight_electrode === 1},"impedance":${r.impedance_json ?? "null"},"report":${r.indicators_json ?? "null"},` +
    `"reportNote":${s(r.indicators_note)},"device":{"id":${s(r.device_id)},"name":${s(r.device_name ?? null)},"model":${s(r.device_model ?? null)}}}`
  );
}

/** A secret's value in GET /settings is SECRET_MASK; sending it back unchanged is refused, not stored. */
export { SECRET_MASK };

/** The JSON Schema of a setting (TypeBox schemas are JSON Schema; the round trip drops TypeBox's symbols). */
const schemaJson = (key: SettingKey): unknown => JSON.parse(JSON.stringify(settingDef(key)!.schema));

export const webSupportApi = (deps: Deps, guard: StaffGuard) => {
  const { audit, members, page, claims } = deps.repos;

  return new Elysia({ name: "web-support", prefix: "/api/v1" })
    .use(guard)
    .get(
      "/members/:id/measurements",
      ({ params, query }) => {
        if (!members.get(params.id)) throw new AppError(404, "not_found", `member ${params.id} does not exist`);
        const rows = page.history(params.id, query.from ?? 0, query.to ?? 8.64e15, query.limit ?? 1000);
        // Typed as what it is (measurementView's JSON) for the page's Eden client; sent as text made once.
        return new Response(`[${rows.map(measurementJson).join(",")}]`, {
          headers: { "content-type": "application/json" },
        }) as unknown as Array<ReturnType<typeof measurementView>>;
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
        const r = page.measurement(params.id);
        if (!r) throw new AppError(404, "not_found", `measurement ${params.id} does not exist`);
        const member = r.member_id ? members.get(r.member_id) : null;
        const history = r.member_id ? page.lastBefore(r.member_id, r.measured_at + 1, 8).map(measurementView) : [];
        // The member's age on the day of the weighing, on the gym's calendar (core/age.ts: the one age function).
        const ageAtMeasurement = member?.birthday ? ageOn(member.birthday, r.measured_at, deps.settings.get("gym.timeZone")) : null;
        return { measurement: measurementView(r), member, history, ageAtMeasurement };
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
          pendingClaims: claims.pendingCount(),
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
        return {
          settings: SETTING_DEFS.map((d) => {
            const v = all.get(d.key)!;
            return { ...v, default: v.secret ? null : d.default, schema: schemaJson(d.key) };
          }),
        };
      },
      { admin: true, detail: { summary: "Every setting, its value, default and JSON Schema (admin; secrets masked)", tags: ["settings"] } },
    )
    .put(
      "/settings/:key",
      async (ctx) => {
        const key = ctx.params.key;
        if (!isSettingKey(key)) throw new AppError(404, "not_found", `no setting ${key}`);
        const secret = settingDef(key)!.secret === true;
        const value = ctx.body.value as never;
        if (secret && value === SECRET_MASK) {
          throw new AppError(422, "validation_failed", `${key} is a secret: send its new value, not the mask`, { field: "value" });
        }
        // A secret is audited as set or unset, never its value (like the Yolanda secret's fingerprint-only audit).
        const shown = (v: unknown) => (secret ? { set: v != null } : { value: v });
        await deps.writes
          .enqueue(() => {
            const before = deps.settings.get(key);
            deps.settings.set(key, value, actor(ctx));
            audit.record(actor(ctx), "setting.update", "setting", key, shown(before), shown(value));
          })
          .catch((e) => {
            if (e instanceof SettingError) throw new AppError(422, "validation_failed", e.message, { field: "value" });
            throw e;
          });
        const now = deps.settings.get(key);
        return { key, value: secret ? (now == null ? null : SECRET_MASK) : now };
      },
      {
        admin: true,
        params: t.Object({ key: t.String({ maxLength: 100 }) }),
        body: t.Object({ value: t.Unknown() }),
        detail: { summary: "Change any setting (admin; validated against its schema, audited; 404 for an unknown key)", tags: ["settings"] },
      },
    );
};
