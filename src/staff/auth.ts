/**
 * Staff sign-in:
 *   GET  /api/v1/auth/status   public: whether first-run setup is still open
 *   POST /api/v1/auth/setup    public, once: {token, username, password} creates the first admin
 *   POST /api/v1/auth/login    public: {username, password} → session cookie
 *   POST /api/v1/auth/logout
 *   GET  /api/v1/auth/me
 *   GET/POST /api/v1/staff, POST /api/v1/staff/:id/password, POST /api/v1/staff/:id/disable|enable  (admin)
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { remoteAddress } from "../http/remote.ts";
import { AppError } from "../http/errors.ts";
import type { AuditRepo } from "../store/audit-repo.ts";
import { StaffError, StaffRepo, hashPassword, staffView } from "../store/staff-repo.ts";
import { CLEAR_COOKIE, actor, sessionCookie, sessionTtlSeconds, signSession, staffGuard, staffOf } from "./guard.ts";
import { RateLimiter } from "./rate-limit.ts";

/** The first-run setup token lives in memory only, one per running server, until an admin exists. */
const setupTokens = new WeakMap<Deps, string>();

export function setupToken(deps: Deps): string | null {
  if (new StaffRepo(deps.db).hasAdmin()) return null;
  let t = setupTokens.get(deps);
  if (!t) {
    t = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
    setupTokens.set(deps, t);
  }
  return t;
}

const WRONG = "wrong username or password";
// A real hash to compare against when the user does not exist, so both cases take the same time.
let dummyHash: Promise<string> | null = null;

function toHttp(e: unknown): never {
  if (e instanceof StaffError) {
    const status = e.code === "exists" ? 409 : e.code === "not_found" ? 404 : 422;
    throw new AppError(status, e.code, e.message, e.code === "weak_password" ? { field: "password" } : e.code === "invalid_username" ? { field: "username" } : {});
  }
  throw e;
}

const Credentials = t.Object({ username: t.String({ minLength: 1, maxLength: 64 }), password: t.String({ minLength: 1, maxLength: 1024 }) });

export const authApi = (deps: Deps, audit: AuditRepo) => {
  const staff = new StaffRepo(deps.db);
  const perAddress = new RateLimiter(20, 10 * 60 * 1000, deps.now);
  const perUser = new RateLimiter(5, 15 * 60 * 1000, deps.now);
  dummyHash ??= Bun.password.hash("not-a-real-password", { algorithm: "argon2id" });

  const tooMany = (seconds: number) => new AppError(429, "too_many_attempts", `too many failed sign-ins; try again in ${seconds} s`, {}, { "retry-after": String(seconds) });

  return new Elysia({ name: "staff-auth", prefix: "/api/v1" })
    .use(staffGuard(deps))
    .get("/auth/status", () => ({ setupRequired: setupToken(deps) !== null }), { detail: { summary: "Whether first-run setup is open", tags: ["auth"] } })
    .post(
      "/auth/setup",
      async ({ body }) => {
        const token = setupToken(deps);
        if (token === null) throw new AppError(409, "setup_done", "an admin account exists already; sign in instead");
        if (body.token.length !== token.length || !crypto.timingSafeEqual(Buffer.from(body.token), Buffer.from(token))) {
          throw new AppError(403, "bad_setup_token", "the setup token is wrong: use the link bodydock printed when it started");
        }
        const hash = await hashPassword(body.password).catch(toHttp);
        const row = await deps.writes
          .enqueue(() => {
            if (staff.hasAdmin()) throw new AppError(409, "setup_done", "an admin account exists already; sign in instead");
            const r = staff.insert(body.username, hash, "admin", deps.now());
            audit.record(body.username, "staff.setup", "staff", String(r.id), null, staffView(r));
            return r;
          })
          .catch(toHttp);
        setupTokens.delete(deps);
        return staffView(row);
      },
      {
        body: t.Object({ token: t.String({ minLength: 1, maxLength: 200 }), username: t.String({ minLength: 1, maxLength: 64 }), password: t.String({ minLength: 1, maxLength: 1024 }) }),
        detail: { summary: "Create the first admin (once, with the printed setup token)", tags: ["auth"] },
      },
    )
    .post(
      "/auth/login",
      async ({ body, request, server, set }) => {
        const ip = remoteAddress(server, request) ?? "local";
        const userKey = body.username.toLowerCase();
        const wait = Math.max(perAddress.retryAfter(ip), perUser.retryAfter(userKey));
        if (wait > 0) throw tooMany(wait);
        const row = staff.byUsername(body.username);
        const ok = await Bun.password.verify(body.password, row ? row.password_hash : await dummyHash!);
        if (!row || !ok || row.disabled) {
          perAddress.fail(ip);
          perUser.fail(userKey);
          throw new AppError(401, "unauthorized", WRONG);
        }
        perUser.reset(userKey);
        const token = await signSession(deps, row);
        set.headers["set-cookie"] = sessionCookie(token, sessionTtlSeconds(deps));
        return { ...staffView(row), expiresInSeconds: sessionTtlSeconds(deps) };
      },
      { body: Credentials, detail: { summary: "Sign in (sets the session cookie)", tags: ["auth"] } },
    )
    .post(
      "/auth/logout",
      ({ set }) => {
        set.headers["set-cookie"] = CLEAR_COOKIE;
        return { signedOut: true };
      },
      { detail: { summary: "Sign out", tags: ["auth"] } },
    )
    .get(
      "/auth/me",
      ({ request }) => {
        const me = staffOf(request)!;
        return { id: me.id, username: me.username, role: me.role };
      },
      { detail: { summary: "Who am I", tags: ["auth"] } },
    )
    .get("/staff", () => staff.list().map(staffView), { admin: true, detail: { summary: "Staff accounts", tags: ["staff"] } })
    .post(
      "/staff",
      async (ctx) => {
        const hash = await hashPassword(ctx.body.password).catch(toHttp);
        const row = await deps.writes
          .enqueue(() => {
            const r = staff.insert(ctx.body.username, hash, ctx.body.role, deps.now());
            audit.record(actor(ctx), "staff.create", "staff", String(r.id), null, staffView(r));
            return r;
          })
          .catch(toHttp);
        ctx.set.status = 201;
        return staffView(row);
      },
      {
        admin: true,
        body: t.Object({ username: t.String({ minLength: 1, maxLength: 64 }), password: t.String({ minLength: 1, maxLength: 1024 }), role: t.Union([t.Literal("admin"), t.Literal("staff")]) }),
        detail: { summary: "Create a staff account", tags: ["staff"] },
      },
    )
    .post(
      "/staff/:id/password",
      async (ctx) => {
        const me = staffOf(ctx.request)!;
        if (me.role !== "admin" && me.id !== ctx.params.id) throw new AppError(403, "forbidden", "only an admin can change another account's password");
        const hash = await hashPassword(ctx.body.password).catch(toHttp);
        const row = await deps.writes
          .enqueue(() => {
            const r = staff.setPassword(ctx.params.id, hash, deps.now());
            audit.record(actor(ctx), "staff.password", "staff", String(r.id), null, { passwordChanged: true });
            return r;
          })
          .catch(toHttp);
        return staffView(row);
      },
      {
        params: t.Object({ id: t.Integer({ minimum: 1 }) }),
        body: t.Object({ password: t.String({ minLength: 1, maxLength: 1024 }) }),
        detail: { summary: "Change a password (ends that account's sessions)", tags: ["staff"] },
      },
    )
    .post(
      "/staff/:id/:action",
      async (ctx) => {
        const disable = ctx.params.action === "disable";
        if (disable && staffOf(ctx.request)!.id === ctx.params.id) throw new AppError(409, "self", "you cannot disable your own account");
        const row = await deps.writes
          .enqueue(() => {
            const before = staff.byId(ctx.params.id);
            const r = staff.setDisabled(ctx.params.id, disable, deps.now());
            audit.record(actor(ctx), `staff.${ctx.params.action}`, "staff", String(r.id), before && staffView(before), staffView(r));
            return r;
          })
          .catch(toHttp);
        return staffView(row);
      },
      {
        admin: true,
        params: t.Object({ id: t.Integer({ minimum: 1 }), action: t.Union([t.Literal("disable"), t.Literal("enable")]) }),
        detail: { summary: "Disable (sessions end at once) or enable an account", tags: ["staff"] },
      },
    );
};
