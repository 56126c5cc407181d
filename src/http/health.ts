/**
 * GET /healthz: liveness and database check, used by Docker HEALTHCHECK and installers.
 * 503 when the database cannot be read, and also while the last write failed because of the store
 * (disk full, I/O error, read-only file): `write` then says why, until a write succeeds again.
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";

const WriteFailure = t.Object({ code: t.String(), message: t.String(), at: t.Integer() });

export const healthPlugin = (deps: Deps) => {
  const { health } = deps.repos;
  return new Elysia({ name: "health" }).get(
    "/healthz",
    ({ status }) => {
      const ok = health.ping();
      const common = { version: deps.version, uptimeSeconds: Math.max(0, Math.floor((deps.now() - deps.startedAt) / 1000)) };
      if (!ok) return status(503, { status: "error" as const, db: "error" as const, ...common });
      const failure = deps.writes.lastFailure;
      if (failure) {
        return status(503, {
          status: "error" as const,
          db: "write_failing" as const,
          reason: `the last write failed: ${failure.message} (${failure.code}); writes are refused until this is fixed`,
          write: { ...failure },
          ...common,
        });
      }
      return { status: "ok" as const, db: "ok" as const, ...common };
    },
    {
      response: {
        200: t.Object({ status: t.Literal("ok"), version: t.String(), uptimeSeconds: t.Integer(), db: t.Literal("ok") }),
        503: t.Object({
          status: t.Literal("error"),
          version: t.String(),
          uptimeSeconds: t.Integer(),
          db: t.Union([t.Literal("error"), t.Literal("write_failing")]),
          reason: t.Optional(t.String()),
          write: t.Optional(WriteFailure),
        }),
      },
      detail: { summary: "Liveness and database check (503 also while writes are failing, e.g. disk full)", tags: ["system"] },
    },
  );
};
