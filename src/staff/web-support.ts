/**
 * What the staff page needs from /api/v1 that no other plugin serves yet (issue 8).
 *
 * It mounts the existing staff plugins behind the guard (auth, claims, devices,
 * youjiu, yolanda; Elysia de-duplicates them by name if app.ts mounts them too) and adds:
 *   GET    /api/v1/members                    ?q&status&limit&offset  search (name, phone, member no, card, code)
 *   POST   /api/v1/members                    create
 *   GET    /api/v1/members/:id                one member with credentials
 *   PATCH  /api/v1/members/:id                edit
 *   POST   /api/v1/members/:id/status         {status: active|suspended}
 *   POST   /api/v1/members/:id/credentials    {kind, value, label?}
 *   DELETE /api/v1/members/:id/credentials/:cid
 *   GET    /api/v1/members/:id/measurements   ?from&to  history from every source
 *   GET    /api/v1/members-export.csv         CSV export
 *   POST   /api/v1/members-import             CSV text → per-row report
 *   GET    /api/v1/measurements/:id           one measurement with its report and the member's last ones
 *   GET    /api/v1/dashboard                  today's measurements, pending claims
 *   GET    /api/v1/settings, PUT /api/v1/settings/:key   (admin; secrets masked, write-only)
 *   GET    /api/v1/audit                      (admin)
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { AuditRepo } from "../store/audit-repo.ts";
import { MemberError, MembersRepo, MEMBER_FIELDS, type Member, type MemberInput } from "../store/members-repo.ts";
import type { MeasurementRow } from "../store/measurements-repo.ts";
import { SettingError } from "../store/settings-repo.ts";
import { settingDef } from "../config/settings.ts";
import { isIsoDate } from "../core/members.ts";
import { authApi } from "./auth.ts";
import { claimsApi } from "./claims.ts";
import { devicesApi } from "./devices.ts";
import { actor, staffGuard } from "./guard.ts";
import { yolandaStaffApi } from "./yolanda.ts";
import { youjiuStaffApi } from "./youjiu.ts";

function memberHttp(e: unknown): never {
  if (e instanceof MemberError) {
    const status = e.code === "not_found" ? 404 : e.code === "invalid" ? 422 : 409;
    throw new AppError(status, e.code === "invalid" ? "validation_failed" : e.code, e.message, e.extra);
  }
  throw e;
}

const nullable = <T extends ReturnType<typeof t.String>>(s: T) => t.Optional(t.Union([s, t.Null()]));
const MemberBody = t.Object(
  {
    memberNo: nullable(t.String({ maxLength: 64 })),
    name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
    nickname: nullable(t.String({ maxLength: 200 })),
    phone: nullable(t.String({ maxLength: 50 })),
    email: nullable(t.String({ maxLength: 200 })),
    sex: t.Optional(t.Union([t.Literal("male"), t.Literal("female"), t.Literal("unspecified")])),
    birthday: nullable(t.String({ maxLength: 10 })),
    heightCm: t.Optional(t.Union([t.Number({ minimum: 50, maximum: 250 }), t.Null()])),
    referenceWeightKg: t.Optional(t.Union([t.Number({ minimum: 10, maximum: 400 }), t.Null()])),
    goalWeightKg: t.Optional(t.Union([t.Number({ minimum: 10, maximum: 400 }), t.Null()])),
    athlete: t.Optional(t.Boolean()),
    notes: nullable(t.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
type MemberBodyT = typeof MemberBody.static;

/** Empty strings become null; a birthday must be a real date. */
function cleanMember(b: MemberBodyT): Partial<MemberInput> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    out[k] = typeof v === "string" && k !== "name" ? (v.trim() === "" ? null : v.trim()) : v;
  }
  if (typeof out.name === "string") out.name = out.name.trim();
  if (out.name === "") throw new AppError(422, "validation_failed", "name: required", { field: "name" });
  if (typeof out.birthday === "string" && !isIsoDate(out.birthday)) throw new AppError(422, "validation_failed", "birthday: use YYYY-MM-DD", { field: "birthday" });
  return out as Partial<MemberInput>;
}

function fullInput(p: Partial<MemberInput>): MemberInput {
  return {
    memberNo: null,
    nickname: null,
    phone: null,
    email: null,
    sex: "unspecified",
    birthday: null,
    heightCm: null,
    referenceWeightKg: null,
    goalWeightKg: null,
    athlete: false,
    avatarUrl: null,
    notes: null,
    extendData: null,
    ...p,
    name: p.name ?? "",
  };
}

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

// ---- CSV ----
const CSV_COLUMNS = ["id", ...MEMBER_FIELDS.filter((f) => f !== "avatarUrl" && f !== "extendData"), "status", "cards", "codes"] as const;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  let s = typeof v === "boolean" ? (v ? "true" : "false") : String(v);
  // Spreadsheet formula injection: a leading =, +, -, @ is made text.
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = "'" + s;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 parser (quotes, doubled quotes, CRLF or LF); returns rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  const src = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"' && cell === "") quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && src[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ""));
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
  const audit = new AuditRepo(deps.db, deps.now);
  const record = audit.record.bind(audit);
  const members = new MembersRepo(deps.db);
  const byActor = (ctx: { request: Request }) => actor(ctx);
  const keepReport = (row: MeasurementRow) =>
    row.indicators_json
      ? { indicators: JSON.parse(row.indicators_json) as unknown, note: row.indicators_note }
      : { indicators: null, note: "report not recomputed: no computation core in this build" };

  const withDevice = "SELECT m.*, d.name AS device_name, d.model AS device_model FROM measurements m LEFT JOIN devices d ON d.id = m.device_id";
  const historyStmt = deps.db.query<MeasurementRow, [number, number, number, number]>(
    `${withDevice} WHERE m.member_id = ? AND m.status = 'assigned' AND m.measured_at >= ? AND m.measured_at < ? ORDER BY m.measured_at DESC LIMIT ?`,
  );
  const oneStmt = deps.db.query<MeasurementRow, [number]>(`${withDevice} WHERE m.id = ?`);
  const todayStmt = deps.db.query<MeasurementRow & { member_name: string | null }, [number]>(
    `SELECT m.*, d.name AS device_name, d.model AS device_model, mb.name AS member_name FROM measurements m
     LEFT JOIN devices d ON d.id = m.device_id LEFT JOIN members mb ON mb.id = m.member_id
     WHERE m.received_at >= ? AND m.status != 'discarded' ORDER BY m.received_at DESC LIMIT 50`,
  );
  const pendingStmt = deps.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM measurements WHERE status = 'unassigned'");

  const memberWithCreds = (m: Member) => ({ ...m, credentials: members.credentials(m.id) });

  return (
    new Elysia({ name: "web-support" })
      .use(staffGuard(deps))
      .use(authApi(deps, audit))
      .use(claimsApi(deps, { report: keepReport, audit: record, actor: byActor }))
      .use(devicesApi(deps, { audit: record, actor: byActor }))
      .use(youjiuStaffApi(deps, { audit: record, actor: byActor }))
      .use(yolandaStaffApi(deps, { audit: record, actor: byActor }))
      .group("/api/v1", (g) =>
        g
          .get(
            "/members",
            ({ query }) => {
              const r = members.search(query.q ?? null, query.status ?? null, query.limit ?? 25, query.offset ?? 0);
              return { items: r.items, total: r.total };
            },
            {
              query: t.Object({
                q: t.Optional(t.String({ maxLength: 200 })),
                status: t.Optional(t.Union([t.Literal("active"), t.Literal("suspended")])),
                limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })),
                offset: t.Optional(t.Integer({ minimum: 0 })),
              }),
              detail: { summary: "Search members", tags: ["members"] },
            },
          )
          .post(
            "/members",
            async (ctx) => {
              const input = fullInput(cleanMember(ctx.body));
              if (!input.name) throw new AppError(422, "validation_failed", "name: required", { field: "name" });
              const m = await deps.writes
                .enqueue(() => {
                  const row = members.create(input, deps.now());
                  record(byActor(ctx), "member.create", "member", String(row.id), null, row);
                  return row;
                })
                .catch(memberHttp);
              ctx.set.status = 201;
              return memberWithCreds(m);
            },
            { body: MemberBody, detail: { summary: "Create a member", tags: ["members"] } },
          )
          .get("/members/:id", ({ params }) => memberWithCreds((() => { try { return members.require(params.id); } catch (e) { return memberHttp(e); } })()), {
            params: t.Object({ id: t.Integer({ minimum: 1 }) }),
            detail: { summary: "One member with credentials", tags: ["members"] },
          })
          .patch(
            "/members/:id",
            async (ctx) => {
              const patch = cleanMember(ctx.body);
              const after = await deps.writes
                .enqueue(() => {
                  const r = members.update(ctx.params.id, patch, deps.now());
                  record(byActor(ctx), "member.update", "member", String(ctx.params.id), r.before, r.after);
                  return r.after;
                })
                .catch(memberHttp);
              return memberWithCreds(after);
            },
            { params: t.Object({ id: t.Integer({ minimum: 1 }) }), body: MemberBody, detail: { summary: "Edit a member", tags: ["members"] } },
          )
          .post(
            "/members/:id/status",
            async (ctx) => {
              const after = await deps.writes
                .enqueue(() => {
                  const r = members.setStatus(ctx.params.id, ctx.body.status, deps.now());
                  record(byActor(ctx), `member.${ctx.body.status === "active" ? "enable" : "disable"}`, "member", String(ctx.params.id), r.before, r.after);
                  return r.after;
                })
                .catch(memberHttp);
              return memberWithCreds(after);
            },
            {
              params: t.Object({ id: t.Integer({ minimum: 1 }) }),
              body: t.Object({ status: t.Union([t.Literal("active"), t.Literal("suspended")]) }),
              detail: { summary: "Disable (suspend) or enable a member", tags: ["members"] },
            },
          )
          .post(
            "/members/:id/credentials",
            async (ctx) => {
              const c = await deps.writes
                .enqueue(() => {
                  const r = members.addCredential(ctx.params.id, ctx.body.kind, ctx.body.value, ctx.body.label?.trim() || null, deps.now(), ctx.body.cardAs ?? "auto");
                  record(byActor(ctx), "credential.add", "member", String(ctx.params.id), null, r);
                  return r;
                })
                .catch(memberHttp);
              ctx.set.status = 201;
              return c;
            },
            {
              params: t.Object({ id: t.Integer({ minimum: 1 }) }),
              body: t.Object({
                kind: t.Union([t.Literal("card"), t.Literal("code")]),
                value: t.String({ minLength: 1, maxLength: 500 }),
                label: t.Optional(t.String({ maxLength: 100 })),
                cardAs: t.Optional(t.Union([t.Literal("auto"), t.Literal("dec"), t.Literal("hex")])),
              }),
              detail: { summary: "Add a card or code", tags: ["members"] },
            },
          )
          .delete(
            "/members/:id/credentials/:cid",
            async (ctx) =>
              deps.writes
                .enqueue(() => {
                  const c = members.deleteCredential(ctx.params.id, ctx.params.cid);
                  record(byActor(ctx), "credential.delete", "member", String(ctx.params.id), c, null);
                  return c;
                })
                .catch(memberHttp),
            { params: t.Object({ id: t.Integer({ minimum: 1 }), cid: t.Integer({ minimum: 1 }) }), detail: { summary: "Remove a credential", tags: ["members"] } },
          )
          .get(
            "/members/:id/measurements",
            ({ params, query }) => historyStmt.all(params.id, query.from ?? 0, query.to ?? 8.64e15, query.limit ?? 1000).map(measurementView),
            {
              params: t.Object({ id: t.Integer({ minimum: 1 }) }),
              query: t.Object({ from: t.Optional(t.Number()), to: t.Optional(t.Number()), limit: t.Optional(t.Integer({ minimum: 1, maximum: 5000 })) }),
              detail: { summary: "A member's measurements from every source", tags: ["members"] },
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
            { params: t.Object({ id: t.Integer({ minimum: 1 }) }), detail: { summary: "One measurement, its report and the member's last ones", tags: ["measurements"] } },
          )
          .get(
            "/dashboard",
            ({ query }) => {
              const since = query.since ?? deps.now() - 24 * 3600 * 1000;
              return {
                now: deps.now(),
                pendingClaims: pendingStmt.get()!.n,
                today: todayStmt.all(since).map((r) => ({ ...measurementView(r), memberName: r.member_name })),
              };
            },
            { query: t.Object({ since: t.Optional(t.Number()) }), detail: { summary: "Today's measurements and the claim queue size", tags: ["dashboard"] } },
          )
          .get(
            "/members-export.csv",
            ({ set }) => {
              const lines = [CSV_COLUMNS.join(",")];
              for (const m of members.all()) {
                const creds = members.credentials(m.id);
                const rec = m as unknown as Record<string, unknown>;
                lines.push(
                  CSV_COLUMNS.map((c) =>
                    csvCell(
                      c === "cards"
                        ? creds.filter((x) => x.kind === "card").map((x) => x.cardDec).join(" ")
                        : c === "codes"
                          ? creds.filter((x) => x.kind === "code").map((x) => x.code).join(" ")
                          : rec[c],
                    ),
                  ).join(","),
                );
              }
              set.headers["content-type"] = "text/csv; charset=utf-8";
              set.headers["content-disposition"] = 'attachment; filename="members.csv"';
              return "\uFEFF" + lines.join("\r\n") + "\r\n";
            },
            { detail: { summary: "Export members as CSV", tags: ["members"] } },
          )
          .post(
            "/members-import",
            async (ctx) => {
              const rows = parseCsv(ctx.body.csv);
              if (rows.length === 0) throw new AppError(422, "validation_failed", "csv: empty", { field: "csv" });
              const header = rows[0]!.map((h) => h.trim());
              const known = new Set<string>(CSV_COLUMNS);
              const unknown = header.filter((h) => !known.has(h));
              if (!header.includes("name")) throw new AppError(422, "validation_failed", "csv: the header needs a name column", { field: "csv" });
              const by = byActor(ctx);
              const results: Array<{ row: number; ok: boolean; memberId?: number; action?: "created" | "updated"; error?: string }> = [];
              for (let i = 1; i < rows.length; i++) {
                const cells = rows[i]!;
                const rec: Record<string, string> = {};
                header.forEach((h, j) => (rec[h] = (cells[j] ?? "").trim().replace(/^'(?=[=+\-@])/, "")));
                try {
                  const body: Record<string, unknown> = {};
                  for (const f of MEMBER_FIELDS) {
                    if (!(f in rec) || f === "avatarUrl" || f === "extendData") continue;
                    const v = rec[f]!;
                    if (f === "heightCm" || f === "referenceWeightKg" || f === "goalWeightKg") {
                      if (v === "") body[f] = null;
                      else if (!Number.isFinite(Number(v))) throw new Error(`${f}: not a number: ${v}`);
                      else body[f] = Number(v);
                    } else if (f === "athlete") body[f] = /^(1|true|yes|y)$/i.test(v);
                    else if (f === "sex") {
                      const s = v.toLowerCase();
                      body[f] = s === "" ? "unspecified" : s === "m" || s === "male" ? "male" : s === "f" || s === "female" ? "female" : s === "unspecified" ? "unspecified" : (() => { throw new Error(`sex: use male, female or unspecified, not ${v}`); })();
                    } else body[f] = v;
                  }
                  if (!rec.name) throw new Error("name: required");
                  if (body.birthday && !isIsoDate(String(body.birthday))) throw new Error(`birthday: use YYYY-MM-DD, not ${String(body.birthday)}`);
                  const h = body.heightCm as number | null | undefined;
                  if (h != null && (h < 50 || h > 250)) throw new Error(`heightCm: ${h} is outside 50–250`);
                  const patch = cleanMember(body as MemberBodyT);
                  const id = rec.id ? Number(rec.id) : null;
                  if (id !== null && !(Number.isInteger(id) && id > 0)) throw new Error(`id: not a member id: ${rec.id}`);
                  const status = rec.status === "suspended" ? "suspended" : rec.status === "active" || !rec.status ? null : (() => { throw new Error(`status: use active or suspended, not ${rec.status}`); })();
                  const res = await deps.writes.enqueue(() => {
                    const existing = id !== null ? members.get(id) : patch.memberNo ? members.byMemberNo(patch.memberNo) : null;
                    let m: Member;
                    let action: "created" | "updated";
                    if (existing) {
                      const r = members.update(existing.id, patch, deps.now());
                      record(by, "member.import_update", "member", String(existing.id), r.before, r.after);
                      m = r.after;
                      action = "updated";
                    } else {
                      m = members.create(fullInput(patch), deps.now(), id);
                      record(by, "member.import_create", "member", String(m.id), null, m);
                      action = "created";
                    }
                    if (status) m = members.setStatus(m.id, status, deps.now()).after;
                    const have = members.credentials(m.id);
                    for (const card of (rec.cards ?? "").split(/[\s;]+/).filter(Boolean)) {
                      const owner = members.ownerOfCard(card);
                      if (owner?.memberId === m.id) continue;
                      members.addCredential(m.id, "card", card, null, deps.now());
                    }
                    for (const code of (rec.codes ?? "").split(/[\s;]+/).filter(Boolean)) {
                      if (have.some((c) => c.code === code)) continue;
                      members.addCredential(m.id, "code", code, null, deps.now());
                    }
                    return { memberId: m.id, action };
                  });
                  results.push({ row: i + 1, ok: true, ...res });
                } catch (e) {
                  results.push({ row: i + 1, ok: false, error: e instanceof AppError || e instanceof MemberError || e instanceof Error ? e.message : String(e) });
                }
              }
              return {
                created: results.filter((r) => r.action === "created").length,
                updated: results.filter((r) => r.action === "updated").length,
                failed: results.filter((r) => !r.ok).length,
                ignoredColumns: unknown,
                rows: results,
              };
            },
            {
              body: t.Object({ csv: t.String({ maxLength: 900_000 }) }),
              detail: { summary: "Import members from CSV (one write per row; a bad row is reported, the others are kept)", tags: ["members"] },
            },
          )
          .get(
            "/settings",
            () => {
              const all = new Map(deps.settings.list().map((s) => [s.key, s]));
              const pick = (k: string) => all.get(k)!;
              return {
                settings: SETTINGS_FOR_PAGE.map(pick),
                yolandaMiniSecretSet: pick("yolanda.mini.jwtSecret").isSet,
              };
            },
            { admin: true, detail: { summary: "Settings shown on the settings page (secrets masked)", tags: ["settings"] } },
          )
          .put(
            "/settings/:key",
            async (ctx) => {
              const key = ctx.params.key;
              if (!SETTINGS_FOR_PAGE.includes(key) || !settingDef(key)) throw new AppError(404, "not_found", `no setting ${key} on this page`);
              await deps.writes
                .enqueue(() => {
                  const before = deps.settings.get(key);
                  deps.settings.set(key, ctx.body.value, byActor(ctx));
                  record(byActor(ctx), "setting.update", "setting", key, { value: before }, { value: ctx.body.value });
                })
                .catch((e) => {
                  if (e instanceof SettingError) throw new AppError(422, "validation_failed", e.message, { field: "value" });
                  throw e;
                });
              return { key, value: deps.settings.get(key) };
            },
            { admin: true, params: t.Object({ key: t.String({ maxLength: 100 }) }), body: t.Object({ value: t.Unknown() }), detail: { summary: "Change a setting", tags: ["settings"] } },
          )
          .get(
            "/audit",
            ({ query }) => {
              const r = audit.list(query.entity ?? null, null, query.limit ?? 50, query.offset ?? 0);
              return {
                total: r.total,
                items: r.items.map((a) => ({
                  id: a.id,
                  at: a.at,
                  actor: a.actor,
                  action: a.action,
                  entity: a.entity,
                  entityId: a.entity_id,
                  before: a.before_json ? (JSON.parse(a.before_json) as unknown) : null,
                  after: a.after_json ? (JSON.parse(a.after_json) as unknown) : null,
                })),
              };
            },
            {
              admin: true,
              query: t.Object({ entity: t.Optional(t.String()), limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })), offset: t.Optional(t.Integer({ minimum: 0 })) }),
              detail: { summary: "Audit log", tags: ["audit"] },
            },
          ),
      )
  );
};
