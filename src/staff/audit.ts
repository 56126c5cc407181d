/**
 * The audit log for admins:
 *   GET /api/v1/audit?entity=&entityId=&actor=&action=&from=&to=&limit=&offset=
 * Newest first. `action` is exact ("member.update") or a prefix ending in "." ("member.").
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { type AuditRow } from "../store/audit-repo.ts";
import { type StaffGuard } from "./guard.ts";
import { MembersRepo } from "../store/members-repo.ts";
import { DevicesRepo } from "../store/devices-repo.ts";
import { who } from "./member-csv.ts";

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function auditView(r: AuditRow) {
  return { id: r.id, at: r.at, actor: r.actor, action: r.action, entity: r.entity, entityId: r.entity_id, before: parse(r.before_json), after: parse(r.after_json) };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});

/**
 * What the page needs to say an entry as a sentence ("王芳 imported 30 members"): the people and
 * devices involved by name (members with their member number), never internal ids.
 */
export function auditWords(e: ReturnType<typeof auditView>, members: MembersRepo, devices: DevicesRepo): Record<string, string | number> {
  const b = obj(e.before);
  const a = obj(e.after);
  const w: Record<string, string | number> = {};
  const member = (id: unknown) => {
    const m = typeof id === "number" ? members.get(id) : null;
    return m ? who(m) : typeof id === "number" ? `#${id}` : "";
  };
  const x = Object.keys(a).length ? a : b;
  if (e.entity === "member") {
    w.member = typeof x.name === "string" ? who(x as { name: string; memberNo: string | null }) : member(Number(e.entityId));
  } else if (e.entity === "measurement") {
    w.member = member(a.memberId ?? b.memberId);
    if (typeof x.weightKg === "number") w.weight = x.weightKg;
    const d = obj(x.device);
    w.device = String(d.name ?? d.sn ?? d.model ?? "");
  } else if (e.entity === "staff") {
    w.account = String(x.username ?? "");
    if (typeof x.role === "string") w.role = x.role;
  } else if (e.entity === "device") {
    const d = /^\d+$/.test(e.entityId ?? "") ? devices.byId(Number(e.entityId)) : null;
    w.device = String(x.name ?? d?.name ?? d?.sn ?? d?.mac ?? e.entityId ?? "");
    if (a.memberId !== undefined) w.member = member(a.memberId);
  } else if (e.entity === "yolanda_slot") {
    w.member = member(x.memberId);
    w.slot = Number(x.userIndex ?? 0);
    w.device = String(x.mac ?? "");
  } else if (e.entity === "setting") {
    w.key = e.entityId ?? "";
  } else if (e.entity === "lefu_identity") {
    w.member = member(a.member_id);
  }
  if (e.action === "member.import") for (const k of ["rows", "created", "updated", "unchanged", "rejected"]) w[k] = Number(a[k] ?? 0);
  return w;
}

export const AuditEntry = t.Object({
  id: t.Integer(),
  at: t.Integer({ description: "epoch ms" }),
  actor: t.String({ description: "staff username, or cli / system" }),
  action: t.String(),
  entity: t.String(),
  entityId: t.Union([t.String(), t.Null()]),
  before: t.Unknown(),
  after: t.Unknown(),
});

export const auditApi = (deps: Deps, guard: StaffGuard) => {
  const audit = deps.repos.audit;
  const members = deps.repos.members;
  const devices = deps.repos.devices;
  return new Elysia({ name: "staff-audit", prefix: "/api/v1" })
    .use(guard)
    .get("/audit/actors", () => ({ actors: audit.actors() }), {
      admin: true,
      response: t.Object({ actors: t.Array(t.String()) }),
      detail: { summary: "Everyone who appears in the audit log (admin), for its filter", tags: ["audit"] },
    })
    .get(
    "/audit",
    ({ query }) => {
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const { items, total } = audit.list(
        { entity: query.entity, entityId: query.entityId, actor: query.actor, action: query.action, from: query.from, to: query.to },
        limit,
        offset,
      );
      return { items: items.map((r) => auditView(r)).map((e) => ({ ...e, words: auditWords(e, members, devices) })), total, limit, offset };
    },
    {
      admin: true,
      query: t.Object({
        entity: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
        entityId: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
        actor: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
        action: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
        from: t.Optional(t.Integer({ minimum: 0, description: "epoch ms, inclusive" })),
        to: t.Optional(t.Integer({ minimum: 0, description: "epoch ms, exclusive" })),
        limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })),
        offset: t.Optional(t.Integer({ minimum: 0 })),
      }),
      response: t.Object({
        items: t.Array(t.Composite([AuditEntry, t.Object({ words: t.Record(t.String(), t.Union([t.String(), t.Number()]), { description: "names for a sentence: member (name and number), device, account, weight, counts" }) })])),
        total: t.Integer(),
        limit: t.Integer(),
        offset: t.Integer(),
      }),
      detail: { summary: "The audit log, newest first (admin)", tags: ["audit"] },
    },
  );
};
