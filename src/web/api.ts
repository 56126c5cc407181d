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
import { fieldLabel, hasKey, t, type Key } from "./i18n/index.ts";

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

/**
 * A message for the user from anything thrown. Server errors are said in the page's language by
 * their `code` (`err.<code>`, with the answer's fields as parameters); a validation error names the
 * field by its label. Only a code the page does not know yet shows the server's English sentence.
 */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const body = (typeof e.body === "object" && e.body !== null ? ((e.body as { error?: Record<string, unknown> }).error ?? {}) : {}) as Record<string, string | number>;
    const vars = { ...body, field: e.field ? fieldLabel(e.field) : "" };
    if (e.code === "validation_failed") return e.field ? t("err.validation_failed_field", vars) : t("err.validation_failed");
    if (hasKey(`err.${e.code}`)) return t(`err.${e.code}` as Key, vars);
    if (e.status === 0 || e.status >= 500) return t("err.server", { status: e.status });
    return e.message;
  }
  if (e instanceof TypeError) return t("err.network");
  return e instanceof Error ? e.message : String(e);
}

/** A POST of raw bytes (a file as uploaded) with the same session handling as call(): call(() => postBytes(...)). */
export async function postBytes<T>(path: string, body: ArrayBuffer | Blob, contentType: string, method = "POST"): Promise<TreatyResult<T>> {
  const r = await fetch(path, { method, body, headers: { "content-type": contentType }, credentials: "same-origin" });
  const text = await r.text();
  let value: unknown = text;
  try {
    value = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return r.ok ? { data: value as T, error: null, status: r.status } : { data: null, error: { status: r.status, value }, status: r.status };
}
