/**
 * The one pipeline every device request goes through (issue 14 point 2; device-protocols §1.3–§1.7):
 * enabled check → body read with the role's limit (413) → lenient parse → the role's handler →
 * capture (redacted, capture budget) + device seen + data rows in ONE group-committed transaction →
 * the answer, only after commit → observe. Roles (role.ts) decide the answer and what to store; this
 * decides when, and does the rest once.
 */
import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { observe } from "../http/observe.ts";
import { remoteAddress } from "../http/remote.ts";
import { parseLenient, readBody, type Parsed, type ParseStatus } from "./common/body.ts";
import { requestTarget } from "./common/path.ts";
import { devicePath } from "./common/request.ts";
import { mayNeedRedaction, redactHeaders, redactTarget, redactText, redactValue } from "./common/redact.ts";
import { authenticated } from "./common/capture-budget.ts";
import type { AnyRole, DeviceRole, RouteInfo } from "./role.ts";

export interface DeviceReply {
  status: number;
  /** Serialized body (JSON text or plain text). */
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

export interface PersistResult {
  duplicate?: boolean;
  quarantine?: boolean;
}

export interface Handled {
  router: string;
  routeKey: string | null;
  prefix: string | null;
  parseStatus: ParseStatus | null;
  authResult?: string | null;
  /** Body text as it should be captured (already redacted), or null for none. */
  captureBody: string | null;
  bodyBytes: number;
  unknownPath?: boolean;
  quarantine?: boolean;
  authFailure?: boolean;
  reply: DeviceReply;
  /** Answer when storage fails (the only case a data endpoint reports failure). */
  storageFailure: DeviceReply;
  /** Resolves (upserts) the device first, so the capture is written once with its device id. */
  device?: () => number | null;
  /** Writes the data rows; runs in the capture's transaction, after it (captureId is 0 when skipped). */
  persist?: (captureId: number) => PersistResult;
  /** Skip the capture row (e.g. repeated Youjiu waiting polls); persist still runs if given. */
  skipCapture?: boolean;
  /** Redact secrets in the captured response too (Youjiu tokens). */
  redactResponse?: boolean;
  /** Response text to capture instead of the answer (an answer that carries a key, e.g. Yolanda read_secret_key). */
  captureResponse?: string;
}

/**
 * What a role's handler decides. `memory`: answered from memory, nothing captured or stored (e.g.
 * repeated Youjiu waiting polls). Otherwise the answer and what to store with the capture; `after`
 * runs once the transaction committed (true) or failed (false).
 */
export type Outcome =
  | { memory: DeviceReply }
  | (Pick<Handled, "reply" | "authResult" | "authFailure" | "quarantine" | "unknownPath" | "device" | "persist" | "skipCapture" | "captureResponse"> & {
      after?: (stored: boolean) => void;
    });

const identity = (x: unknown) => x;

/** The capture text of a body: verbatim when nothing needs redaction (`clean`); none for an empty body. */
export function captureText(text: string, parsed: Parsed, clean = !mayNeedRedaction(text)): string | null {
  if (text === "") return null;
  if (clean) return text;
  return parsed.status === "ok" || parsed.status === "empty" ? JSON.stringify(redactValue(parsed.value)) : redactText(text);
}

/** One request through one role, from the enabled check to the committed answer. */
export async function runRole<R>(deps: Deps, role: DeviceRole<R>, route: R, info: RouteInfo, request: Request, remote: string | null): Promise<Response> {
  const now = deps.now();
  if (!info.enabled) return toResponse(info.disabled);
  const base = { router: info.router, routeKey: info.routeKey, prefix: info.prefix, storageFailure: info.storageFailure, unknownPath: info.unknownPath, redactResponse: info.redactResponse };
  const read = await readBody(request, info.bodyLimit);
  if (read.tooLarge) {
    return (await commitDeviceRequest(deps, request, remote, { ...base, parseStatus: null, captureBody: null, bodyBytes: read.bytes, reply: info.tooLarge }, now)).response;
  }
  const parsed = role.parse ? await role.parse(request, read.text, route) : parseLenient(read.text);
  const clean = !mayNeedRedaction(read.text);
  const captureBody = role.captureText ? role.captureText(read.text, parsed) : captureText(read.text, parsed, clean);
  const out = await role.handle({ route, path: devicePath(request), request, remote, now, text: read.text, parsed, scrub: clean ? identity : redactValue });
  if ("memory" in out) return toResponse(out.memory);
  const { after, ...decided } = out;
  const r = await commitDeviceRequest(deps, request, remote, { ...base, parseStatus: parsed.status, captureBody, bodyBytes: read.bytes, ...decided }, now);
  after?.(r.stored);
  return r.response;
}

/** Answers a device request, or returns null when no role takes its path (it is not a device request). */
export type DeviceDispatch = (request: Request, remote: string | null) => Promise<Response> | null;

/**
 * The device roles' dispatcher: the first role whose matcher takes the normalised path answers, in
 * list order (§1.3). The server (server.ts) calls it before Elysia sees the request: device traffic is
 * most of a box's requests and needs nothing of the framework. `deviceRouter` mounts the same
 * dispatcher in Elysia for `app.handle` (tests, in process).
 */
export function deviceDispatcher(deps: Deps, roles: readonly AnyRole[]): DeviceDispatch {
  return (request, remote) => {
    const path = devicePath(request);
    for (const role of roles) {
      const route = role.match(path);
      if (route === null) continue;
      const info = role.describe(route);
      return runRole(deps, role, route, info, request, remote).then((res) => {
        observe(deps, request, info.label, res.status);
        return res;
      });
    }
    return null;
  };
}

/**
 * The device router inside Elysia: one onRequest hook, before Elysia's body parser can reject a
 * device's odd Content-Type (§1.3). Over a socket, server.ts has answered device requests already.
 */
export function deviceRouter(deps: Deps, roles: readonly AnyRole[], dispatch: DeviceDispatch = deviceDispatcher(deps, roles)) {
  return new Elysia({ name: "device-roles" }).onRequest(async ({ request, server, set }) => {
    const answer = dispatch(request, remoteAddress(server, request));
    if (answer === null) return;
    const res = await answer;
    set.status = res.status;
    return res;
  });
}

export function toResponse(r: DeviceReply): Response {
  return new Response(r.body, { status: r.status, headers: { "content-type": r.contentType, ...r.headers } });
}

/** Writes the capture, the device and the rows in one transaction; `stored` is false when it failed. */
export async function commitDeviceRequest(deps: Deps, request: Request, remote: string | null, h: Handled, now: number): Promise<{ response: Response; stored: boolean }> {
  const { captures } = deps.repos;
  const rawTarget = redactTarget(requestTarget(request.url));
  // Unauthenticated capture volume is capped per address (capture-budget.ts); the answer does not change.
  const budget = deps.captureBudget;
  const decision = h.skipCapture || authenticated(h.authResult) ? ({ kind: "full" } as const) : budget.take(remote, h.captureBody?.length ?? 0);
  const presence = deps.presence;
  let deviceId: number | null = null;
  try {
    await deps.writes.enqueue(() => {
      deviceId = h.device ? h.device() : null;
      // device.online goes to the outbox in this transaction; the data rows' events too (issue 17).
      if (deviceId !== null) presence.seen(deviceId, now);
      let captureId = 0;
      // Jobs run one after another, so the first overflow of the minute makes the row the others share.
      const overflowId = decision.kind === "overflow" ? budget.overflowId(remote) : null;
      if (overflowId !== null && captures.exists(overflowId)) {
        captureId = overflowId;
      } else if (!h.skipCapture) {
        const limited = decision.kind !== "full";
        captureId = captures.insert({
          receivedAt: now,
          remoteIp: remote,
          method: request.method,
          rawPath: rawTarget,
          router: h.router,
          routeKey: h.routeKey,
          pathPrefix: h.prefix,
          headers: redactHeaders(request.headers),
          bodyText: !limited
            ? h.captureBody
            : decision.kind === "overflow"
              ? `[capture volume limit for ${remote ?? "this address"}: this and the following requests of this minute share this capture]`
              : h.captureBody === null
                ? null
                : `[body not kept: capture volume limit for ${remote ?? "this address"}]`,
          bodyBytes: h.bodyBytes,
          parseStatus: h.parseStatus,
          authResult: h.authResult ?? null,
          responseStatus: h.reply.status,
          responseBody: h.captureResponse ?? (h.redactResponse ? redactText(h.reply.body) : h.reply.body),
          deviceId,
          unknownPath: h.unknownPath,
          quarantine: h.quarantine,
          authFailure: h.authFailure,
        });
        if (decision.kind === "overflow") budget.setOverflow(remote, captureId);
      }
      if (h.persist) {
        const r = h.persist(captureId);
        if (captureId && (r.duplicate || (r.quarantine && !h.quarantine))) captures.flag(captureId, r.duplicate === true, r.quarantine === true);
      }
    });
  } catch (e) {
    if (deviceId !== null) presence.forget(deviceId);
    deps.log.error("device request not stored", { router: h.router, route: h.routeKey, error: (e as Error).message });
    return { response: toResponse(h.storageFailure), stored: false };
  }
  // A body over the role's limit was not read to its end: close the connection rather than read the rest.
  if (h.reply.status === 413) return { response: toResponse({ ...h.reply, headers: { ...h.reply.headers, connection: "close" } }), stored: true };
  return { response: toResponse(h.reply), stored: true };
}
