/**
 * Youjiu `face_image` (device-protocols §4.6.3; issue 15): face login on the box. role.ts (identify.ts)
 * calls faceLogin() and only turns a recognised member into `user_info`; everything else
 * (retry answers, the unrecognised attempts staff can enrol) is decided here.
 */
import type { Deps } from "../../deps.ts";
import type { YoujiuDeviceRow } from "../../store/youjiu-repo.ts";
import { ok } from "./wire.ts";

/** Built-in texts (override with youjiu.messages.faceRetry); the language follows youjiu.locale. */
export const FACE_MESSAGES = {
  en: { faceRetry: "Look at the camera again" },
  "zh-CN": { faceRetry: "请正视摄像头重试" },
} as const;

/**
 * Whether a device may use face login. For now: a request with a verified token, or a known
 * device row that is not revoked. (The lead's device approval replaces this at merge: keep the
 * decision in this one function.)
 */
export function deviceMayUseFace(tokenVerified: boolean, device: YoujiuDeviceRow | null): boolean {
  if (device?.revoked) return false;
  return tokenVerified || device !== null;
}

export type FaceOutcome =
  | { kind: "member"; memberId: number; valueHint: string }
  | { kind: "answer"; body: unknown; outcome: "unknown" | "ambiguous" | "face_unavailable"; valueHint: string };

const retryBody = (message: string) => ok({ recognizing_faces: 0, login_control: { allow_login: 2, message } });

export async function faceLogin(
  deps: Deps,
  req: { value: string; tokenVerified: boolean; sn: string | null; device: YoujiuDeviceRow | null; unavailableMessage: string },
): Promise<FaceOutcome> {
  const face = deps.face;
  const locale = deps.settings.get("youjiu.locale");
  const retry = deps.settings.get("youjiu.messages.faceRetry") ?? FACE_MESSAGES[locale].faceRetry;
  if (!face.enabled() || !deviceMayUseFace(req.tokenVerified, req.device)) {
    return { kind: "answer", body: retryBody(req.unavailableMessage), outcome: "face_unavailable", valueHint: face.enabled() ? "face:device_not_approved" : "face:off" };
  }
  const a = await face.analyse(req.value);
  if (a.kind === "bad_image") return { kind: "answer", body: retryBody(retry), outcome: "unknown", valueHint: `face:bad_image(${a.reason})` };
  if (a.kind === "no_face") return { kind: "answer", body: retryBody(retry), outcome: "unknown", valueHint: "face:no_face" };
  if (a.kind === "unavailable") return { kind: "answer", body: retryBody(retry), outcome: "unknown", valueHint: `face:${a.reason}` };
  const d = face.match(a.face.descriptor);
  if (d.kind === "member") return { kind: "member", memberId: d.memberId, valueHint: `face:d=${d.distance.toFixed(3)}` };
  face.remember({ sn: req.sn, deviceName: req.device?.name ?? null, descriptor: a.face.descriptor, thumbnailJpeg: a.face.thumbnailJpeg, outcome: d.kind });
  const hint = d.kind === "ambiguous" ? `face:ambiguous d=${d.distance.toFixed(3)} next=${d.next.toFixed(3)}` : `face:no_match${d.distance === null ? "" : ` d=${d.distance.toFixed(3)}`}`;
  return { kind: "answer", body: retryBody(retry), outcome: d.kind, valueHint: hint };
}
