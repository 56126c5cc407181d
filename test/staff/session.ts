/**
 * Signed-in staff for tests: creates an account directly in the database and a
 * session token for it, and gives a `call` that sends the cookie and a matching
 * Origin (http://localhost) the way the staff page does.
 */
import type { AnyElysia } from "elysia";
import type { Deps } from "../../src/deps.ts";
import { SESSION_COOKIE, signSession } from "../../src/staff/guard.ts";
import { StaffRepo, type Role } from "../../src/store/staff-repo.ts";

export const ORIGIN = "http://localhost";
export const TEST_PASSWORD = "correct horse battery";

// argon2id is slow on purpose; hash the test password once per process.
let hashed: Promise<string> | null = null;
export const testPasswordHash = () => (hashed ??= Bun.password.hash(TEST_PASSWORD, { algorithm: "argon2id" }));

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export interface Session {
  id: number;
  username: string;
  role: Role;
  cookie: string;
  /** Cookie + Origin, for your own Request. */
  headers: Record<string, string>;
  call(method: string, path: string, body?: unknown, extraHeaders?: Record<string, string>): Promise<Reply>;
}

export async function send(app: AnyElysia, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const isText = typeof body === "string" || body instanceof Uint8Array; // bytes: a file as uploaded
  const res = await app.handle(
    new Request("http://localhost" + path, {
      method,
      headers: body === undefined ? headers : { "content-type": isText ? "text/csv" : "application/json", ...headers },
      body: body === undefined ? undefined : isText ? (body as BodyInit) : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** An account (created if missing) and a valid session for it on `app`. */
export async function signIn(deps: Deps, app: AnyElysia, opts: { username?: string; role?: Role } = {}): Promise<Session> {
  const username = opts.username ?? (opts.role === "staff" ? "frontdesk" : "admin");
  const role = opts.role ?? "admin";
  const repo = deps.repos.staff;
  const hash = await testPasswordHash();
  const row = repo.byUsername(username) ?? (await deps.writes.enqueue(() => repo.insert(username, hash, role, deps.now())));
  const cookie = `${SESSION_COOKIE}=${await signSession(deps, row)}`;
  const headers = { cookie, origin: ORIGIN };
  return {
    id: row.id,
    username,
    role: row.role,
    cookie,
    headers,
    call: (method, path, body, extra = {}) => send(app, method, path, body, { ...headers, ...extra }),
  };
}
