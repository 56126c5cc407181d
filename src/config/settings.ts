/**
 * Runtime settings: values staff change while bodydock runs (secrets, device
 * options). Stored in the `settings` table; each known key is defined here with
 * its TypeBox schema and default. An environment variable may seed a setting's
 * first value (only when the row does not exist yet).
 *
 * Device roles add their keys to SETTING_DEFS (spec §7 lists them).
 */
import { t, type Static, type TSchema } from "elysia";
import { isTimeZone } from "../core/age.ts";

export interface SettingDef {
  key: string;
  schema: TSchema;
  /** Default when no row exists. `undefined` means "unset". */
  default: unknown;
  /** Secrets are never returned by the API in clear and never logged. */
  secret?: boolean;
  /** Environment variable that seeds the first value, e.g. BODYDOCK_YOLANDA_MINI_JWT_SECRET. */
  env?: string;
  /** Makes the first value at first start when none is stored (signing keys). */
  generate?: () => unknown;
  /** A check beyond the schema (e.g. a real IANA time zone): the reason the value is refused, or null. */
  check?: (value: never) => string | null;
  description: string;
}

const nullableString = t.Union([t.String(), t.Null()]);

/** Loopback, RFC 1918 and ULA: where an on-site Yolanda relay may call from by default (device-protocols §3.7). */
export const DEFAULT_RELAY_SOURCES: readonly string[] = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/** The box's own time zone, the default of gym.timeZone ("UTC" when the system names none). */
export const BOX_TIME_ZONE: string = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** 32 random bytes, base64url without padding (43 characters). */
export function randomKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

const message = <K extends string>(key: K, en: string) => ({
  key: `youjiu.messages.${key}` as `youjiu.messages.${K}`,
  schema: t.Union([t.String({ maxLength: 64 }), t.Null()]),
  default: null,
  description: `message shown on Youjiu devices (${key}); null uses the built-in text in youjiu.locale, e.g. "${en}"`,
});

/** The per-device unit range (Lefu §2.6 unit codes 0–11); `lefu.displayUnit` takes the same. */
export const LEFU_UNIT_MAX = 11;

// `as const satisfies`: each entry keeps its literal key and its schema's type, so SettingKey and
// SettingValue below are derived from this one list (issue 14 point 4).
export const SETTING_DEFS = [
  {
    key: "staff.sessionKey",
    schema: t.String({ minLength: 16 }),
    default: null,
    secret: true,
    generate: randomKey,
    description: "HS256 key for staff session tokens; generated at first start",
  },
  { key: "staff.sessionTtlHours", schema: t.Number({ minimum: 0.25, maximum: 720 }), default: 12, description: "how long a staff sign-in lasts" },
  {
    key: "metrics.token",
    schema: nullableString,
    default: null,
    secret: true,
    env: "BODYDOCK_METRICS_TOKEN",
    description: "bearer token a Prometheus scraper sends to GET /metrics (admins' sessions work without it)",
  },
  {
    key: "http.allowedHosts",
    schema: t.Array(t.String({ minLength: 1, maxLength: 253, pattern: "^[A-Za-z0-9.:_-]+$" }), { maxItems: 50 }),
    default: [],
    env: "BODYDOCK_ALLOWED_HOSTS",
    description:
      "extra host names (or addresses) the staff page answers to, besides the box's own names and addresses and localhost, e.g. a DNS name or the address of a port mapping; other Host headers get 421",
  },
  {
    key: "gym.timeZone",
    schema: t.String({ minLength: 1, maxLength: 64 }),
    default: BOX_TIME_ZONE,
    check: (v: string) => (isTimeZone(v) ? null : `${v} is not a time zone this box knows (an IANA name such as Europe/London or Asia/Shanghai)`),
    description: "the gym's IANA time zone (e.g. Asia/Shanghai); members' ages are counted on its calendar. Default: the box's own time zone",
  },
  { key: "diagnostics.captureRetentionDays", schema: t.Integer({ minimum: 1, maximum: 3650 }), default: 30, description: "days to keep ordinary device captures" },
  {
    key: "webhooks.deviceOfflineMinutes",
    schema: t.Integer({ minimum: 1, maximum: 1440 }),
    default: 10,
    description: "a device silent this long gets a device.offline event",
  },
  { key: "webhooks.retentionDays", schema: t.Integer({ minimum: 1, maximum: 3650 }), default: 30, description: "days to keep sent events (replayable) in the outbox" },
  {
    key: "webhooks.rotationGraceHours",
    schema: t.Number({ minimum: 0, maximum: 720 }),
    default: 24,
    description: "after a webhook secret rotation, how long the old secret also signs",
  },
  { key: "lefu.enabled", schema: t.Boolean(), default: true, description: "serve Lefu Wi-Fi scales" },
  {
    key: "lefu.displayUnit",
    schema: t.Integer({ minimum: 0, maximum: LEFU_UNIT_MAX }),
    default: 0,
    description: "unit Lefu scales display when the scale has none of its own: 0–11, the same codes as a scale's own unit (0 kg)",
  },
  { key: "lefu.autoApproveDevices", schema: t.Boolean(), default: false, description: "approve new Lefu scales without staff (off: a new scale is approved only while the pairing window is open; until then its weighings wait as claims)" },
  { key: "yolanda.mini.jwtSecret", schema: nullableString, default: null, secret: true, env: "BODYDOCK_YOLANDA_MINI_JWT_SECRET", description: "HS256 secret shared with Yolanda WSP Mini" },
  { key: "yolanda.mini.jwtSecretPrevious", schema: nullableString, default: null, secret: true, description: "previous WSP Mini secret, accepted during rotation" },
  { key: "yolanda.mini.clockToleranceSeconds", schema: t.Integer({ minimum: 0, maximum: 86400 }), default: 300, description: "allowed clock skew for WSP Mini tokens" },
  { key: "yolanda.mini.maxTokenAgeSeconds", schema: t.Union([t.Integer({ minimum: 1 }), t.Null()]), default: 86400, description: "reject WSP Mini tokens without exp whose iat is older than this (off when null)" },
  { key: "yolanda.mini.expectedAppid", schema: nullableString, default: null, description: "required appid claim (unchecked when null)" },
  { key: "yolanda.mini.expectedIssuer", schema: nullableString, default: null, description: "required iss claim (unchecked when null)" },
  { key: "yolanda.relay.enabled", schema: t.Boolean(), default: false, description: "serve on-site Yolanda relays (WSP Docker v1.0.x, WSP-Lite, WSP-Full) on …/wsp/*" },
  {
    key: "yolanda.relay.allowedSources",
    schema: t.Array(t.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 }),
    default: DEFAULT_RELAY_SOURCES,
    description: "addresses (IPs or CIDR ranges) Yolanda relays may call from; default loopback, RFC 1918 and ULA",
  },
  {
    key: "yolanda.relay.authorization",
    schema: t.Union([t.String({ minLength: 1, maxLength: 1024 }), t.Null()]),
    default: null,
    secret: true,
    description: "exact Authorization header WSP Docker v1.0.x relays must send (their AUTHORIZATION); unchecked when null",
  },
  {
    key: "yolanda.relay.defaultScaleKey",
    schema: t.Union([t.String({ minLength: 16, maxLength: 16 }), t.Null()]),
    default: null,
    secret: true,
    description: "16-character scale key answered to v1.0.x relays for scales without their own key",
  },
  { key: "yolanda.relay.unit", schema: t.Union([t.Literal(1), t.Literal(2), t.Literal(4)]), default: 1, description: "unit v1.0.x relays set on scales: 1 kg, 2 lb, 4 jin" },
  { key: "yolanda.relay.algorithm", schema: t.Integer({ minimum: 0, maximum: 255 }), default: 2, description: "algorithm number sent to v1.0.x relays with each scale user" },
  { key: "yolanda.relay.liteUrl", schema: nullableString, default: null, description: "base URL of an on-site WSP-Lite relay, for reports after a claim (e.g. http://192.168.1.30:8080)" },
  { key: "youjiu.enabled", schema: t.Boolean(), default: true, description: "serve Youjiu XONE / U+ analyzers" },
  { key: "youjiu.autoActivate", schema: t.Boolean(), default: false, description: "let Youjiu devices bodydock has never seen activate and get tokens at any time (off: only while the pairing window is open, or after an admin approves their join request)" },
  { key: "youjiu.requireToken", schema: t.Boolean(), default: true, description: "require a device token on /third_user (devices prove their SN)" },
  { key: "youjiu.tokenTtlSeconds", schema: t.Integer({ minimum: 60, maximum: 86400 }), default: 3600, description: "lifetime of Youjiu device tokens" },
  {
    key: "youjiu.tokenSigningKey",
    schema: t.String({ minLength: 16 }),
    default: null,
    secret: true,
    generate: randomKey,
    description: "HS256 key for Youjiu device tokens (its UTF-8 bytes); generated at first start",
  },
  { key: "youjiu.pushActiveWindowMs", schema: t.Integer({ minimum: 500, maximum: 60000 }), default: 1500, description: "a device counts as waiting for a push this long after its last poll" },
  { key: "youjiu.pushTtlSeconds", schema: t.Integer({ minimum: 5, maximum: 3600 }), default: 5, description: "a push not picked up within this time expires" },
  { key: "youjiu.qrBindingTtlSeconds", schema: t.Integer({ minimum: 10, maximum: 3600 }), default: 120, description: "lifetime of a QR binding" },
  { key: "youjiu.defaultPushScene", schema: t.String({ minLength: 1 }), default: "meas-composition", description: "scene of a push that names none" },
  { key: "youjiu.allowedScenes", schema: t.Union([t.Array(t.String()), t.Null()]), default: null, description: "scenes allowed on /third_user (null: all)" },
  { key: "youjiu.phoneMode", schema: t.Union([t.Literal("international"), t.Literal("china11")]), default: "international", description: "phone numbers sent to devices: 1–50 digits, or exactly 11" },
  { key: "youjiu.countryCallingCode", schema: t.Union([t.String({ pattern: "^[0-9]{1,4}$" }), t.Null()]), default: null, description: "country calling code for phone matching, e.g. 44" },
  { key: "youjiu.unknownCardMode", schema: t.Union([t.Literal("reject"), t.Literal("wait")]), default: "reject", description: "an unknown card: refuse at once, or wait up to 60 s for staff to enrol it" },
  { key: "youjiu.extendData", schema: t.Boolean(), default: true, description: "send extend_data with identified members: the member's extendData when set, else the login reference bd1|m=…|sn=…|t=…" },
  { key: "youjiu.locale", schema: t.Union([t.Literal("en"), t.Literal("zh-CN")]), default: "en", description: "language of messages shown on Youjiu devices" },
  message("unknownMember", "Member not found. Please see reception."),
  message("inactiveMember", "Membership inactive. Please see reception."),
  message("unsupportedType", "This login method is not supported here."),
  message("faceUnavailable", "Face login is not available. Please use your card or QR code."),
  message("ambiguousMember", "More than one member matches. Please see reception."),
  message("sceneNotAllowed", "This assessment is not enabled."),
  message("retry", "Please try again."),
  message("slowDown", "Too many attempts. Please wait a minute and try again."),
  message("faceRetry", "Look at the camera again"),
  {
    key: "face.enabled",
    schema: t.Boolean(),
    default: false,
    description: "face login on Youjiu XONE (face_image): recognise enrolled members on the box; off answers faceUnavailable",
  },
  {
    key: "face.threshold",
    schema: t.Number({ minimum: 0.2, maximum: 0.7 }),
    default: 0.42,
    description: "a member is recognised only when their best descriptor distance is under this (docs/face-login.md has the measurements)",
  },
  {
    key: "face.margin",
    schema: t.Number({ minimum: 0, maximum: 0.5 }),
    default: 0.08,
    description: "and the next-closest other member is at least this much further away; otherwise the device is asked to retry",
  },
] as const satisfies readonly SettingDef[];

type Defs = (typeof SETTING_DEFS)[number];
/** Every known setting key; anything else is a type error (and SettingsRepo throws on it at run time). */
export type SettingKey = Defs["key"];
/**
 * The value type of a key: the TypeBox Static of its schema. Generated keys (`generate`) have no
 * default but are written at first start, before anything reads them, so they are typed by their schema.
 */
export type SettingValue<K extends SettingKey> = Static<Extract<Defs, { key: K }>["schema"]>;
/** The whole key → type map. */
export type Settings = { [K in SettingKey]: SettingValue<K> };

const byKey = new Map<string, SettingDef>(SETTING_DEFS.map((d) => [d.key, d]));

export function settingDef(key: string): SettingDef | undefined {
  return byKey.get(key);
}

export function isSettingKey(key: string): key is SettingKey {
  return byKey.has(key);
}

/** Environment variable name for a key: yolanda.mini.jwtSecret → BODYDOCK_SETTING_YOLANDA_MINI_JWTSECRET. */
export function genericSettingEnv(key: string): string {
  return "BODYDOCK_SETTING_" + key.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
}
