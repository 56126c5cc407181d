/**
 * Staff sign-in and staff accounts:
 *   GET   /api/v1/auth/status            public: whether first-run setup is still open
 *   POST  /api/v1/auth/setup             public, once: {token, username, password} creates the first admin
 *   POST  /api/v1/auth/login             public: {username, password} → session cookie
 *   POST  /api/v1/auth/logout            clears the cookie; ?everywhere=true also ends every other session of the account
 *   GET   /api/v1/auth/me                who is signed in
 *   GET   /api/v1/staff                  (admin) staff accounts
 *   POST  /api/v1/staff                  (admin) {username, password, role}
 *   PATCH /api/v1/staff/:id              (admin) {role}
 *   POST  /api/v1/staff/:id/password     {password, currentPassword?}: an admin for anyone, everyone for themselves
 *   POST  /api/v1/staff/:id/disable      (admin) sessions end at once
 *   POST  /api/v1/staff/:id/enable       (admin)
 *   POST  /api/v1/staff/:id/unlock       (admin) forget the account's failed sign-ins (the delay ends at once)
 */
import { safeEqual } from "../http/secrets.ts";
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { remoteAddress } from "../http/remote.ts";
import { AppError } from "../http/errors.ts";
import { StaffError, StaffRepo, hashPassword, staffView, type StaffRow } from "../store/staff-repo.ts";
import { SessionsRepo } from "../store/sessions-repo.ts";
import { CLEAR_COOKIE, actor, sessionCookie, sessionTtlSeconds, signSession, staffOf, type StaffGuard } from "./guard.ts";
import { RateLimiter, SignInThrottle } from "./rate-limit.ts";


const sameSecret = safeEqual;

const WRONG = "wrong username or password";
// A real hash to compare against when the user does not exist, so both cases take the same time.
let dummyHash: Promise<string> | null = null;

export function staffErrorToHttp(e: unknown): never {
  if (e instanceof StaffError) {
    const status = e.code === "exists" ? 409 : e.code === "not_found" ? 404 : 422;
    const field = e.code === "weak_password" ? "password" : e.code === "invalid_username" ? "username" : e.code === "exists" ? "username" : undefined;
    throw new AppError(status, e.code, e.message, field ? { field } : {});
  }
  throw e;
}

const Username = t.String({ minLength: 1, maxLength: 64 });
const Password = t.String({ minLength: 1, maxLength: 1024 });
const Role = t.Union([t.Literal("admin"), t.Literal("staff")]);
const IdParams = t.Object({ id: t.Integer({ minimum: 1 }) });

export const StaffView = t.Object({
  id: t.Integer(),
  username: t.String(),
  role: Role,
  disabled: t.Boolean(),
  createdAt: t.Integer(),
  updatedAt: t.Integer(),
});

/** The staff list adds who is being held back after failed sign-ins (issue 13, point 8). */
export const StaffListItem = t.Object({
  ...StaffView.properties,
  failedSignIns: t.Integer({ description: "failed sign-ins counted now (forgotten an hour after the last one)" }),
  throttledUntil: t.Union([t.Integer(), t.Null()], { description: "epoch ms until which sign-ins from new addresses must wait, or null" }),
});

export const authApi = (deps: Deps, guard: StaffGuard) => {
  const staff = deps.repos.staff;
  const sessions = deps.repos.sessions;
  const audit = deps.repos.audit;
  const perAddress = new RateLimiter(20, 10 * 60 * 1000, deps.now);
  // Per username: a growing delay, not a lock that anyone could keep renewing (rate-limit.ts).
  const perUser = new SignInThrottle(deps.now);
  const userKeyOf = (username: string) => username.trim().toLowerCase();
  dummyHash ??= Bun.password.hash("not-a-real-password", { algorithm: "argon2id" });

  const tooMany = (seconds: number) =>
    new AppError(429, "too_many_attempts", `too many failed sign-ins; try again in ${seconds} s`, { retryAfterSeconds: seconds }, { "retry-after": String(seconds) });

  const requireStaff = (id: number): StaffRow => {
    const row = staff.byId(id);
    if (!row) throw new AppError(404, "not_found", `no staff account ${id}`);
    return row;
  };

  return new Elysia({ name: "staff-auth", prefix: "/api/v1" })
    .use(guard)
    .get("/auth/status", () => ({ setupRequired: deps.setupTokens.current() !== null }), {
      response: t.Object({ setupRequired: t.Boolean() }),
      detail: { summary: "Whether first-run setup is open (public)", tags: ["auth"] },
    })
    .post(
      "/auth/setup",
      async ({ body, set }) => {
        const token = deps.setupTokens.current();
        if (token === null) throw new AppError(409, "setup_done", "an admin account exists already; sign in instead");
        if (!sameSecret(body.token, token)) throw new AppError(403, "bad_setup_token", "the setup token is wrong: use the link bodydock printed when it started");
        const hash = await hashPassword(body.password).catch(staffErrorToHttp);
        const row = await deps.writes
          .enqueue(() => {
            if (staff.anyAdmin()) throw new AppError(409, "setup_done", "an admin account exists already; sign in instead");
            const r = staff.insert(body.username, hash, "admin", deps.now());
            audit.record(r.username, "staff.setup", "staff", String(r.id), null, staffView(r));
            return r;
          })
          .catch(staffErrorToHttp);
        deps.setupTokens.spend();
        // The new admin is signed in straight away.
        set.headers["set-cookie"] = sessionCookie(await signSession(deps, row), sessionTtlSeconds(deps));
        set.status = 201;
        return staffView(row);
      },
      {
        body: t.Object({ token: t.String({ minLength: 1, maxLength: 200 }), username: Username, password: Password }),
        detail: { summary: "Create the first admin (public; once, with the setup token bodydock printed at start); signs them in", tags: ["auth"] },
      },
    )
    .post(
      "/auth/login",
      async ({ body, request, server, set }) => {
        const ip = remoteAddress(server, request) ?? "local";
        const userKey = userKeyOf(body.username);
        // Both limits count the attempt before the slow password check, so a burst of parallel
        // guesses gets no more checks than the limits allow; a success gives its attempt back.
        const waitAddress = perAddress.take(ip);
        const waitUser = waitAddress > 0 ? 0 : perUser.take(userKey, ip);
        if (waitAddress > 0 || waitUser > 0) {
          if (waitAddress === 0) perAddress.refund(ip);
          throw tooMany(Math.max(waitAddress, waitUser));
        }
        const row = staff.byUsername(body.username.trim());
        const ok = await Bun.password.verify(body.password, row ? row.password_hash : await dummyHash!);
        if (!row || !ok || row.disabled) throw new AppError(401, "unauthorized", WRONG);
        perAddress.refund(ip);
        perUser.succeeded(userKey, ip);
        const token = await signSession(deps, row);
        set.headers["set-cookie"] = sessionCookie(token, sessionTtlSeconds(deps));
        set.headers["cache-control"] = "no-store";
        return { ...staffView(row), expiresInSeconds: sessionTtlSeconds(deps) };
      },
      {
        body: t.Object({ username: Username, password: Password }),
        detail: {
          summary: "Sign in (public): sets the HttpOnly session cookie",
          description:
            "401 with the same message for an unknown user, a wrong password or a disabled account; 429 with Retry-After after too many failures per address, " +
            "or while the username's delay runs (it grows with each failure after the fifth, up to 5 minutes; not for an address the account has signed in from).",
          tags: ["auth"],
        },
      },
    )
    .post(
      "/auth/logout",
      async ({ request, query, set }) => {
        const me = staffOf(request)!;
        // This session ends on the server too: a copied cookie stops working at once.
        await deps.writes.enqueue(() => sessions.revoke(me.jti, me.id, me.expiresAt, deps.now()));
        if (query.everywhere === true) {
          await deps.writes.enqueue(() => {
            staff.endSessions(me.id, deps.now());
            audit.record(me.username, "staff.sessions_end", "staff", String(me.id), null, { sessionsEnded: true });
          });
        }
        set.headers["set-cookie"] = CLEAR_COOKIE;
        return { signedOut: true };
      },
      {
        query: t.Object({ everywhere: t.Optional(t.Boolean()) }),
        response: t.Object({ signedOut: t.Boolean() }),
        detail: { summary: "Sign out (?everywhere=true ends the account's other sessions too)", tags: ["auth"] },
      },
    )
    .get(
      "/auth/me",
      ({ request, set }) => {
        const me = staffOf(request)!;
        set.headers["cache-control"] = "no-store";
        return { id: me.id, username: me.username, role: me.role };
      },
      { response: t.Object({ id: t.Integer(), username: t.String(), role: Role }), detail: { summary: "Who is signed in", tags: ["auth"] } },
    )
    .get(
      "/staff",
      () =>
        staff.list().map((r) => {
          const key = userKeyOf(r.username);
          return { ...staffView(r), failedSignIns: perUser.failures(key), throttledUntil: perUser.throttledUntil(key) || null };
        }),
      { admin: true, response: t.Array(StaffListItem), detail: { summary: "Staff accounts, with who is held back after failed sign-ins (admin)", tags: ["staff"] } },
    )
    .post(
      "/staff/:id/unlock",
      async (ctx) => {
        const row = requireStaff(ctx.params.id);
        const key = userKeyOf(row.username);
        const before = { failedSignIns: perUser.failures(key), throttledUntil: perUser.throttledUntil(key) || null };
        perUser.clear(key);
        await deps.writes.enqueue(() => audit.record(actor(ctx), "staff.unlock", "staff", String(row.id), before, { failedSignIns: 0, throttledUntil: null }));
        return { ...staffView(row), failedSignIns: 0, throttledUntil: null };
      },
      {
        admin: true,
        params: IdParams,
        response: StaffListItem,
        detail: { summary: "Forget an account's failed sign-ins, so it can sign in at once (admin)", tags: ["staff"] },
      },
    )
    .post(
      "/staff",
      async (ctx) => {
        const hash = await hashPassword(ctx.body.password).catch(staffErrorToHttp);
        const row = await deps.writes
          .enqueue(() => {
            const r = staff.insert(ctx.body.username.trim(), hash, ctx.body.role, deps.now());
            audit.record(actor(ctx), "staff.create", "staff", String(r.id), null, staffView(r));
            return r;
          })
          .catch(staffErrorToHttp);
        ctx.set.status = 201;
        return staffView(row);
      },
      {
        admin: true,
        body: t.Object({ username: Username, password: Password, role: Role }, { additionalProperties: false }),
        detail: { summary: "Create a staff account (admin)", tags: ["staff"] },
      },
    )
    .patch(
      "/staff/:id",
      async (ctx) => {
        const row = await deps.writes
          .enqueue(() => {
            const before = requireStaff(ctx.params.id);
            if (before.role === "admin" && ctx.body.role !== "admin" && !before.disabled && staff.enabledAdmins() <= 1) {
              throw new AppError(409, "last_admin", "this is the only enabled admin; make another admin first", { field: "role" });
            }
            const r = staff.setRole(ctx.params.id, ctx.body.role, deps.now());
            audit.record(actor(ctx), "staff.update", "staff", String(r.id), staffView(before), staffView(r));
            return r;
          })
          .catch(staffErrorToHttp);
        return staffView(row);
      },
      {
        admin: true,
        params: IdParams,
        body: t.Object({ role: Role }, { additionalProperties: false }),
        detail: { summary: "Change an account's role (admin)", tags: ["staff"] },
      },
    )
    .post(
      "/staff/:id/password",
      async (ctx) => {
        const me = staffOf(ctx.request)!;
        const self = me.id === ctx.params.id;
        if (me.role !== "admin" && !self) throw new AppError(403, "forbidden", "only an admin can change another account's password");
        if (self) {
          const current = requireStaff(me.id);
          if (ctx.body.currentPassword === undefined || !(await Bun.password.verify(ctx.body.currentPassword, current.password_hash))) {
            throw new AppError(422, "wrong_password", "currentPassword: the current password is wrong", { field: "currentPassword" });
          }
        }
        const hash = await hashPassword(ctx.body.password).catch(staffErrorToHttp);
        const row = await deps.writes
          .enqueue(() => {
            const r = staff.setPassword(ctx.params.id, hash, deps.now());
            audit.record(actor(ctx), "staff.password", "staff", String(r.id), null, { passwordChanged: true });
            return r;
          })
          .catch(staffErrorToHttp);
        // A new password also ends the delay of failed sign-ins with the old one.
        perUser.clear(userKeyOf(row.username));
        // The change ended every session of the account, this one too when it is one's own: hand out a fresh one.
        if (self) ctx.set.headers["set-cookie"] = sessionCookie(await signSession(deps, row), sessionTtlSeconds(deps));
        return staffView(row);
      },
      {
        params: IdParams,
        body: t.Object({ password: Password, currentPassword: t.Optional(Password) }, { additionalProperties: false }),
        detail: {
          summary: "Change a password (ends that account's sessions)",
          description: "An admin may change anyone's; everyone may change their own, giving currentPassword.",
          tags: ["staff"],
        },
      },
    )
    .post(
      "/staff/:id/disable",
      async (ctx) => {
        if (staffOf(ctx.request)!.id === ctx.params.id) throw new AppError(409, "self", "you cannot disable your own account");
        const row = await deps.writes
          .enqueue(() => {
            const before = requireStaff(ctx.params.id);
            const r = staff.setDisabled(ctx.params.id, true, deps.now());
            audit.record(actor(ctx), "staff.disable", "staff", String(r.id), staffView(before), staffView(r));
            return r;
          })
          .catch(staffErrorToHttp);
        return staffView(row);
      },
      { admin: true, params: IdParams, detail: { summary: "Disable an account: its sessions end at once (admin)", tags: ["staff"] } },
    )
    .post(
      "/staff/:id/enable",
      async (ctx) => {
        const row = await deps.writes
          .enqueue(() => {
            const before = requireStaff(ctx.params.id);
            const r = staff.setDisabled(ctx.params.id, false, deps.now());
            audit.record(actor(ctx), "staff.enable", "staff", String(r.id), staffView(before), staffView(r));
            return r;
          })
          .catch(staffErrorToHttp);
        return staffView(row);
      },
      { admin: true, params: IdParams, detail: { summary: "Enable an account (admin)", tags: ["staff"] } },
    );
};
