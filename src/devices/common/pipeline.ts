/**
 * The shared end of every device request: write the capture and the data rows
 * in one group-committed transaction, then answer (device-protocols §1.6–§1.7).
 * Role handlers decide the answer and what to persist; this decides when.
 */
import type { Database } from "bun:sqlite";
import type { Deps } from "../../deps.ts";
import type { ParseStatus } from "./body.ts";
import { requestTarget } from "./path.ts";
import { redactHeaders, redactTarget, redactText } from "./redact.ts";
import { authenticated } from "./capture-budget.ts";

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
  device?: (db: Database) => number | null;
  /** Writes the data rows; runs in the capture's transaction, after it (captureId is 0 when skipped). */
  persist?: (db: Database, captureId: number) => PersistResult;
  /** Skip the capture row (e.g. repeated Youjiu waiting polls); persist still runs if given. */
  skipCapture?: boolean;
  /** Redact secrets in the captured response too (Youjiu tokens). */
  redactResponse?: boolean;
  /** Response text to capture instead of the answer (an answer that carries a key, e.g. Yolanda read_secret_key). */
  captureResponse?: string;
}

export function toResponse(r: DeviceReply): Response {
  return new Response(r.body, { status: r.status, headers: { "content-type": r.contentType, ...r.headers } });
}

export async function commitDeviceRequest(deps: Deps, request: Request, remote: string | null, h: Handled): Promise<Response> {
  const { captures } = deps.repos;
  const now = deps.now();
  const rawTarget = redactTarget(requestTarget(request.url));
  // Unauthenticated capture volume is capped per address (capture-budget.ts); the answer does not change.
  const budget = deps.captureBudget;
  const decision = h.skipCapture || authenticated(h.authResult) ? ({ kind: "full" } as const) : budget.take(remote, h.captureBody?.length ?? 0);
  const presence = deps.presence;
  let deviceId: number | null = null;
  try {
    await deps.writes.enqueue((db) => {
      deviceId = h.device ? h.device(db) : null;
      // device.online goes to the outbox in this transaction; the data rows' events too (issue 17).
      if (deviceId !== null) presence.seen(db, deviceId, now);
      let captureId = 0;
      // Jobs run one after another, so the first overflow of the minute makes the row the others share.
      const overflowId = decision.kind === "overflow" ? budget.overflowId(remote) : null;
      if (overflowId !== null && captures.byId(overflowId)) {
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
        const r = h.persist(db, captureId);
        if (captureId && (r.duplicate || (r.quarantine && !h.quarantine))) captures.flag(captureId, r.duplicate === true, r.quarantine === true);
      }
    });
  } catch (e) {
    if (deviceId !== null) presence.forget(deviceId);
    deps.log.error("device request not stored", { router: h.router, route: h.routeKey, error: (e as Error).message });
    return toResponse(h.storageFailure);
  }
  // A body over the role's limit was not read to its end: close the connection rather than read the rest.
  if (h.reply.status === 413) return toResponse({ ...h.reply, headers: { ...h.reply.headers, connection: "close" } });
  return toResponse(h.reply);
}
