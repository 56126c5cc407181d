/**
 * One error shape for the whole staff/API surface: `{error: {code, message}}`
 * (plus `field` for validation errors). Never a stack trace; unexpected errors
 * are logged with their stack and answered with a generic message.
 */
import { Elysia } from "elysia";
import type { Logger } from "../log.ts";
import { BodyTimeoutError, bodyTimeout } from "./body-deadline.ts";

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    /** Extra response headers, e.g. Retry-After on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}

export function jsonError(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(errorBody(code, message, extra)), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The first failing field of an Elysia validation error, as a JSON-pointer-ish path without the leading slash. */
function validationDetail(error: unknown): { field: string | undefined; message: string } {
  const e = error as { all?: Array<{ path?: string; summary?: string; message?: string }>; type?: string };
  const first = Array.isArray(e.all) ? e.all[0] : undefined;
  const field = first?.path ? first.path.replace(/^\//, "").replace(/\//g, ".") : undefined;
  const message = first?.summary ?? first?.message ?? "invalid request";
  return { field: field || undefined, message };
}

/**
 * The status is also written to `set.status` so the request log (onAfterResponse)
 * sees the real one: Elysia does not expose a returned Response's status there.
 */
export const errorHandler = (log: Logger) =>
  new Elysia({ name: "error-handler" }).onError({ as: "global" }, ({ code, error, request, set }) => {
    const res = errorResponse(code, error, request, log);
    set.status = res.status;
    return res;
  });

/** The answer to an error: a known one gets its status, anything else 500 (and an error log line). */
export function errorResponse(code: string | number, error: unknown, request: Request, log: Logger): Response {
  if (error instanceof AppError) return jsonError(error.status, error.code, error.message, error.extra, error.headers);
  // A device body that ran past its deadline (devices/common/body.ts): 408 and the connection closed.
  if (error instanceof BodyTimeoutError) return bodyTimeout();
  switch (code) {
    case "NOT_FOUND":
      return jsonError(404, "not_found", "no such endpoint");
    case "VALIDATION": {
      const { field, message } = validationDetail(error);
      return jsonError(422, "validation_failed", field ? `${field}: ${message}` : message, field ? { field } : {});
    }
    case "PARSE":
      return jsonError(400, "bad_request", "the request body could not be parsed");
    case "INVALID_COOKIE_SIGNATURE":
      return jsonError(401, "unauthorized", "invalid session");
    default: {
      const status = (error as { status?: unknown }).status;
      if (typeof status === "number" && status >= 400 && status < 500) {
        return jsonError(status, "bad_request", (error as Error).message || "bad request");
      }
      log.error("unhandled error", {
        path: new URL(request.url, "http://x.invalid").pathname,
        error: (error as Error)?.message,
        stack: (error as Error)?.stack,
      });
      return jsonError(500, "internal", "internal error");
    }
  }
}
