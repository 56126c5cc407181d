/**
 * The page's only way to the server: an Eden treaty client typed by the server's App
 * (type-only import, so no server code is bundled), plus session handling.
 *
 * call(fn) runs a treaty request; on 401 it opens the sign-in dialog over the current view
 * (whatever the user typed stays in place), waits for a successful sign-in and runs the same
 * request again. Other errors become ApiError with the server's {error:{code,message}}.
 */
import { treaty } from "@elysiajs/eden";
import { signal } from "@preact/signals";
import type { App } from "../app.ts";

export const api = treaty<App>(location.origin, { fetch: { credentials: "same-origin" }, parseDate: false }).api.v1;

export interface Me {
  id: number;
  username: string;
  role: "admin" | "staff";
}
export const me = signal<Me | null>(null);
/** Set while a request waits for the user to sign in again. */
export const needLogin = signal(false);
let waiters: Array<() => void> = [];

export function loggedIn(m: Me): void {
  me.value = m;
  needLogin.value = false;
  const w = waiters;
  waiters = [];
  for (const f of w) f();
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** The whole error answer, for callers that read more than the message. */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

type TreatyResult<T> = { data: T; error: null; status: number } | { data: null; error: { status: unknown; value: unknown }; status: number };

/** Admin-only routes can answer a guard Response; the page never sees one as data. */
export async function call<T>(fn: () => Promise<TreatyResult<T>>): Promise<Exclude<T, Response>> {
  for (;;) {
    const r = await fn();
    if (r.error === null) return r.data as Exclude<T, Response>;
    if (r.status === 401 && me.value !== null) {
      needLogin.value = true;
      await new Promise<void>((res) => waiters.push(res));
      continue;
    }
    const v = r.error.value as { error?: { code?: string; message?: string; field?: string } } | string | null;
    const e = typeof v === "object" && v !== null ? v.error : undefined;
    throw new ApiError(r.status, e?.code ?? "error", e?.message ?? (typeof v === "string" ? v : `HTTP ${r.status}`), e?.field, v);
  }
}

/** A message for the user from anything thrown. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
}
