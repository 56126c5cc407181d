/** GET /healthz: liveness and database check, used by Docker HEALTHCHECK and installers. */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";

export const healthPlugin = (deps: Deps) => {
  const ping = deps.db.query("SELECT 1 AS ok");
  return new Elysia({ name: "health" }).get(
    "/healthz",
    ({ status }) => {
      let ok = false;
      try {
        ok = (ping.get() as { ok: number } | null)?.ok === 1;
      } catch {
        ok = false;
      }
      const common = { version: deps.version, uptimeSeconds: Math.max(0, Math.floor((deps.now() - deps.startedAt) / 1000)) };
      if (!ok) return status(503, { status: "error" as const, db: "error" as const, ...common });
      return { status: "ok" as const, db: "ok" as const, ...common };
    },
    {
      response: {
        200: t.Object({ status: t.Literal("ok"), version: t.String(), uptimeSeconds: t.Integer(), db: t.Literal("ok") }),
        503: t.Object({ status: t.Literal("error"), version: t.String(), uptimeSeconds: t.Integer(), db: t.Literal("error") }),
      },
      detail: { summary: "Liveness and database check", tags: ["system"] },
    },
  );
};
