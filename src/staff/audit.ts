/**
 * The audit log for admins:
 *   GET /api/v1/audit?entity=&entityId=&actor=&action=&from=&to=&limit=&offset=
 * Newest first. `action` is exact ("member.update") or a prefix ending in "." ("member.").
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { auditRepo, type AuditRow } from "../store/audit-repo.ts";
import { staffGuard } from "./guard.ts";

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

export const auditApi = (deps: Deps) => {
  const audit = auditRepo(deps);
  return new Elysia({ name: "staff-audit", prefix: "/api/v1" }).use(staffGuard(deps)).get(
    "/audit",
    ({ query }) => {
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const { items, total } = audit.list(
        { entity: query.entity, entityId: query.entityId, actor: query.actor, action: query.action, from: query.from, to: query.to },
        limit,
        offset,
      );
      return { items: items.map(auditView), total, limit, offset };
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
      response: t.Object({ items: t.Array(AuditEntry), total: t.Integer(), limit: t.Integer(), offset: t.Integer() }),
      detail: { summary: "The audit log, newest first (admin)", tags: ["audit"] },
    },
  );
};
