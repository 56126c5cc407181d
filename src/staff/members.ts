/**
 * The member directory (issue 4 §5–§7):
 *   GET    /api/v1/members?q=&status=&limit=&offset=   search (name, nickname, phone, member number, card, code, e-mail) with paging
 *   POST   /api/v1/members                            create (201)
 *   GET    /api/v1/members/:id                        one member, with credentials and measurement count
 *   PATCH  /api/v1/members/:id                        update the fields given
 *   POST   /api/v1/members/:id/suspend | reactivate
 *   DELETE /api/v1/members/:id                        (admin) only when the member has no measurements (409 otherwise)
 *   GET    /api/v1/members/:id/credentials
 *   POST   /api/v1/members/:id/credentials            {kind: card|code, value, format?, label?}; 409 names the owner
 *   DELETE /api/v1/members/:id/credentials/:credentialId
 *   GET    /api/v1/members/export.csv                 every member as CSV (header = API field names)
 *   POST   /api/v1/members/import?partial=&dryRun=    (admin) CSV body; all-or-nothing unless partial=true
 * Every change is audited in the same write job.
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { MemberError, MembersRepo, type Credential, type Member, type MemberInput } from "../store/members-repo.ts";
import { actor, type StaffGuard } from "./guard.ts";
import { FieldError, MemberCreate, MemberFieldSchemas, MemberPatch, MemberView, cleanMember, isoDay, rejectUnknownFields, withDefaults } from "./member-input.ts";
import { exportCsvStream, importCsv, type ImportResult } from "./member-csv.ts";
import { ENCODINGS, decodeCsv } from "./csv-encoding.ts";

export function memberErrorToHttp(e: unknown): never {
  if (e instanceof FieldError) throw new AppError(422, "validation_failed", e.message, { field: e.field });
  if (e instanceof MemberError) {
    const status = e.code === "not_found" ? 404 : e.code === "invalid" ? 422 : 409;
    throw new AppError(status, e.code === "invalid" ? "validation_failed" : e.code, e.message, e.extra);
  }
  throw e;
}

export const CredentialView = t.Object({
  id: t.Integer(),
  memberId: t.Integer(),
  kind: t.Union([t.Literal("card"), t.Literal("code")]),
  cardDec: t.Union([t.String(), t.Null()], { description: "card: the decimal number" }),
  cardHex: t.Union([t.String(), t.Null()], { description: "card: 8-digit (or longer) upper-case hex of the same number" }),
  code: t.Union([t.String(), t.Null()], { description: "code: the barcode or QR text" }),
  label: t.Union([t.String(), t.Null()]),
  createdAt: t.Integer(),
});

const IdParams = t.Object({ id: t.Integer({ minimum: 1 }) });

/** A tomorrow's-date tolerance for birthdays: the gym's local date may be ahead of UTC. */
const today = (deps: Deps) => isoDay(deps.now() + 14 * 3600 * 1000);

export const membersApi = (deps: Deps, guard: StaffGuard) => {
  const members = deps.repos.members;
  const audit = deps.repos.audit;
  const countryCode = () => deps.settings.get("youjiu.countryCallingCode");

  const clean = (body: Parameters<typeof cleanMember>[0]) => {
    try {
      return cleanMember(body, today(deps));
    } catch (e) {
      memberErrorToHttp(e);
    }
  };

  const setStatus = (ctx: { params: { id: number }; request: Request }, status: "active" | "suspended") =>
    deps.writes
      .enqueue(() => {
        const r = members.setStatus(ctx.params.id, status, deps.now());
        if (r.before.status !== r.after.status) audit.record(actor(ctx), status === "active" ? "member.reactivate" : "member.suspend", "member", String(ctx.params.id), r.before, r.after);
        return r.after;
      })
      .catch(memberErrorToHttp);

  return new Elysia({ name: "staff-members", prefix: "/api/v1" })
    .use(guard)
    .get(
      "/members",
      ({ query }) => {
        const limit = query.limit ?? 50;
        const offset = query.offset ?? 0;
        const day = 86400000;
        const { items, total } = members.search(query.q ?? null, query.status ?? null, limit, offset, countryCode(), {
          measuredSince: query.measuredWithinDays !== undefined ? deps.now() - query.measuredWithinDays * day : undefined,
          notMeasuredSince: query.notMeasuredForDays !== undefined ? deps.now() - query.notMeasuredForDays * day : undefined,
        });
        return { items, total, limit, offset };
      },
      {
        query: t.Object({
          q: t.Optional(t.String({ maxLength: 200, description: "name, nickname, phone, member number, card (decimal or hex), code or e-mail" })),
          status: t.Optional(t.Union([t.Literal("active"), t.Literal("suspended")])),
          measuredWithinDays: t.Optional(t.Integer({ minimum: 1, maximum: 3650, description: "only members measured in the last N days" })),
          notMeasuredForDays: t.Optional(t.Integer({ minimum: 1, maximum: 3650, description: "only members not measured in the last N days (or never)" })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, default: 50 })),
          offset: t.Optional(t.Integer({ minimum: 0, default: 0 })),
        }),
        response: t.Object({
          items: t.Array(t.Composite([MemberView, t.Object({ lastMeasuredAt: t.Union([t.Integer(), t.Null()], { description: "epoch ms of the last assigned measurement" }) })])),
          total: t.Integer(),
          limit: t.Integer(),
          offset: t.Integer(),
        }),
        detail: { summary: "Search members (paged, sorted by name; Chinese names by pinyin), with when each was last measured", tags: ["members"] },
      },
    )
    .post(
      "/members",
      async (ctx) => {
        const input = withDefaults(clean(ctx.body) as Partial<MemberInput> & { name: string });
        const m = await deps.writes
          .enqueue(() => {
            const created = members.create(input, deps.now());
            audit.record(actor(ctx), "member.create", "member", String(created.id), null, created);
            return created;
          })
          .catch(memberErrorToHttp);
        ctx.set.status = 201;
        return m;
      },
      {
        transform: rejectUnknownFields(Object.keys(MemberFieldSchemas)),
        body: MemberCreate,
        response: { 201: MemberView },
        detail: { summary: "Create a member (409 on a duplicate memberNo)", tags: ["members"] },
      },
    )
    .get(
      "/members/export.csv",
      () =>
        new Response(exportCsvStream(members), {
          headers: {
            "content-type": "text/csv; charset=utf-8",
            "content-disposition": `attachment; filename="bodydock-members-${isoDay(deps.now())}.csv"`,
            "cache-control": "no-store",
          },
        }),
      {
        detail: {
          summary: "Every member as CSV (UTF-8 with BOM; the header row has the API field names)",
          tags: ["members"],
          responses: { 200: { description: "CSV, one member a row; cards and codes separated by ;", content: { "text/csv": { schema: { type: "string" } } } } },
        },
      },
    )
    .post(
      "/members/import",
      async (ctx) => {
        const d = decodeCsv(new Uint8Array(await ctx.request.arrayBuffer()), ctx.query.encoding ?? "auto");
        const result: ImportResult = await deps.writes.enqueue(() =>
          importCsv(d.text, {
            members,
            audit,
            actor: actor(ctx),
            now: deps.now(),
            today: today(deps),
            partial: ctx.query.partial === true,
            dryRun: ctx.query.dryRun === true,
            encoding: d.encoding,
            encodingDetected: d.detected,
            unreadable: d.unreadable,
          }),
        );
        if (!result.written && result.errors.length) ctx.set.status = 422;
        return result;
      },
      {
        admin: true,
        parse: "none",
        query: t.Object({
          partial: t.Optional(t.Boolean({ description: "write the good rows even when some are bad" })),
          dryRun: t.Optional(t.Boolean({ description: "validate and report; write nothing (the page's preview)" })),
          encoding: t.Optional(
            t.Union([t.Literal("auto"), ...ENCODINGS.map((e) => t.Literal(e))], {
              description: "the file's text encoding; auto (default): a BOM, else UTF-16 by its zero bytes, else UTF-8 when valid, else GB18030 (Excel's CSV on Chinese Windows)",
            }),
          ),
        }),
        detail: {
          summary: "Import members from CSV (admin)",
          description:
            "Body: the CSV file's bytes with a header row (UTF-8, GBK/GB18030 or UTF-16; see `encoding`), header names as in export.csv (or the usual Chinese ones: 姓名, 会员号, 手机, 性别, 生日, 身高, 卡号, 备注); only `name` is required. " +
            "Rows are matched by memberNo, else by id; unmatched rows are created. Every row is validated first; with any bad row " +
            "nothing is written (422 with errors[{line, field, code, params, message, name, memberNo}], every problem of every bad row) unless partial=true. Importing the same file again changes nothing.",
          tags: ["members"],
          requestBody: { required: true, content: { "text/csv": { schema: { type: "string" } } } },
        },
      },
    )
    .get(
      "/members/:id",
      ({ params }) => {
        const m = (() => {
          try {
            return members.require(params.id);
          } catch (e) {
            memberErrorToHttp(e);
          }
        })();
        return { ...m, credentials: members.credentials(params.id), measurementCount: members.measurementCount(params.id) };
      },
      {
        params: IdParams,
        response: t.Composite([MemberView, t.Object({ credentials: t.Array(CredentialView), measurementCount: t.Integer() })]),
        detail: { summary: "One member, with credentials and how many measurements they have", tags: ["members"] },
      },
    )
    .patch(
      "/members/:id",
      async (ctx) => {
        const patch = clean(ctx.body);
        return deps.writes
          .enqueue(() => {
            const r = members.update(ctx.params.id, patch, deps.now());
            if (JSON.stringify({ ...r.before, updatedAt: 0 }) !== JSON.stringify({ ...r.after, updatedAt: 0 })) {
              audit.record(actor(ctx), "member.update", "member", String(ctx.params.id), r.before, r.after);
            }
            return r.after;
          })
          .catch(memberErrorToHttp);
      },
      {
        params: IdParams,
        transform: rejectUnknownFields(Object.keys(MemberFieldSchemas)),
        body: MemberPatch,
        response: MemberView,
        detail: { summary: "Update the fields given (null clears an optional field)", tags: ["members"] },
      },
    )
    .post("/members/:id/suspend", (ctx) => setStatus(ctx, "suspended"), {
      params: IdParams,
      response: MemberView,
      detail: { summary: "Suspend a member: devices refuse their logins", tags: ["members"] },
    })
    .post("/members/:id/reactivate", (ctx) => setStatus(ctx, "active"), {
      params: IdParams,
      response: MemberView,
      detail: { summary: "Reactivate a suspended member", tags: ["members"] },
    })
    .delete(
      "/members/:id",
      async (ctx) => {
        const m = await deps.writes
          .enqueue(() => {
            const credentials = members.credentials(ctx.params.id);
            const gone = members.delete(ctx.params.id);
            audit.record(actor(ctx), "member.delete", "member", String(ctx.params.id), { ...gone, credentials }, null);
            return gone;
          })
          .catch(memberErrorToHttp);
        return { id: m.id, deleted: true };
      },
      {
        admin: true,
        params: IdParams,
        response: t.Object({ id: t.Integer(), deleted: t.Boolean() }),
        detail: { summary: "Delete a member who has no measurements (admin; 409 has_measurements otherwise: suspend instead)", tags: ["members"] },
      },
    )
    .get(
      "/members/:id/credentials",
      ({ params }) => {
        try {
          members.require(params.id);
        } catch (e) {
          memberErrorToHttp(e);
        }
        return members.credentials(params.id);
      },
      { params: IdParams, response: t.Array(CredentialView), detail: { summary: "A member's cards and codes", tags: ["members"] } },
    )
    .post(
      "/members/:id/credentials",
      async (ctx) => {
        const { kind, value, label, format } = ctx.body;
        const c: Credential = await deps.writes
          .enqueue(() => {
            const made = members.addCredential(ctx.params.id, kind, value, label?.trim() || null, deps.now(), format ?? "auto");
            audit.record(actor(ctx), "credential.add", "member", String(ctx.params.id), null, made);
            return made;
          })
          .catch(memberErrorToHttp);
        ctx.set.status = 201;
        return c;
      },
      {
        params: IdParams,
        transform: rejectUnknownFields(["kind", "value", "format", "label"]),
        body: t.Object(
          {
            kind: t.Union([t.Literal("card"), t.Literal("code")]),
            value: t.String({ minLength: 1, maxLength: 500, description: "card: decimal or hex number; code: the scanned text" }),
            format: t.Optional(
              t.Union([t.Literal("auto"), t.Literal("dec"), t.Literal("hex")], { description: "card only: how to read value (auto: digits only are decimal)" }),
            ),
            label: t.Optional(t.Union([t.String({ maxLength: 100 }), t.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: CredentialView },
        detail: { summary: "Add a card or code (409 naming the owner's id if another member has it)", tags: ["members"] },
      },
    )
    .delete(
      "/members/:id/credentials/:credentialId",
      async (ctx) => {
        const c = await deps.writes
          .enqueue(() => {
            const gone = members.deleteCredential(ctx.params.id, ctx.params.credentialId);
            audit.record(actor(ctx), "credential.remove", "member", String(ctx.params.id), gone, null);
            return gone;
          })
          .catch(memberErrorToHttp);
        return { id: c.id, deleted: true };
      },
      {
        params: t.Object({ id: t.Integer({ minimum: 1 }), credentialId: t.Integer({ minimum: 1 }) }),
        response: t.Object({ id: t.Integer(), deleted: t.Boolean() }),
        detail: { summary: "Remove a card or code", tags: ["members"] },
      },
    );
};

export type { Member };
