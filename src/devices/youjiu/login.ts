/**
 * `/third_user` (device-protocols §4.6): the token check, then the attempt (type, value, scene) and
 * the answers every identification shares: a member's `user_info` (with `extend_data`), a refusal in
 * the device's language, try again, waiting. Each answer is logged as a login event in the request's
 * transaction. The identification itself is identify.ts's (id, card, scan, qr, face) and push.ts's (f-push).
 */
import type { Deps } from "../../deps.ts";
import type { LoginEvent } from "../../store/youjiu-repo.ts";
import { field, isObj, str, type Obj } from "../common/coerce.ts";
import type { Outcome } from "../pipeline.ts";
import type { DeviceRequest } from "../role.ts";
import type { Decision } from "./lookup.ts";
import { error, findToken, reply, youjiuSeen, type YoujiuCredentials, type YoujiuRoute } from "./tokens.ts";
import { MESSAGES, UPLUS_SCENES, extendData, hint, ok, refused, retry, userInfo, type MessageKey } from "./wire.ts";

export type LoginEventIn = Omit<LoginEvent, "at" | "remoteIp" | "type" | "scene"> & { scene?: string | null };

/** One readable login attempt and the answers it can get. */
export class Login {
  readonly query: URLSearchParams;
  constructor(
    readonly deps: Deps,
    readonly req: DeviceRequest<YoujiuRoute>,
    /** The SN of the verified token, or null without one. */
    readonly tokenSn: string | null,
    readonly authResult: string | null,
    readonly type: string,
    readonly rawValue: unknown,
    readonly value: string,
    readonly scene: string | null,
  ) {
    this.query = req.path.query;
  }

  get now(): number {
    return this.req.now;
  }

  message(key: MessageKey): string {
    return this.deps.settings.get(`youjiu.messages.${key}`) ?? MESSAGES[this.deps.settings.get("youjiu.locale")][key];
  }

  /** The answer, with the outcome logged (and the device touched) durably before it is sent. */
  answer(body: unknown, event: LoginEventIn | null, extra: Pick<Extract<Outcome, { reply: unknown }>, "persist" | "after"> = {}): Outcome {
    const { deps, now } = this;
    const { remote } = this.req;
    const repo = deps.repos.youjiu;
    const family = this.type === "f-push" ? "xone" : this.scene && (UPLUS_SCENES as readonly string[]).slice(1).includes(this.scene) ? "uplus" : null;
    return {
      authResult: this.authResult,
      reply: reply(200, body),
      device: () => {
        const sn = event?.sn ?? this.tokenSn;
        return sn ? youjiuSeen(deps, sn, now, remote, family) : null;
      },
      persist: (captureId) => {
        if (event) repo.event({ ...event, at: now, remoteIp: remote, type: this.type, scene: event.scene ?? this.scene });
        extra.persist?.(captureId);
        return {};
      },
      after: extra.after,
    };
  }

  /**
   * The answer for a look-up's decision. A member gets `user_info` and `extend_data`: the member's own
   * extend data (staff set it for a device integration; the vendor echoes it in the report), or else
   * bodydock's correlation `bd1|m=…|sn=…|t=…` (§4.6.3). The login event keeps what was sent.
   */
  identified(d: Decision, sn: string | null, valueHint: string | null, withScene: string | null = null): { body: ReturnType<typeof ok>; event: LoginEventIn } {
    const { deps, now } = this;
    switch (d.kind) {
      case "member": {
        const result: Record<string, unknown> = { user_info: userInfo(d.member, now, deps.settings.get("youjiu.phoneMode"), deps.settings.get("gym.timeZone")) };
        let sent: string | null = null;
        if (deps.settings.get("youjiu.extendData")) {
          sent = deps.repos.members.get(d.member.id)?.extendData || extendData(d.member.id, sn, now);
          result.extend_data = sent;
        }
        if (withScene) result.scene = withScene;
        return { body: ok(result), event: { sn, outcome: "delivered", memberId: d.member.id, extendData: sent, valueHint } };
      }
      case "inactive":
        return { body: refused(this.message("inactiveMember")), event: { sn, outcome: "inactive", memberId: d.memberId, valueHint } };
      case "ambiguous":
        return { body: refused(this.message("ambiguousMember")), event: { sn, outcome: "ambiguous", memberId: null, valueHint } };
      default:
        return { body: refused(this.message("unknownMember")), event: { sn, outcome: "unknown", memberId: null, valueHint } };
    }
  }

  /** A readable attempt that cannot be served as asked: the device shows the message and lets the member retry (§0.3). */
  tryAgain(why: string): Outcome {
    return { authResult: this.authResult ? `${this.authResult}; ${why}` : why, reply: reply(200, retry(this.message("retry"))) };
  }

  /** Look-ups by value are limited per device and per address (security issue, point 4); null when within the limit. */
  throttled(): Outcome | null {
    const over = this.deps.youjiu.throttle.take(this.tokenSn, this.req.remote, this.now);
    if (!over) return null;
    this.deps.log.warn("youjiu: member look-ups throttled", { by: over, sn: this.tokenSn, remote: this.req.remote, type: this.type });
    return { authResult: `${this.authResult ?? "no_token"}; throttled_by_${over}`, reply: reply(200, retry(this.message("slowDown"))) };
  }

  /** 403 SN_MISMATCH, logged: a token for one device asked for another device's logins. */
  snMismatch(value: string): Outcome {
    this.deps.log.warn("youjiu: request names another SN than its token", { tokenSn: this.tokenSn, value: hint(value), type: this.type, remote: this.req.remote });
    return { authFailure: true, authResult: `sn_mismatch (token ${this.tokenSn})`, reply: error("SN_MISMATCH") };
  }

  /** `waiting:1`; "skip" answers from memory with no capture. */
  waiting(mode: "skip" | null): Outcome {
    const body = reply(200, ok({ waiting: 1 }));
    return mode === "skip" ? { memory: body } : { authResult: this.authResult, reply: body };
  }
}

/** The token check and the attempt's fields; an Outcome when the request ends here. */
export async function readLogin(deps: Deps, creds: YoujiuCredentials, req: DeviceRequest<YoujiuRoute>): Promise<Login | Outcome> {
  const { parsed, request, remote } = req;
  const body: Obj = isObj(parsed.value) ? parsed.value : {};
  const presented = findToken(request, req.path.query, body);
  let tokenSn: string | null = null;
  let authResult: string | null = null;
  if (presented) {
    const check = await creds.verify(presented.token);
    if (!check.ok) return { authFailure: true, authResult: `${check.error.toLowerCase()} via ${presented.carrier}`, reply: error(check.error) };
    tokenSn = check.sn;
    authResult = `token via ${presented.carrier}`;
    if (remote) deps.youjiu.service.snByIp.set(remote, tokenSn);
  } else if (deps.settings.get("youjiu.requireToken")) {
    return { authFailure: true, authResult: "token_missing", reply: error("UNAUTHORIZED") };
  }
  const type = str(field(body, "type"))?.trim().toLowerCase() ?? "";
  const rawValue = field(body, "value");
  const value = typeof rawValue === "string" ? rawValue.trim() : typeof rawValue === "number" ? String(rawValue) : "";
  const scene = str(field(body, "scene"))?.trim() || null;
  const login = new Login(deps, req, tokenSn, authResult, type, rawValue, value, scene);
  if (parsed.status === "unparseable") return login.tryAgain("invalid_json");
  if (!type) return login.tryAgain("missing_type");
  return login;
}
