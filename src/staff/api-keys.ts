/**
 * API keys for the gym's own systems (issue 17).
 *
 * - A key is `bd_` + 32 random bytes (base64url). It is shown once; only its SHA-256 is stored
 *   (a fast hash is enough for a high-entropy key).
 * - Requests carry `Authorization: Bearer bd_…`. No cookie and no Origin check: there is no browser.
 * - A key opens only the routes of its scopes (KEY_ROUTES, default deny): members:read,
 *   members:write, measurements:read, push. Admin routes stay closed to keys.
 * - Each use is audited (`apikey.use`, actor `apikey:<name>`, with method, route and address) and
 *   counted against the key's own rate limit (rate_per_minute, fixed one-minute window): 429 with
 *   Retry-After over it. Changes made through a key are audited with that actor too.
 *
 * The staff guard calls `apiKeyGate` first for every /api/ request (see guard.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import type { Deps } from "../deps.ts";
import { jsonError } from "../http/errors.ts";
import { observe, remoteOf } from "../http/observe.ts";
import { ApiKeysRepo, type ApiKeyRow } from "../store/api-keys-repo.ts";

export const SCOPES = ["members:read", "members:write", "measurements:read", "push"] as const;
export type Scope = (typeof SCOPES)[number];
export const KEY_PREFIX = "bd_";

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** A new key, its display prefix and its hash. */
export function generateKey(): { key: string; prefix: string; hash: string } {
  const key = KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, prefix: key.slice(0, 7), hash: hashKey(key) };
}

/**
 * What a key may call: method, a pattern on the raw path, and the scope it needs. Anything not
 * listed is 403 for a key, whatever its scopes.
 */
export const KEY_ROUTES: ReadonlyArray<{ method: string; path: RegExp; scope: Scope }> = [
  { method: "GET", path: /^\/api\/v1\/members$/, scope: "members:read" },
  { method: "GET", path: /^\/api\/v1\/members\/export\.csv$/, scope: "members:read" },
  { method: "GET", path: /^\/api\/v1\/members\/by-number\/[^/]+$/, scope: "members:read" },
  { method: "GET", path: /^\/api\/v1\/members\/\d+$/, scope: "members:read" },
  { method: "GET", path: /^\/api\/v1\/members\/\d+\/credentials$/, scope: "members:read" },
  { method: "PUT", path: /^\/api\/v1\/members\/by-number\/[^/]+$/, scope: "members:write" },
  { method: "POST", path: /^\/api\/v1\/members\/sync$/, scope: "members:write" },
  { method: "GET", path: /^\/api\/v1\/members\/\d+\/measurements$/, scope: "measurements:read" },
  { method: "GET", path: /^\/api\/v1\/measurements\/\d+$/, scope: "measurements:read" },
  { method: "GET", path: /^\/api\/v1\/youjiu\/devices$/, scope: "push" },
  { method: "POST", path: /^\/api\/v1\/youjiu\/devices\/[^/]+\/push$/, scope: "push" },
];

/** The scope a request needs, or null when keys may not call it. */
export function scopeFor(method: string, rawPath: string): Scope | null {
  const m = method === "HEAD" ? "GET" : method;
  return KEY_ROUTES.find((r) => r.method === m && r.path.test(rawPath))?.scope ?? null;
}

export interface KeyIdentity {
  keyId: number;
  name: string;
  scopes: Scope[];
}

/** The key a request presents, or null: no `Bearer bd_…`, unknown or revoked. */
export function authenticateApiKey(deps: Pick<Deps, "repos">, request: Request): KeyIdentity | null {
  const key = presentedKey(request);
  if (!key) return null;
  const row = deps.repos.apiKeys.byHash(hashKey(key));
  if (!row || row.revoked_at !== null) return null;
  return identityOf(row);
}

export function hasScope(identity: KeyIdentity, scope: Scope): boolean {
  return identity.scopes.includes(scope);
}

function identityOf(row: ApiKeyRow): KeyIdentity {
  return { keyId: row.id, name: row.name, scopes: (JSON.parse(row.scopes_json) as string[]).filter(isScope) };
}

/** `Authorization: Bearer bd_…` → the key text, else null (a cookie session then decides). */
export function presentedKey(request: Request): string | null {
  const h = request.headers.get("authorization");
  const m = h ? /^Bearer\s+(bd_\S+)\s*$/i.exec(h) : null;
  return m ? m[1]! : null;
}

function rawPath(request: Request): string {
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.search(/[?#]/);
  return url.slice(start, end < 0 ? undefined : end);
}

/** Per-key fixed one-minute windows; the guard owns one (staff/guard.ts, built once per app). */
export type KeyRateWindows = Map<number, { start: number; count: number }>;

/** Seconds to wait when the key is over its limit, else 0 (and the request is counted). */
function takeRate(m: KeyRateWindows, now: number, keyId: number, perMinute: number): number {
  const w = m.get(keyId);
  if (!w || now - w.start >= 60_000) {
    m.set(keyId, { start: now, count: 1 });
    return 0;
  }
  if (w.count >= perMinute) return Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
  w.count++;
  return 0;
}

/**
 * The guard's key check. undefined: no key presented (the session rules apply). A Response:
 * refused (401 unknown/revoked key, 403 outside its scopes, 429 over its rate). Otherwise the
 * key's identity: the request goes on with actor `apikey:<name>`, without Origin or session.
 */
/** `routedPath`: the path the router matched (the guard passes it), so the scope follows the route, not a re-parse of the URL. */
export async function apiKeyGate(deps: Deps, windows: KeyRateWindows, request: Request, routedPath?: string): Promise<Response | KeyIdentity | undefined> {
  const key = presentedKey(request);
  if (key === null) return undefined;
  const row = deps.repos.apiKeys.byHash(hashKey(key));
  if (!row || row.revoked_at !== null) {
    observe(deps, request, "apikey.unauthorized", 401);
    return jsonError(401, "unauthorized", "this API key is unknown or revoked", {}, { "www-authenticate": 'Bearer realm="bodydock"' });
  }
  const identity = identityOf(row);
  const path = routedPath ?? rawPath(request);
  const scope = scopeFor(request.method, path);
  if (scope === null || !hasScope(identity, scope)) {
    observe(deps, request, "apikey.forbidden", 403);
    return jsonError(
      403,
      "forbidden",
      scope === null ? "API keys cannot call this route" : `this API key lacks the scope ${scope}`,
      scope === null ? {} : { scope },
    );
  }
  const wait = takeRate(windows, deps.now(), row.id, row.rate_per_minute);
  if (wait > 0) {
    observe(deps, request, "apikey.rate_limited", 429);
    return jsonError(429, "rate_limited", `this API key is over its limit of ${row.rate_per_minute} requests a minute`, {}, { "retry-after": String(wait) });
  }
  const ip = remoteOf(request);
  // The use is audited; not awaited (the request does not wait for it: it is a record, not the change).
  deps.writes
    .enqueue(() => {
      deps.repos.apiKeys.used(row.id, ip, deps.now());
      deps.repos.audit.record(actorOf(identity), "apikey.use", "api_key", String(row.id), null, { method: request.method, path, scope, ip });
    })
    .catch((e) => deps.log.error("API key use not recorded", { key: row.id, error: (e as Error).message }));
  return identity;
}

/** The audit actor of a key. */
export function actorOf(identity: Pick<KeyIdentity, "name">): string {
  return `apikey:${identity.name}`;
}

export interface ApiKeyView {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  ratePerMinute: number;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  uses: number;
  revokedAt: number | null;
}

export function apiKeyView(r: ApiKeyRow): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: JSON.parse(r.scopes_json) as string[],
    ratePerMinute: r.rate_per_minute,
    createdAt: r.created_at,
    createdBy: r.created_by,
    lastUsedAt: r.last_used_at,
    lastUsedIp: r.last_used_ip,
    uses: r.uses,
    revokedAt: r.revoked_at,
  };
}

/** Creates a key inside a write job (the API and the CLI); the key text is returned once. */
export function createKey(
  deps: Pick<Deps, "repos" | "now">,
  k: { name: string; scopes: Scope[]; ratePerMinute?: number; by: string },
): { key: string; view: ApiKeyView } {
  const g = generateKey();
  const row = deps.repos.apiKeys.insert({ name: k.name, prefix: g.prefix, hash: g.hash, scopes: k.scopes, ratePerMinute: k.ratePerMinute ?? 600, by: k.by }, deps.now());
  const view = apiKeyView(row);
  deps.repos.audit.record(k.by, "apikey.create", "api_key", String(row.id), null, view);
  return { key: g.key, view };
}

/** Revokes inside a write job; null when there is no live key with that id. */
export function revokeKey(deps: Pick<Deps, "repos" | "now">, id: number, by: string): ApiKeyView | null {
  const before = deps.repos.apiKeys.byId(id);
  const row = deps.repos.apiKeys.revoke(id, deps.now());
  if (!row || !before) return null;
  deps.repos.audit.record(by, "apikey.revoke", "api_key", String(id), apiKeyView(before), apiKeyView(row));
  return apiKeyView(row);
}

export function listKeys(deps: Pick<Deps, "repos">): ApiKeyView[] {
  return deps.repos.apiKeys.list().map(apiKeyView);
}

export function liveKeyByName(deps: Pick<Deps, "repos">, name: string): ApiKeyView | null {
  const r = deps.repos.apiKeys.liveByName(name);
  return r ? apiKeyView(r) : null;
}
