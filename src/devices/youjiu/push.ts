/**
 * Push login (`f-push`, device-protocols §4.6.4): a XONE polls with its SN; staff push a member to a
 * device that is waiting (YoujiuService keeps the waiting records in memory). Repeated polls are
 * answered from memory; a push is handed over only once its delivery is logged, and is kept for the
 * next poll when that write fails.
 */
import type { Outcome } from "../pipeline.ts";
import type { Login } from "./login.ts";
import type { PendingPush } from "./service.ts";
import { reply, youjiuSeen, type YoujiuCredentials } from "./tokens.ts";
import { ok } from "./wire.ts";

export function byPush(l: Login, creds: YoujiuCredentials): Outcome {
  const { deps, tokenSn, value, now } = l;
  const repo = deps.repos.youjiu;
  const waiting = reply(200, ok({ waiting: 1 }));
  // With a token the SN is the token's: a device cannot poll for (and collect) another's push (§0.3).
  if (tokenSn && value && tokenSn !== value) return l.snMismatch(value);
  const sn = tokenSn ?? value;
  if (!sn) return l.tryAgain("missing_value");
  if (!tokenSn && !repo.device(sn) && !creds.admitsNew()) {
    // No token (requireToken=false) and an SN nobody approved: no waiting record, no member data.
    return creds.askToJoin(l.req, sn, "f-push", waiting);
  }
  const { push, firstOfSession } = deps.youjiu.service.poll(sn, l.req.remote);
  if (push) return deliver(l, sn, push);
  if (!firstOfSession) return { memory: waiting };
  // The first poll of a session is captured, and makes the XONE known to staff.
  return { authResult: l.authResult, reply: waiting, device: () => youjiuSeen(deps, sn, now, l.req.remote, "xone") };
}

/** The pushed member, re-checked now; the push is done once the answer is logged, or kept when that fails. */
function deliver(l: Login, sn: string, push: PendingPush): Outcome {
  const service = l.deps.youjiu.service;
  const d = l.deps.youjiu.lookup.decide([push.memberId]);
  const r = d.kind === "member" ? l.identified(d, sn, null, push.scene) : l.identified({ kind: "inactive", memberId: push.memberId }, sn, null);
  const outcome = d.kind === "member" ? "delivered" : "rejected_inactive";
  return l.answer(r.body, { ...r.event, outcome, pushedBy: push.pushedBy, scene: push.scene }, {
    after: (stored) => (stored ? service.delivered(sn, push, outcome) : service.deliveryFailed(push)),
  });
}
