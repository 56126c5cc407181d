/**
 * Role C: the Youjiu XONE / U+ third-party user server (device-protocols §4). `/activate` and
 * `/tokens` manage device credentials (tokens.ts); `/third_user` identifies the member by face, QR,
 * scanned code, card, typed ID (identify.ts) or staff push (push.ts). Polls that answer `waiting:1`
 * are served from memory (YoujiuService) and write nothing but a session's first capture.
 */
import type { Deps } from "../../deps.ts";
import { parseLenient, type Parsed } from "../common/body.ts";
import { field, isObj, str, type Obj } from "../common/coerce.ts";
import { mayNeedRedaction, redactText, redactValue } from "../common/redact.ts";
import type { Outcome } from "../pipeline.ts";
import type { DeviceRequest, DeviceRole } from "../role.ts";
import { UnknownCards, byFace, byQr, byValue } from "./identify.ts";
import { Login, readLogin } from "./login.ts";
import { byPush } from "./push.ts";
import { YoujiuCredentials, error, type YoujiuRoute } from "./tokens.ts";
import { ALL_SCENES, hint, matchYoujiu, refused } from "./wire.ts";

export const YOUJIU_BODY_LIMIT = 8 * 1024 * 1024;

/** `/activate` may come as multipart form data; everything else is lenient JSON (or a form). */
async function parse(request: Request, text: string, route: YoujiuRoute): Promise<Parsed> {
  const ct = request.headers.get("content-type") ?? "";
  if (route.endpoint === "activate" && /^multipart\/form-data/i.test(ct)) {
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

/** A face image is never captured, only its size. */
function captureText(text: string, parsed: Parsed): string | null {
  if (text === "") return null;
  if (parsed.status === "unparseable") return /face_image/i.test(text) ? `[face image request, ${Buffer.byteLength(text)} bytes, not stored]` : redactText(text);
  if (isObj(parsed.value) && String(field(parsed.value, "type") ?? "").trim().toLowerCase() === "face_image") {
    const v = field(parsed.value, "value");
    return JSON.stringify(redactValue({ ...parsed.value, value: `[face image, ${typeof v === "string" ? Buffer.byteLength(v) : 0} bytes, not stored]` }));
  }
  return mayNeedRedaction(text) ? JSON.stringify(redactValue(parsed.value)) : text;
}

export function youjiuRole(deps: Deps): DeviceRole<YoujiuRoute> {
  const creds = new YoujiuCredentials(deps);
  const cards = new UnknownCards();

  function thirdUser(l: Login): Outcome | Promise<Outcome> {
    const { value, scene, tokenSn } = l;
    const allowed = deps.settings.get("youjiu.allowedScenes");
    if (scene && allowed && !allowed.includes(scene)) {
      return l.answer(refused(l.message("sceneNotAllowed")), { sn: tokenSn, outcome: "scene_not_allowed", memberId: null, valueHint: value ? hint(value) : null });
    }
    if (scene && !ALL_SCENES.includes(scene)) deps.log.info("youjiu: unknown scene", { scene });
    switch (l.type) {
      case "face_image":
        return byFace(l);
      case "scan":
      case "scan-ed":
        return byValue(l, "scan");
      case "id":
        return byValue(l, "id");
      case "card-ed":
        return cards.byCard(l);
      case "qr":
        return byQr(l);
      case "f-push":
        return byPush(l, creds);
      default:
        return l.answer(refused(l.message("unsupportedType")), { sn: tokenSn, outcome: "unsupported", memberId: null, valueHint: value ? hint(value) : null });
    }
  }

  async function handle(req: DeviceRequest<YoujiuRoute>): Promise<Outcome> {
    const body: Obj = isObj(req.parsed.value) ? req.parsed.value : {};
    const param = (k: string) => str(field(body, k))?.trim() || req.path.query.get(k)?.trim() || undefined;
    if (req.route.endpoint === "activate") return creds.activate(req, param("sn"));
    if (req.route.endpoint === "tokens") return creds.tokens(req, param("sn"), param("secret"));
    const login = await readLogin(deps, creds, req);
    return login instanceof Login ? thirdUser(login) : login;
  }

  return {
    vendor: "youjiu",
    match: matchYoujiu,
    describe: (route) => ({
      router: "youjiu",
      routeKey: route.endpoint,
      prefix: route.prefix,
      label: `youjiu.${route.endpoint}`,
      bodyLimit: YOUJIU_BODY_LIMIT,
      enabled: deps.settings.get("youjiu.enabled"),
      disabled: error("NOT_ENABLED"),
      tooLarge: error("PAYLOAD_TOO_LARGE"),
      storageFailure: error("INTERNAL_ERROR"),
      redactResponse: true,
    }),
    parse,
    captureText,
    handle,
    // Youjiu's repeated waiting polls are answered from memory: they keep a device online (issue 17).
    lastContact: (sn) => deps.youjiu.service.waiting.get(sn)?.lastPollAt ?? null,
    metrics: () => deps.youjiu.throttle.metrics(),
    start: () => () => deps.youjiu.service.stop(),
  };
}
