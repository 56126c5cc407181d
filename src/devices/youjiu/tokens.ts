/**
 * Youjiu device credentials (device-protocols §4.3–§4.5): `/activate` hands out a secret once, `/tokens`
 * trades it for a JWT (trust on first use for a new or reset SN), and `/third_user` checks the token.
 * An unknown SN while the pairing window is closed is refused and listed as asking to join.
 */
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { Deps } from "../../deps.ts";
import { safeEqual, secretHash } from "../../http/secrets.ts";
import { field, str, type Obj } from "../common/coerce.ts";
import type { DeviceReply, Outcome } from "../pipeline.ts";
import type { DeviceRequest } from "../role.ts";
import { ERR, JSON_TYPE, POLL_SESSION_GAP_MS, errBody, ok, type ErrName, type YoujiuEndpoint } from "./wire.ts";

export const TOKEN_AUDIENCE = "bodydock-youjiu";

export interface YoujiuRoute {
  endpoint: YoujiuEndpoint;
  prefix: string;
}

export function reply(status: number, body: unknown): DeviceReply {
  return { status, body: JSON.stringify(body), contentType: JSON_TYPE };
}
export function error(name: ErrName): DeviceReply {
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

/**
 * A Youjiu device's row, through the one device upsert (DevicesRepo.seen, last-seen throttled): the SN is
 * its key; a family once known (a XONE, a U+) is kept. Call inside a write job; returns its id.
 */
export function youjiuSeen(deps: Deps, sn: string, now: number, ip: string | null, family: "xone" | "uplus" | null): number {
  return deps.repos.devices.seen({ vendor: "youjiu", deviceKey: sn, sn, family: family ?? undefined, keepFamily: true, ip, approveNew: true }, now).id;
}

export type TokenCheck = { ok: true; sn: string } | { ok: false; error: "UNAUTHORIZED" | "TOKEN_EXPIRED" };

/** The credentials side of the role: token checks, `/activate`, `/tokens`, and join requests. */
export class YoujiuCredentials {
  /** When each unknown SN last asked to join (written at most once per poll session). */
  private readonly joinAskedAt = new Map<string, number>();

  constructor(private readonly deps: Deps) {}

  /** Unknown devices are admitted while staff have the pairing window open, or always with autoActivate. */
  admitsNew(): boolean {
    return this.deps.pairing.isOpen() || this.deps.settings.get("youjiu.autoActivate");
  }

  async verify(token: string): Promise<TokenCheck> {
    try {
      const { payload } = await jwtVerify(token, signingKey(this.deps), {
        algorithms: ["HS256"],
        audience: TOKEN_AUDIENCE,
        clockTolerance: 60,
        currentDate: new Date(this.deps.now()),
      });
      const sn = typeof payload.sn === "string" ? payload.sn : null;
      const device = sn ? this.deps.repos.youjiu.device(sn) : null;
      if (!sn || !device || device.revoked) return { ok: false, error: "UNAUTHORIZED" };
      return { ok: true, sn };
    } catch (e) {
      return { ok: false, error: e instanceof joseErrors.JWTExpired ? "TOKEN_EXPIRED" : "UNAUTHORIZED" };
    }
  }

  /** An unknown SN while the pairing window is closed: refused and listed as asking to join (no device row). */
  askToJoin(req: DeviceRequest<YoujiuRoute>, sn: string, path: string, answer: DeviceReply = error("DEVICE_NOT_ALLOWED")): Outcome {
    const { now, remote } = req;
    // A device asking again within a poll session (a XONE polls every second) is answered from memory.
    const last = this.joinAskedAt.get(sn);
    if (last !== undefined && now - last < POLL_SESSION_GAP_MS) return { memory: answer };
    if (this.joinAskedAt.size >= 10_000) this.joinAskedAt.delete(this.joinAskedAt.keys().next().value!);
    this.joinAskedAt.set(sn, now);
    const family = req.route.endpoint === "third_user" ? "xone" : null;
    return {
      authFailure: answer.status >= 400,
      authResult: "asking_to_join",
      reply: answer,
      persist: () => (this.deps.repos.joinRequests.asked({ vendor: "youjiu", deviceKey: sn.slice(0, 64), family, ip: remote, path }, now), {}),
    };
  }

  /** `/activate`: a secret for a new SN (or one staff reset), never a stored secret again (spec §0.3). */
  activate(req: DeviceRequest<YoujiuRoute>, sn: string | undefined): Outcome {
    const repo = this.deps.repos.youjiu;
    const { now, remote } = req;
    if (!sn) return { reply: error("MISSING_SN") };
    const known = repo.device(sn);
    if (!known && !this.admitsNew()) return this.askToJoin(req, sn, "activate");
    if (known?.revoked) return { authFailure: true, authResult: "revoked", reply: error("DEVICE_NOT_ALLOWED") };
    // A known SN with a secret is refused; one whose credentials staff reset (secret NULL) gets a fresh secret, once.
    if (known?.secret) return { authFailure: true, authResult: "already_activated", reply: error("ALREADY_ACTIVATED") };
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    return {
      authResult: known ? "reactivated" : "activated",
      reply: reply(200, ok({ secret })),
      device: () => {
        const id = youjiuSeen(this.deps, sn, now, remote, null);
        repo.setSecretIfNone(sn, secret, now);
        this.deps.repos.joinRequests.removeKey("youjiu", sn);
        return id;
      },
    };
  }

  /** `/tokens`: a JWT for the SN's secret (trust on first use for a new or reset SN, not for the revoked secret). */
  async tokens(req: DeviceRequest<YoujiuRoute>, sn: string | undefined, secret: string | undefined): Promise<Outcome> {
    const repo = this.deps.repos.youjiu;
    const { now, remote } = req;
    if (!sn || !secret) return { reply: error("MISSING_PARAMETER") };
    const known = repo.device(sn);
    if (!known && !this.admitsNew()) return this.askToJoin(req, sn, "tokens");
    if (known?.revoked) return { authFailure: true, authResult: "device_not_allowed", reply: error("DEVICE_NOT_ALLOWED") };
    const tofu = !known || known.secret === null;
    const revokedSecret = tofu && known?.old_secret_hash != null && safeEqual(known.old_secret_hash, secretHash(secret));
    if (revokedSecret || (!tofu && !safeEqual(known!.secret!, secret))) {
      return { authFailure: true, authResult: "invalid_secret", reply: error("INVALID_SECRET") };
    }
    const token = await issueToken(this.deps, sn);
    if (remote) this.deps.youjiu.service.snByIp.set(remote, sn);
    return {
      authResult: tofu ? "trusted_on_first_use" : "secret_ok",
      reply: reply(200, ok({ token })),
      device: () => {
        // Trust on first use: an unknown SN (or one whose secret was reset) is stored with the presented secret.
        const id = youjiuSeen(this.deps, sn, now, remote, null);
        repo.setSecretIfNone(sn, secret, now);
        repo.tokenIssued(sn, now);
        return id;
      },
    };
  }
}
