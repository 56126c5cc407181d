/**
 * Request bodies: a total deadline and the staff body limit (issue 13, point 7).
 *
 * Bun's idle timeout only notices a connection that sends nothing at all; a client that trickles
 * one byte every few seconds would hold a request (and its buffers) for ever. So every body read
 * — the staff API's here, the device roles' in devices/common/body.ts — has a deadline counted
 * from the moment the request arrived (`--body-timeout`, default 30 s). Past it the request is
 * answered 408 and the connection is closed.
 */
import { jsonError } from "./errors.ts";
import { MAX_JSON_DEPTH, jsonTooComplex } from "./json-limits.ts";

const deadlines = new WeakMap<Request, number>();

/** Default when a request was not seen by app.ts (a role tested on its own). */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/** Called once per request, first thing (app.ts). `now` is the wall clock: deadlines are real time, not the app clock. */
export function setBodyDeadline(request: Request, timeoutMs: number): void {
  deadlines.set(request, Date.now() + timeoutMs);
}

/** Milliseconds left to read this request's body. */
export function bodyTimeLeft(request: Request): number {
  const d = deadlines.get(request);
  return (d ?? Date.now() + DEFAULT_BODY_TIMEOUT_MS) - Date.now();
}

/** Thrown by a body read that ran past the deadline; the error handler answers 408 and closes (http/errors.ts). */
export class BodyTimeoutError extends Error {
  constructor() {
    super("the request body did not arrive in time");
    this.name = "BodyTimeoutError";
  }
}

/** Answers that end the connection: the rest of an unread body must not be read, or waited for. */
export const CLOSE = { connection: "close" };

/**
 * One read from `reader`, or BodyTimeoutError when `request`'s deadline passes first. On a timeout
 * the reader is cancelled without waiting (a cancelled tee branch only settles once its twin is
 * cancelled too).
 */
export async function readBefore<T>(request: Request, reader: ReadableStreamDefaultReader<T>): ReturnType<ReadableStreamDefaultReader<T>["read"]> {
  const left = bodyTimeLeft(request);
  if (left <= 0) {
    void reader.cancel().catch(() => {});
    throw new BodyTimeoutError();
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyTimeoutError()), left);
  });
  try {
    return await Promise.race([reader.read(), late]);
  } catch (e) {
    if (e instanceof BodyTimeoutError) void reader.cancel().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** `work` (a whole-body read), or BodyTimeoutError when `request`'s deadline passes first. */
export async function beforeDeadline<T>(request: Request, work: Promise<T>): Promise<T> {
  const left = bodyTimeLeft(request);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyTimeoutError()), Math.max(0, left));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    // A late body is abandoned: its read may settle (or fail) whenever the socket closes.
    work.catch(() => {});
  }
}

/** Stops reading a request body for good: no waiting (see readBefore). */
export function abandonBody(request: Request): void {
  try {
    if (request.body && !request.bodyUsed && !request.body.locked) void request.body.cancel().catch(() => {});
  } catch {
    /* already gone */
  }
}

/**
 * The staff body check, before Elysia parses anything: over `limit` bytes (declared or counted) is
 * 413, a body still arriving at the deadline is 408; both close the connection and drop the rest
 * of the body. The body is read from a clone, so Elysia's parser finds it intact afterwards; the
 * tee keeps at most `limit` bytes.
 */
export async function checkStaffBody(request: Request, limit: number): Promise<Response | null> {
  if (request.body === null) return null;
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    abandonBody(request);
    return tooLarge(limit);
  }
  const reader = request.clone().body!.getReader();
  const json = /json/i.test(request.headers.get("content-type") ?? "");
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await readBefore(request, reader);
      if (done) {
        // JSON too deep or too large is refused before Elysia parses it (issue 13, point 7).
        if (json && jsonTooComplex(new TextDecoder().decode(Buffer.concat(chunks)))) {
          return jsonError(400, "json_too_complex", `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels or holds too many values`);
        }
        return null;
      }
      if (json) chunks.push(value);
      total += value.byteLength;
      if (total > limit) {
        void reader.cancel().catch(() => {});
        abandonBody(request);
        return tooLarge(limit);
      }
    }
  } catch (e) {
    if (!(e instanceof BodyTimeoutError)) throw e;
    abandonBody(request);
    return bodyTimeout();
  }
}

function tooLarge(limit: number): Response {
  return jsonError(413, "payload_too_large", `request body is larger than the limit of ${limit} bytes`, {}, CLOSE);
}

export function bodyTimeout(): Response {
  return jsonError(408, "body_timeout", "the request body did not arrive in time; the connection is closed", {}, CLOSE);
}
