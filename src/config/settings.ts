/**
 * Runtime settings: values staff change while bodydock runs (secrets, device
 * options). Stored in the `settings` table; each known key is defined here with
 * its TypeBox schema and default. An environment variable may seed a setting's
 * first value (only when the row does not exist yet).
 *
 * Device roles add their keys to SETTING_DEFS (spec §7 lists them).
 */
import { t, type TSchema } from "elysia";

export interface SettingDef {
  key: string;
  schema: TSchema;
  /** Default when no row exists. `undefined` means "unset". */
  default: unknown;
  /** Secrets are never returned by the API in clear and never logged. */
  secret?: boolean;
  /** Environment variable that seeds the first value, e.g. BODYDOCK_YOLANDA_MINI_JWT_SECRET. */
  env?: string;
  description: string;
}

const nullableString = t.Union([t.String(), t.Null()]);

export const SETTING_DEFS: readonly SettingDef[] = [
  { key: "diagnostics.captureRetentionDays", schema: t.Integer({ minimum: 1, maximum: 3650 }), default: 30, description: "days to keep ordinary device captures" },
  { key: "lefu.enabled", schema: t.Boolean(), default: true, description: "serve Lefu Wi-Fi scales" },
  { key: "lefu.displayUnit", schema: t.Integer({ minimum: 0, maximum: 3 }), default: 0, description: "unit Lefu scales display (0 kg)" },
  { key: "lefu.autoApproveDevices", schema: t.Boolean(), default: true, description: "accept new Lefu scales without staff approval" },
  { key: "yolanda.mini.jwtSecret", schema: nullableString, default: null, secret: true, env: "BODYDOCK_YOLANDA_MINI_JWT_SECRET", description: "HS256 secret shared with Yolanda WSP Mini" },
  { key: "yolanda.mini.jwtSecretPrevious", schema: nullableString, default: null, secret: true, description: "previous WSP Mini secret, accepted during rotation" },
  { key: "yolanda.mini.clockToleranceSeconds", schema: t.Integer({ minimum: 0, maximum: 86400 }), default: 300, description: "allowed clock skew for WSP Mini tokens" },
  { key: "yolanda.mini.maxTokenAgeSeconds", schema: t.Union([t.Integer({ minimum: 1 }), t.Null()]), default: null, description: "reject WSP Mini tokens whose iat is older (off when null)" },
  { key: "yolanda.mini.expectedAppid", schema: nullableString, default: null, description: "required appid claim (unchecked when null)" },
  { key: "yolanda.mini.expectedIssuer", schema: nullableString, default: null, description: "required iss claim (unchecked when null)" },
  { key: "youjiu.enabled", schema: t.Boolean(), default: true, description: "serve Youjiu XONE / U+ analyzers" },
  { key: "youjiu.requireToken", schema: t.Boolean(), default: false, description: "require a device token on /third_user" },
  { key: "youjiu.locale", schema: t.Union([t.Literal("en"), t.Literal("zh-CN")]), default: "en", description: "language of messages shown on Youjiu devices" },
];

const byKey = new Map(SETTING_DEFS.map((d) => [d.key, d]));

export function settingDef(key: string): SettingDef | undefined {
  return byKey.get(key);
}

/** Environment variable name for a key: yolanda.mini.jwtSecret → BODYDOCK_SETTING_YOLANDA_MINI_JWTSECRET. */
export function genericSettingEnv(key: string): string {
  return "BODYDOCK_SETTING_" + key.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
}
