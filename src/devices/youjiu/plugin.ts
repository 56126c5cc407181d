/**
 * Role C: the Youjiu XONE / U+ third-party user server (device-protocols §4),
 * as an Elysia plugin answering in onRequest. `/activate` and `/tokens` manage
 * device credentials; `/third_user` identifies the member by face, QR, scanned
 * code, card, typed ID or staff push. Polls that answer `waiting:1` are served
 * from memory (YoujiuService) and write nothing but a session's first capture.
 */
import { Elysia } from "elysia";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { Database } from "bun:sqlite";
import type { Deps } from "../../deps.ts";
import { remoteAddress } from "../../http/remote.ts";
import { YoujiuRepo, type LoginEvent } from "../../store/youjiu-repo.ts";
import { JoinRequestsRepo } from "../../store/join-requests-repo.ts";
import { safeEqual, secretHash } from "../../http/secrets.ts";
import { parseLenient, readBody, type ParseStatus } from "../common/body.ts";
import { field, isObj, str, type Obj } from "../common/coerce.ts";
import { commitDeviceRequest, toResponse, type DeviceReply, type Handled } from "../common/pipeline.ts";
import { mayNeedRedaction, redactText, redactValue } from "../common/redact.ts";
import { devicePath } from "../common/request.ts";
import { observe } from "../../http/observe.ts";
import { faceLogin } from "./face.ts";
import { MemberLookup, type Decision } from "./lookup.ts";
import { POLL_SESSION_GAP_MS, YoujiuService, type PendingPush } from "./service.ts";
import { LookupThrottle } from "./throttle.ts";
import { ALL_SCENES, ERR, JSON_TYPE, MESSAGES, UPLUS_SCENES, cardFrom, decToHex, errBody, extendData, hexToDec, hint, matchYoujiu, ok, refused, retry, userInfo, type ErrName, type MessageKey, type YoujiuEndpoint } from "./wire.ts";

export const YOUJIU_BODY_LIMIT = 8 * 1024 * 1024;
export const TOKEN_AUDIENCE = "bodydock-youjiu";
const UNKNOWN_CARD_WAIT_MS = 60_000;

function reply(status: number, body: unknown): DeviceReply {
  return { status, body: JSON.stringify(body), contentType: JSON_TYPE };
}
function error(name: ErrName): DeviceReply {
  return reply(ERR[name][0], errBody(name));
}

export function signingKey(deps: Deps): Uint8Array {
  return new TextEncoder().encode(deps.settings.get("youjiu.tokenSigningKey"));
}

export async function issueToken(deps: Deps, sn: string): Promise<string> {
  const iat = Math.floor(deps.now() / 1000);
  return new SignJWT({ sn })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + deps.settings.get("youjiu.tokenTtlSeconds"))
    .sign(signingKey(deps));
}

/** §4.3 carriers, first found wins. */
export function findToken(request: Request, query: URLSearchParams, body: Obj): { token: string; carrier: string } | null {
  const auth = request.headers.get("authorization")?.trim();
  if (auth) {
    const m = /^(bearer|token)\s+(\S+)$/i.exec(auth);
    if (m) return { token: m[2]!, carrier: "authorization" };
    if (!/\s/.test(auth)) return { token: auth, carrier: "authorization" };
  }
  for (const h of ["token", "x-token"]) {
    const v = request.headers.get(h)?.trim();
    if (v) return { token: v, carrier: h };
  }
  const q = query.get("token")?.trim();
  if (q) return { token: q, carrier: "query" };
  const b = str(field(body, "token"))?.trim();
  if (b) return { token: b, carrier: "body" };
  return null;
}

type TokenCheck = { ok: true; sn: string } | { ok: false; error: "UNAUTHORIZED" | "TOKEN_EXPIRED" };

export function youjiuPlugin(deps: Deps) {
  const { service, lookup, throttle } = deps.youjiu;
  const repo = deps.repos.youjiu;
  const joins = deps.repos.joinRequests;
  /** When each unknown SN last asked to join (written at most once per poll session). */
  const joinAskedAt = new Map<string, number>();
  /** Unknown devices are admitted while staff have the pairing window open, or always with autoActivate. */
  const admitsNew = () => deps.pairing.isOpen() || deps.settings.get("youjiu.autoActivate");
  const unknownCardFirstTap = new Map<string, number>();
  const message = (key: MessageKey): string =>
    deps.settings.get(`youjiu.messages.${key}`) ?? MESSAGES[deps.settings.get("youjiu.locale")][key];

  async function verify(token: string): Promise<TokenCheck> {
    try {
      const { payload } = await jwtVerify(token, signingKey(deps), {
        algorithms: ["HS256"],
        audience: TOKEN_AUDIENCE,
        clockTolerance: 60,
        currentDate: new Date(deps.now()),
      });
      const sn = typeof payload.sn === "string" ? payload.sn : null;
      const device = sn ? repo.device(sn) : null;
      if (!sn || !device || device.revoked) return { ok: false, error: "UNAUTHORIZED" };
      return { ok: true, sn };
    } catch (e) {
      return { ok: false, error: e instanceof joseErrors.JWTExpired ? "TOKEN_EXPIRED" : "UNAUTHORIZED" };
    }
  }

  async function parse(request: Request, text: string, endpoint: YoujiuEndpoint): Promise<{ value: unknown; status: ParseStatus }> {
    const ct = request.headers.get("content-type") ?? "";
    if (endpoint === "activate" && /^multipart\/form-data/i.test(ct)) {
      try {
        const form = await new Response(text, { headers: { "content-type": ct } }).formData();
        const value: Record<string, string> = {};
        for (const [k, v] of form) if (typeof v === "string" && !(k in value)) value[k] = v;
        return { value, status: "form" };
      } catch {
        /* fall through to the lenient parser */
      }
    }
    return parseLenient(text, true);
  }

  function captureBodyOf(text: string, parsed: unknown, status: ParseStatus): string | null {
    if (text === "") return null;
    if (status === "unparseable") return /face_image/i.test(text) ? `[face image request, ${Buffer.byteLength(text)} bytes, not stored]` : redactText(text);
    if (isObj(parsed) && String(field(parsed, "type") ?? "").trim().toLowerCase() === "face_image") {
      const v = field(parsed, "value");
      return JSON.stringify(redactValue({ ...parsed, value: `[face image, ${typeof v === "string" ? Buffer.byteLength(v) : 0} bytes, not stored]` }));
    }
    return mayNeedRedaction(text) ? JSON.stringify(redactValue(parsed)) : text;
  }

  async function handle(request: Request, endpoint: YoujiuEndpoint, prefix: string, remote: string | null): Promise<Response> {
    const base = { router: "youjiu", routeKey: endpoint, prefix, storageFailure: error("INTERNAL_ERROR"), redactResponse: true };
    if (!deps.settings.get("youjiu.enabled")) return toResponse(error("NOT_ENABLED"));
    const read = await readBody(request, YOUJIU_BODY_LIMIT);
    if (read.tooLarge) {
      return commitDeviceRequest(deps, request, remote, { ...base, parseStatus: null, captureBody: null, bodyBytes: read.bytes, reply: error("PAYLOAD_TOO_LARGE") });
    }
    const parsed = await parse(request, read.text, endpoint);
    const query = new URL(request.url, "http://device.invalid").searchParams;
    const body: Obj = isObj(parsed.value) ? parsed.value : {};
    const common = { ...base, parseStatus: parsed.status, captureBody: captureBodyOf(read.text, parsed.value, parsed.status), bodyBytes: read.bytes };
    const now = deps.now();
    const param = (k: string) => str(field(body, k))?.trim() || query.get(k)?.trim() || undefined;
    /** An unknown SN while the pairing window is closed: refused and listed as asking to join (no device row). */
    const askToJoin = (sn: string, path: string, answer: DeviceReply = error("DEVICE_NOT_ALLOWED")) => {
      // A device asking again within a poll session (a XONE polls every second) is answered from memory.
      const last = joinAskedAt.get(sn);
      if (last !== undefined && now - last < POLL_SESSION_GAP_MS) return toResponse(answer);
      if (joinAskedAt.size >= 10_000) joinAskedAt.delete(joinAskedAt.keys().next().value!);
      joinAskedAt.set(sn, now);
      return commitDeviceRequest(deps, request, remote, {
        ...common,
        authFailure: answer.status >= 400,
        authResult: "asking_to_join",
        reply: answer,
        persist: () => (joins.asked({ vendor: "youjiu", deviceKey: sn.slice(0, 64), family: endpoint === "third_user" ? "xone" : null, ip: remote, path }, now), {}),
      });
    };

    if (endpoint === "activate") {
      const sn = param("sn");
      if (!sn) return commitDeviceRequest(deps, request, remote, { ...common, reply: error("MISSING_SN") });
      const known = repo.device(sn);
      if (!known && !admitsNew()) return askToJoin(sn, "activate");
      if (known?.revoked) return commitDeviceRequest(deps, request, remote, { ...common, authFailure: true, authResult: "revoked", reply: error("DEVICE_NOT_ALLOWED") });
      // A stored secret is never given out again (spec §0.3): a known SN with a secret is refused;
      // one whose credentials staff reset (secret NULL) gets a fresh secret, once.
      if (known?.secret) return commitDeviceRequest(deps, request, remote, { ...common, authFailure: true, authResult: "already_activated", reply: error("ALREADY_ACTIVATED") });
      const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
      return commitDeviceRequest(deps, request, remote, {
        ...common,
        authResult: known ? "reactivated" : "activated",
        reply: reply(200, ok({ secret })),
        device: () => {
          const row = repo.upsert(sn, now, remote, null, secret);
          if (row.secret === null) repo.setSecret(sn, secret, now);
          joins.removeKey("youjiu", sn);
          return row.id;
        },
      });
    }

    if (endpoint === "tokens") {
      const sn = param("sn");
      const secret = param("secret");
      if (!sn || !secret) return commitDeviceRequest(deps, request, remote, { ...common, reply: error("MISSING_PARAMETER") });
      const known = repo.device(sn);
      if (!known && !admitsNew()) return askToJoin(sn, "tokens");
      if (known?.revoked) return commitDeviceRequest(deps, request, remote, { ...common, authFailure: true, authResult: "device_not_allowed", reply: error("DEVICE_NOT_ALLOWED") });
      // Trust on first use: an SN that is new (admitted above) or known without a secret (staff reset its
      // credentials, or approved its join request) is stored with the presented secret, unless that is the
      // secret staff just revoked.
      const tofu = !known || known.secret === null;
      const revokedSecret = tofu && known?.old_secret_hash != null && safeEqual(known.old_secret_hash, secretHash(secret));
      if (revokedSecret || (!tofu && !safeEqual(known!.secret!, secret))) {
        return commitDeviceRequest(deps, request, remote, { ...common, authFailure: true, authResult: "invalid_secret", reply: error("INVALID_SECRET") });
      }
      const token = await issueToken(deps, sn);
      if (remote) service.snByIp.set(remote, sn);
      return commitDeviceRequest(deps, request, remote, {
        ...common,
        authResult: tofu ? "trusted_on_first_use" : "secret_ok",
        reply: reply(200, ok({ token })),
        device: () => {
          // Trust on first use: an unknown SN (or one whose secret was reset) is stored with the presented secret.
          const row = repo.upsert(sn, now, remote, null, secret);
          if (row.secret === null) repo.setSecret(sn, secret, now);
          repo.tokenIssued(sn, now);
          return row.id;
        },
      });
    }

    // ---- /third_user ----
    const presented = findToken(request, query, body);
    let tokenSn: string | null = null;
    let authResult: string | null = null;
    if (presented) {
      const check = await verify(presented.token);
      if (!check.ok) {
        return commitDeviceRequest(deps, request, remote, { ...common, authFailure: true, authResult: `${check.error.toLowerCase()} via ${presented.carrier}`, reply: error(check.error) });
      }
      tokenSn = check.sn;
      authResult = `token via ${presented.carrier}`;
      if (remote) service.snByIp.set(remote, tokenSn);
    } else if (deps.settings.get("youjiu.requireToken")) {
      return commitDeviceRequest(deps, request, remote, { ...common, authFailure: true, authResult: "token_missing", reply: error("UNAUTHORIZED") });
    }
    /** A readable attempt that cannot be served as asked: the device shows the message and lets the member retry (§0.3). */
    const tryAgain = (why: string) => commitDeviceRequest(deps, request, remote, { ...common, authResult: authResult ? `${authResult}; ${why}` : why, reply: reply(200, retry(message("retry"))) });
    if (parsed.status === "unparseable") return tryAgain("invalid_json");
    const type = str(field(body, "type"))?.trim().toLowerCase();
    if (!type) return tryAgain("missing_type");
    const rawValue = field(body, "value");
    const value = typeof rawValue === "string" ? rawValue.trim() : typeof rawValue === "number" ? String(rawValue) : "";
    const scene = str(field(body, "scene"))?.trim() || null;
    const ctx = { ...common, authResult };
    const family = type === "f-push" ? "xone" : scene && (UPLUS_SCENES as readonly string[]).slice(1).includes(scene) ? "uplus" : null;

    /** Answers after logging the outcome (and touching the device) durably. */
    const answer = (body: unknown, event: (Omit<LoginEvent, "at" | "remoteIp" | "type" | "scene"> & { scene?: string | null }) | null, extra: Partial<Handled> = {}) =>
      commitDeviceRequest(deps, request, remote, {
        ...ctx,
        ...extra,
        reply: reply(200, body),
        device: () => {
          const sn = event?.sn ?? tokenSn;
          if (!sn) return null;
          repo.seen(sn, now, remote, family);
          return repo.device(sn)?.id ?? null;
        },
        persist: (db: Database) => {
          if (event) repo.event({ ...event, at: now, remoteIp: remote, type, scene: event.scene ?? scene });
          extra.persist?.(db, 0);
          return {};
        },
      });
    const identified = (d: Decision, sn: string | null, valueHint: string | null, withScene: string | null = null) => {
      switch (d.kind) {
        case "member": {
          const ext = extendData(d.member.id, sn, now);
          const result: Record<string, unknown> = { user_info: userInfo(d.member, now, deps.settings.get("youjiu.phoneMode"), deps.settings.get("gym.timeZone")) };
          if (deps.settings.get("youjiu.extendData")) result.extend_data = ext;
          if (withScene) result.scene = withScene;
          return { body: ok(result), event: { sn, outcome: "delivered" as const, memberId: d.member.id, extendData: ext, valueHint } };
        }
        case "inactive":
          return { body: refused(message("inactiveMember")), event: { sn, outcome: "inactive" as const, memberId: d.memberId, extendData: null, valueHint } };
        case "ambiguous":
          return { body: refused(message("ambiguousMember")), event: { sn, outcome: "ambiguous" as const, memberId: null, extendData: null, valueHint } };
        default:
          return { body: refused(message("unknownMember")), event: { sn, outcome: "unknown" as const, memberId: null, extendData: null, valueHint } };
      }
    };

    const allowed = deps.settings.get("youjiu.allowedScenes");
    if (scene && allowed && !allowed.includes(scene)) {
      return answer(refused(message("sceneNotAllowed")), { sn: tokenSn, outcome: "scene_not_allowed", memberId: null, extendData: null, valueHint: value ? hint(value) : null });
    }
    if (scene && !ALL_SCENES.includes(scene)) deps.log.info("youjiu: unknown scene", { scene });

    /** Look-ups by value are limited per device and per address (security issue, point 4). */
    const throttled = (): Promise<Response> | null => {
      const over = throttle.take(tokenSn, remote, now);
      if (!over) return null;
      deps.log.warn("youjiu: member look-ups throttled", { by: over, sn: tokenSn, remote, type });
      return commitDeviceRequest(deps, request, remote, { ...ctx, authResult: `${authResult ?? "no_token"}; throttled_by_${over}`, reply: reply(200, retry(message("slowDown"))) });
    };

    switch (type) {
      case "face_image": {
        // Not counted by the look-up limit: a face cannot be guessed like a number, and inference runs in
        // its own low-priority worker, so face requests cannot starve the other devices.
        if (!value) return tryAgain("missing_value");
        const sn = tokenSn ?? (remote ? (service.snByIp.get(remote) ?? null) : null);
        const f = await faceLogin(deps, { value, tokenVerified: tokenSn !== null, sn, device: sn ? repo.device(sn) : null, unavailableMessage: message("faceUnavailable") });
        if (f.kind === "answer") return answer(f.body, { sn: tokenSn, outcome: f.outcome, memberId: null, extendData: null, valueHint: f.valueHint });
        const r = identified(lookup.decide([f.memberId]), tokenSn, f.valueHint);
        const body = r.event.outcome === "delivered" ? { ...r.body, result: { ...r.body.result, recognizing_faces: 1 } } : r.body;
        return answer(body, r.event);
      }
      case "scan":
      case "scan-ed": {
        if (!value) return tryAgain("missing_value");
        const limited = throttled();
        if (limited) return limited;
        const r = identified(lookup.decide(lookup.byScan(value)), tokenSn, hint(value));
        return answer(r.body, r.event);
      }
      case "id": {
        if (!value) return tryAgain("missing_value");
        const limited = throttled();
        if (limited) return limited;
        const r = identified(lookup.decide(lookup.byId(value, deps.settings.get("youjiu.countryCallingCode"))), tokenSn, hint(value));
        return answer(r.body, r.event);
      }
      case "card-ed": {
        const card = cardFrom(rawValue);
        if (!card.dec && !card.hex) return waitingAnswer(null);
        const dec = card.dec ?? hexToDec(card.hex!);
        // A card waiting for staff to enrol it polls every second: only its first tap counts.
        if (!unknownCardFirstTap.has(dec)) {
          const limited = throttled();
          if (limited) return limited;
        }
        const ids = lookup.byCard(card);
        const hex = card.hex ?? decToHex(card.dec!);
        if (ids.length === 0) {
          if (deps.settings.get("youjiu.unknownCardMode") === "wait") {
            const first = unknownCardFirstTap.get(dec) ?? now;
            unknownCardFirstTap.set(dec, first);
            if (now - first < UNKNOWN_CARD_WAIT_MS) {
              return answer(ok({ waiting: 1 }), null, { persist: () => (repo.unknownCard(dec, hex, tokenSn, now), {}) });
            }
            unknownCardFirstTap.delete(dec);
          }
          const r = identified({ kind: "unknown" }, tokenSn, hint(dec));
          return answer(r.body, r.event, { persist: () => (repo.unknownCard(dec, hex, tokenSn, now), {}) });
        }
        unknownCardFirstTap.delete(dec);
        const r = identified(lookup.decide(ids), tokenSn, hint(dec));
        return answer(r.body, r.event);
      }
      case "qr": {
        if (!value) return tryAgain("missing_value");
        if (tokenSn && qrNamesOtherSn(value, tokenSn)) return snMismatch(value);
        const { binding, firstOfSession } = service.qrPoll(value, scene, tokenSn, remote);
        if (!binding) return waitingAnswer(firstOfSession ? null : "skip");
        if (binding.deliveredAt !== null) return toResponse(reply(200, binding.answer)); // lost-response safety: same answer again
        const r = identified(lookup.decide([binding.memberId]), tokenSn, hint(value));
        const res = await answer(r.body, r.event);
        if (res.status === 200) service.qrDelivered(value, r.body);
        return res;
      }
      case "f-push": {
        // With a token the SN is the token's: a device cannot poll for (and collect) another's push (§0.3).
        if (tokenSn && value && tokenSn !== value) return snMismatch(value);
        const sn = tokenSn ?? value;
        if (!sn) return tryAgain("missing_value");
        if (!tokenSn && !repo.device(sn) && !admitsNew()) {
          // No token (requireToken=false) and an SN nobody approved: no waiting record, no member data.
          return askToJoin(sn, "f-push", reply(200, ok({ waiting: 1 })));
        }
        const { push, firstOfSession } = service.poll(sn, remote);
        if (!push) {
          if (!firstOfSession) return toResponse(reply(200, ok({ waiting: 1 })));
          // The first poll of a session is captured, and makes the XONE known to staff.
          return commitDeviceRequest(deps, request, remote, {
            ...ctx,
            reply: reply(200, ok({ waiting: 1 })),
            device: () => repo.upsert(sn, now, remote, "xone", null).id,
          });
        }
        return deliverPush(sn, push);
      }
      default:
        return answer(refused(message("unsupportedType")), { sn: tokenSn, outcome: "unsupported", memberId: null, extendData: null, valueHint: value ? hint(value) : null });
    }

    /** A QR value that belongs to another device: it names another SN, or another device's session polls it. */
    function qrNamesOtherSn(value: string, sn: string): boolean {
      const named = /(?:^|[?&#;,\s])sn[=:]\s*([A-Za-z0-9_-]{4,64})/i.exec(value)?.[1];
      if (named && named !== sn) return true;
      const owner = service.qrOwner(value);
      return owner !== null && owner !== sn;
    }

    /** 403 SN_MISMATCH, logged: a token for one device asked for another device's logins. */
    function snMismatch(value: string): Promise<Response> {
      deps.log.warn("youjiu: request names another SN than its token", { tokenSn, value: hint(value), type, remote });
      return commitDeviceRequest(deps, request, remote, { ...ctx, authFailure: true, authResult: `sn_mismatch (token ${tokenSn})`, reply: error("SN_MISMATCH") });
    }

    /** `waiting:1`; "skip" answers from memory with no capture. */
    function waitingAnswer(mode: "skip" | null): Promise<Response> | Response {
      if (mode === "skip") return toResponse(reply(200, ok({ waiting: 1 })));
      return commitDeviceRequest(deps, request, remote, { ...ctx, reply: reply(200, ok({ waiting: 1 })) });
    }

    async function deliverPush(sn: string, push: PendingPush): Promise<Response> {
      // Re-check the member's status at delivery time.
      const d = lookup.decide([push.memberId]);
      const r = d.kind === "member" ? identified(d, sn, null, push.scene) : identified({ kind: "inactive", memberId: push.memberId }, sn, null);
      const outcome = d.kind === "member" ? "delivered" : "rejected_inactive";
      const res = await answer(r.body, { ...r.event, outcome, pushedBy: push.pushedBy, scene: push.scene });
      if (res.status === 200) service.delivered(sn, push, outcome);
      else service.deliveryFailed(push);
      return res;
    }
  }

  return new Elysia({ name: "device-youjiu" }).onRequest(async ({ request, server, set }) => {
    const m = matchYoujiu(devicePath(request));
    if (!m) return;
    const res = await handle(request, m.endpoint, m.prefix, remoteAddress(server, request));
    set.status = res.status;
    observe(deps, request, `youjiu.${m.endpoint}`, res.status);
    return res;
  });
}
