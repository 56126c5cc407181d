/**
 * Staff sessions and the guard in front of the whole staff API.
 *
 * - Default deny: every path under /api/ needs a valid session, except the few
 *   on PUBLIC_PATHS (sign-in, first-run setup, the API description).
 * - State-changing requests must carry an Origin whose host is the request's
 *   host (CSRF defence for a cookie-authenticated API).
 * - Sessions are HS256 JWTs (jose) in an HttpOnly, SameSite=Strict cookie. Each
 *   request re-reads the staff row, so a disabled account or a changed password
 *   ends its sessions at once.
 * - Admin-only routes say `{ admin: true }` (the macro below): 403 for staff.
 */
import { Elysia } from "elysia";
import { SignJWT, jwtVerify } from "jose";
import { observe } from "../http/observe.ts";
import type { Deps } from "../deps.ts";
import { AppError, jsonError } from "../http/errors.ts";
import { StaffRepo, type Role, type StaffRow } from "../store/staff-repo.ts";
import { actorOf, apiKeyGate } from "./api-keys.ts"; // issue 17: API keys

export const SESSION_COOKIE = "bodydock_session";

/** Reachable without a session. Everything else under /api/ is not. */
export const PUBLIC_PATHS = new Set(["/api/v1/auth/login", "/api/v1/auth/setup", "/api/v1/auth/status", "/api/docs", "/api/docs/openapi.json"]);

export interface StaffIdentity {
  id: number;
  username: string;
  role: Role;
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
  return new TextEncoder().encode(deps.settings.get<string>("staff.sessionKey"));
}

export function sessionTtlSeconds(deps: Deps): number {
  return Math.round(deps.settings.get<number>("staff.sessionTtlHours") * 3600);
}

export async function signSession(deps: Deps, s: StaffRow): Promise<string> {
  const iat = Math.floor(deps.now() / 1000);
  return new SignJWT({ ver: s.token_version, usr: s.username })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(String(s.id))
    .setAudience("bodydock-staff")
    .setIssuedAt(iat)
    .setExpirationTime(iat + sessionTtlSeconds(deps))
    .sign(signingKey(deps));
}

export async function verifySession(deps: Deps, staff: StaffRepo, token: string): Promise<StaffIdentity | null> {
  try {
    const { payload } = await jwtVerify(token, signingKey(deps), { algorithms: ["HS256"], audience: "bodydock-staff", currentDate: new Date(deps.now()) });
    const row = staff.byId(Number(payload.sub));
    if (!row || row.disabled || row.token_version !== payload.ver) return null;
    return { id: row.id, username: row.username, role: row.role };
  } catch {
    return null;
  }
}

/** For routes outside /api (e.g. /metrics): whether a request carries a signed-in admin's session. */
export function adminSession(deps: Deps): (request: Request) => Promise<boolean> {
  const staff = new StaffRepo(deps.db);
  return async (request) => {
    const token = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
    return token !== null && (await verifySession(deps, staff, token))?.role === "admin";
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

/** The raw path as sent (no decoding, no dot-segment resolution), the way the router sees it. */
function rawPath(request: Request): string {
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.search(/[?#]/);
  return url.slice(start, end < 0 ? undefined : end);
}

/**
 * Normalised for deciding whether the guard applies at all: decoded, lower case,
 * single slashes. Over-inclusive on purpose: anything that might reach /api/ is guarded.
 */
function guardPath(request: Request): string {
  const raw = rawPath(request);
  let p: string;
  try {
    p = decodeURIComponent(raw);
  } catch {
    p = raw;
  }
  return p.toLowerCase().replace(/\/{2,}/g, "/");
}

/**
 * Public only when the raw path is exactly a public one (a trailing slash allowed):
 * an encoded or dotted path that merely decodes to a public one is not.
 */
export function isPublicPath(request: Request): boolean {
  const raw = rawPath(request);
  return PUBLIC_PATHS.has(raw.length > 1 && raw.endsWith("/") ? raw.slice(0, -1) : raw);
}

export function isGuardedPath(request: Request): boolean {
  const p = guardPath(request);
  return p === "/api" || p.startsWith("/api/");
}

const guards = new WeakMap<Deps, ReturnType<typeof makeGuard>>();

/**
 * The guard plugin, one instance per Deps: app.ts mounts it before every staff
 * plugin; plugins that use the `admin` macro `.use()` the same instance (deduplicated
 * by name, so its onRequest runs once per request).
 */
export function staffGuard(deps: Deps) {
  let g = guards.get(deps);
  if (!g) guards.set(deps, (g = makeGuard(deps)));
  return g;
}

function makeGuard(deps: Deps) {
  const staff = new StaffRepo(deps.db);
  return new Elysia({ name: "staff-guard" })
    .onRequest(async ({ request, set }) => {
      if (!isGuardedPath(request)) return;
      // --- issue 17: `Authorization: Bearer bd_…` is an integration key (staff/api-keys.ts): its scopes, no Origin, no session.
      const keyed = await apiKeyGate(deps, request);
      if (keyed instanceof Response) return ((set.status = keyed.status), keyed);
      if (keyed) return void identities.set(request, { id: 0, username: actorOf(keyed), role: "staff" });
      // --- end issue 17
      if (!SAFE_METHODS.has(request.method) && !originMatches(request)) {
        set.status = 403;
        observe(deps, request, "guard.bad_origin", 403);
        return jsonError(403, "bad_origin", "refused: a change must come from this server's own page (the Origin header must match the host)");
      }
      if (isPublicPath(request)) return;
      const token = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
      const identity = token ? await verifySession(deps, staff, token) : null;
      if (!identity) {
        set.status = 401;
        observe(deps, request, "guard.unauthorized", 401);
        return jsonError(401, "unauthorized", "sign in first (no valid session)");
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
    });
}
