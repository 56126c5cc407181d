/**
 * Staff sessions and the guard in front of the whole staff API.
 *
 * - Default deny: every route mounted under the staff API (app.ts) needs a valid
 *   session, except the few on PUBLIC_PATHS (sign-in, first-run setup, status).
 *   The check is a scoped transform hook on the routes themselves, not a path
 *   match before routing.
 * - State-changing requests must carry an Origin whose host is the request's
 *   host (CSRF defence for a cookie-authenticated API).
 * - Sessions are HS256 JWTs (jose) in an HttpOnly, SameSite=Strict cookie. Each
 *   request re-reads the staff row, so a disabled account or a changed password
 *   ends its sessions at once.
 * - Admin-only routes say `{ admin: true }` (the macro below): 403 for staff.
 */
import { Elysia } from "elysia";
import { SignJWT, jwtVerify } from "jose";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { StaffRepo, type Role, type StaffRow } from "../store/staff-repo.ts";
import { SessionsRepo } from "../store/sessions-repo.ts";
import { actorOf, apiKeyGate, type KeyRateWindows } from "./api-keys.ts"; // issue 17: API keys

export const SESSION_COOKIE = "bodydock_session";

/** Routes (as registered) reachable without a session. Every other route mounted under the staff API is not. */
export const PUBLIC_PATHS = new Set(["/api/v1/auth/login", "/api/v1/auth/setup", "/api/v1/auth/status", "/api/docs", "/api/docs/openapi.json"]);

export interface StaffIdentity {
  id: number;
  username: string;
  role: Role;
  /** The session token's id and expiry (epoch ms): sign-out revokes it on the server. */
  jti: string;
  expiresAt: number;
}

const identities = new WeakMap<Request, StaffIdentity>();

/** The signed-in staff member of a request that passed the guard. */
export function staffOf(request: Request): StaffIdentity | undefined {
  return identities.get(request);
}

/** The acting username, for audit rows. */
export function actor(ctx: { request: Request }): string {
  return identities.get(ctx.request)?.username ?? "unknown";
}

function signingKey(deps: Deps): Uint8Array {
  return new TextEncoder().encode(deps.settings.get("staff.sessionKey"));
}

export function sessionTtlSeconds(deps: Deps): number {
  return Math.round(deps.settings.get("staff.sessionTtlHours") * 3600);
}

export async function signSession(deps: Deps, s: StaffRow): Promise<string> {
  const iat = Math.floor(deps.now() / 1000);
  return new SignJWT({ ver: s.token_version, usr: s.username })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setJti(Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url"))
    .setSubject(String(s.id))
    .setAudience("bodydock-staff")
    .setIssuedAt(iat)
    .setExpirationTime(iat + sessionTtlSeconds(deps))
    .sign(signingKey(deps));
}

/** The repositories a session check reads: made once by each caller, not per request. */
export interface SessionStores {
  staff: StaffRepo;
  sessions: SessionsRepo;
}

export async function verifySession(deps: Deps, stores: SessionStores, token: string): Promise<StaffIdentity | null> {
  try {
    const { payload } = await jwtVerify(token, signingKey(deps), {
      algorithms: ["HS256"],
      audience: "bodydock-staff",
      currentDate: new Date(deps.now()),
      requiredClaims: ["jti", "exp"],
    });
    const row = stores.staff.byId(Number(payload.sub));
    if (!row || row.disabled || row.token_version !== payload.ver) return null;
    if (stores.sessions.isRevoked(payload.jti!)) return null;
    return { id: row.id, username: row.username, role: row.role, jti: payload.jti!, expiresAt: payload.exp! * 1000 };
  } catch {
    return null;
  }
}

/** For routes outside /api (e.g. /metrics): whether a request carries a signed-in admin's session. */
export function adminSession(deps: Deps): (request: Request) => Promise<boolean> {
  const stores = { staff: deps.repos.staff, sessions: deps.repos.sessions };
  return async (request) => {
    const token = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
    return token !== null && (await verifySession(deps, stores, token))?.role === "admin";
  };
}

export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}
export const CLEAR_COOKIE = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** An integration's key is sent as `Authorization: Bearer bd_…` (no browser, so no CSRF to stop). */
function hasApiKey(request: Request): boolean {
  return /^Bearer\s+bd_\S+\s*$/i.test(request.headers.get("authorization") ?? "");
}

/** Methods that change nothing; every other one (POST, PUT, PATCH, DELETE, anything odd) needs a matching Origin. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The request's own host, from Host (or the URL when Host is absent). */
function requestHost(request: Request): string {
  return (request.headers.get("host") ?? new URL(request.url, "http://localhost").host).toLowerCase();
}

export function originMatches(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (!origin) return false;
  try {
    return new URL(origin).host.toLowerCase() === requestHost(request);
  } catch {
    return false;
  }
}

/**
 * The guard plugin. app.ts builds one per app and mounts it first in the staff API instance; the
 * staff plugins that use the `admin` macro receive the same instance and `.use()` it (deduplicated
 * by name, so its hooks run once per request). It owns the API keys' rate windows.
 */
export type StaffGuard = ReturnType<typeof staffGuard>;

export function staffGuard(deps: Deps) {
  const keyWindows: KeyRateWindows = new Map();
  const stores = { staff: deps.repos.staff, sessions: deps.repos.sessions };
  return (
    new Elysia({ name: "staff-guard" })
      // Scoped: the check hangs on every route mounted under the staff API (app.ts mounts the staff
      // plugins inside one instance that uses this guard first). It runs on the route the router
      // matched, so no path string can mean one thing here and another to the router. Transform runs
      // before the `admin` macro's transform and before validation.
      .onTransform({ as: "scoped" }, async (ctx) => {
        const { request, set } = ctx;
        const route = (ctx as { route?: string }).route ?? "";
        if (!SAFE_METHODS.has(request.method) && !originMatches(request) && !hasApiKey(request)) {
          set.status = 403;
          throw new AppError(403, "bad_origin", "refused: a change must come from this server's own page (the Origin header must match the host)");
        }
        // --- issue 17: `Authorization: Bearer bd_…` is an integration key (staff/api-keys.ts): its scopes, no Origin, no session.
        const keyed = await apiKeyGate(deps, keyWindows, request, ctx.path);
        if (keyed instanceof Response) {
          const body = (await keyed.json()) as { error: { code: string; message: string } };
          set.status = keyed.status;
          const retry = keyed.headers.get("retry-after");
          throw new AppError(keyed.status, body.error.code, body.error.message, undefined, retry ? { "retry-after": retry } : undefined);
        }
        if (keyed) return void identities.set(request, { id: 0, username: actorOf(keyed), role: "staff", jti: "", expiresAt: 0 });
        // --- end issue 17
        if (PUBLIC_PATHS.has(route)) return;
        const token = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
        const identity = token ? await verifySession(deps, stores, token) : null;
        if (!identity) {
          set.status = 401;
          throw new AppError(401, "unauthorized", "sign in first (no valid session)");
        }
        identities.set(request, identity);
      })
      .macro({
        admin: {
          // transform runs before validation, so a staff account learns nothing from an admin route but 403.
          transform({ request }) {
            if (identities.get(request)?.role !== "admin") throw new AppError(403, "forbidden", "this needs an admin account");
          },
        },
      })
  );
}
