/**
 * Member sync in (issue 17), for the gym's own member system (API key scope members:write, or a
 * staff session):
 *   GET  /api/v1/members/by-number/:memberNo   one member with cards and codes (members:read)
 *   PUT  /api/v1/members/by-number/:memberNo   create or update one member; idempotent
 *   POST /api/v1/members/sync                  up to 1,000 members; the outcome of each
 * The matching and checks are the CSV import's (member-csv.ts planMember): a record is matched by
 * memberNo, else id, else the same name with the same phone or e-mail; only the fields given are
 * changed; cards and codes are added, and one another member holds refuses the record.
 * Changes are audited as member.sync_create / member.sync_update with the caller as actor; made
 * through an API key, they are not echoed back as member.* webhooks.
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { MembersRepo } from "../store/members-repo.ts";
import { actor, type StaffGuard } from "./guard.ts";
import { FieldError, MemberFieldSchemas, MemberView, isoDay } from "./member-input.ts";
import { RowFail, apply, newSeen, planMember, type MemberRecord, type Plan } from "./member-csv.ts";
import { CredentialView } from "./members.ts";

export const SYNC_MAX = 1000;

const SyncFields = {
  ...MemberFieldSchemas,
  name: t.Optional(MemberFieldSchemas.name),
  status: t.Optional(t.Union([t.Literal("active"), t.Literal("suspended")])),
  cards: t.Optional(t.Array(t.String({ minLength: 1, maxLength: 100 }), { maxItems: 20, description: "card numbers, decimal or hex; added when missing" })),
  codes: t.Optional(t.Array(t.String({ minLength: 1, maxLength: 500 }), { maxItems: 20, description: "barcode or QR texts; added when missing" })),
};
export const SyncMember = t.Object(SyncFields, { additionalProperties: false, description: "member fields as in POST /members; only those given change" });
const SyncItem = t.Object({ ...SyncFields, id: t.Optional(t.Integer({ minimum: 1 })) }, { additionalProperties: false });

const Outcome = t.Object({
  index: t.Integer(),
  memberNo: t.Union([t.String(), t.Null()]),
  outcome: t.Union([t.Literal("created"), t.Literal("updated"), t.Literal("unchanged"), t.Literal("rejected")]),
  id: t.Union([t.Integer(), t.Null()]),
  errors: t.Array(t.Object({ field: t.String(), message: t.String() })),
});
type OutcomeT = typeof Outcome.static;

type Item = Record<string, unknown> & { status?: "active" | "suspended"; cards?: string[]; codes?: string[]; id?: number };

function record(index: number, item: Item): MemberRecord {
  const { status, cards, codes, id, ...body } = item;
  return { line: index, body, id: id ?? null, status, cards: cards ?? [], codes: codes ?? [] };
}

const today = (deps: Deps) => isoDay(deps.now() + 14 * 3600 * 1000);

export const memberSyncApi = (deps: Deps, guard: StaffGuard) => {
  const members = deps.repos.members;
  const audit = deps.repos.audit;

  /** Plans and writes each item inside the caller's write job; a bad item is rejected alone. */
  const run = (items: Item[], by: string): OutcomeT[] => {
    const seen = newSeen();
    const now = deps.now();
    const o = { members, audit, actor: by, now, today: today(deps), action: "member.sync" as const };
    return items.map((item, index) => {
      const memberNo = typeof item.memberNo === "string" ? item.memberNo.trim() || null : null;
      let plan: Plan;
      try {
        plan = planMember(record(index, item), o, seen);
      } catch (e) {
        if (e instanceof RowFail) return { index, memberNo, outcome: "rejected", id: null, errors: [{ field: e.field, message: e.message }] };
        if (e instanceof FieldError) return { index, memberNo, outcome: "rejected", id: null, errors: [{ field: e.field, message: e.reason }] };
        throw e;
      }
      const id = apply(plan, o);
      const outcome = plan.op === "create" ? "created" : plan.op === "update" ? "updated" : "unchanged";
      return { index, memberNo, outcome, id, errors: [] };
    });
  };

  return new Elysia({ name: "staff-member-sync", prefix: "/api/v1" })
    .use(guard)
    .get(
      "/members/by-number/:memberNo",
      ({ params }) => {
        const m = members.byMemberNo(params.memberNo);
        if (!m) throw new AppError(404, "not_found", `no member has the number ${params.memberNo}`);
        return { ...m, credentials: members.credentials(m.id) };
      },
      {
        params: t.Object({ memberNo: t.String({ minLength: 1, maxLength: 64 }) }),
        response: t.Composite([MemberView, t.Object({ credentials: t.Array(CredentialView) })]),
        detail: { summary: "One member by the gym's member number (API key scope members:read)", tags: ["member sync"] },
      },
    )
    .put(
      "/members/by-number/:memberNo",
      async (ctx) => {
        const no = ctx.params.memberNo.trim();
        const given = ctx.body.memberNo;
        if (given !== undefined && given !== null && given.trim().toLowerCase() !== no.toLowerCase()) {
          throw new AppError(422, "validation_failed", `memberNo in the body (${given}) differs from the one in the path (${no})`, { field: "memberNo" });
        }
        const [r] = await deps.writes.enqueue(() => run([{ ...ctx.body, memberNo: no }], actor(ctx)));
        if (r!.outcome === "rejected") {
          const e = r!.errors[0]!;
          const conflict = /belongs to |is also on/.test(e.message); // the CSV import's wording for a card, code or number held by another member
          throw new AppError(conflict ? 409 : 422, conflict ? "conflict" : "validation_failed", e.message, { field: e.field });
        }
        ctx.set.status = r!.outcome === "created" ? 201 : 200;
        const m = members.require(r!.id!);
        return { outcome: r!.outcome as "created" | "updated" | "unchanged", member: { ...m, credentials: members.credentials(m.id) } };
      },
      {
        params: t.Object({ memberNo: t.String({ minLength: 1, maxLength: 64 }) }),
        body: SyncMember,
        response: {
          200: t.Object({ outcome: t.Union([t.Literal("updated"), t.Literal("unchanged")]), member: t.Composite([MemberView, t.Object({ credentials: t.Array(CredentialView) })]) }),
          201: t.Object({ outcome: t.Literal("created"), member: t.Composite([MemberView, t.Object({ credentials: t.Array(CredentialView) })]) }),
        },
        detail: {
          summary: "Create or update one member by member number (idempotent; API key scope members:write)",
          description:
            "Creates the member when no member has this number (a new member needs `name`), else changes only the fields given. " +
            "Cards and codes are added when missing; one another member holds is 409. Sending the same body again changes nothing (outcome `unchanged`).",
          tags: ["member sync"],
        },
      },
    )
    .post(
      "/members/sync",
      async (ctx) => {
        const results = await deps.writes.enqueue(() => run(ctx.body.members, actor(ctx)));
        const count = (o: string) => results.filter((r) => r.outcome === o).length;
        return { created: count("created"), updated: count("updated"), unchanged: count("unchanged"), rejected: count("rejected"), results };
      },
      {
        body: t.Object({ members: t.Array(SyncItem, { minItems: 1, maxItems: SYNC_MAX }) }, { additionalProperties: false }),
        response: t.Object({ created: t.Integer(), updated: t.Integer(), unchanged: t.Integer(), rejected: t.Integer(), results: t.Array(Outcome) }),
        detail: {
          summary: `Create or update up to ${SYNC_MAX} members (API key scope members:write)`,
          description:
            "Each member is matched like a CSV import row (memberNo, else id, else name with phone or e-mail) and checked the same way. " +
            "Good members are written and bad ones rejected, each with its outcome in `results` (in request order, `index` 0-based).",
          tags: ["member sync"],
        },
      },
    );
};
