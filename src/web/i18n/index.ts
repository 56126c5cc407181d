/** Language: English or 简体中文, remembered per browser; numbers and dates follow it. */
import { signal } from "@preact/signals";
import en, { type Key } from "./en.ts";
import zh from "./zh.ts";

export type Lang = "en" | "zh";
const STORE = "bodydock.lang";

function initial(): Lang {
  const saved = localStorage.getItem(STORE);
  if (saved === "en" || saved === "zh") return saved;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export const lang = signal<Lang>(initial());
document.documentElement.lang = lang.value === "zh" ? "zh-CN" : "en";

export function setLang(l: Lang): void {
  lang.value = l;
  localStorage.setItem(STORE, l);
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
}

export function t(key: Key, vars?: Record<string, string | number>): string {
  let s: string = (lang.value === "zh" ? zh : en)[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

export type { Key };

/** t() for keys built at run time (scenes, statuses, error codes); falls back to the raw value. */
export function tx(key: string, fallback: string, vars?: Record<string, string | number>): string {
  return key in en ? t(key as Key, vars) : fallback;
}

/** Whether a key exists (for text built from a server code). */
export const hasKey = (key: string): key is Key => key in en;

/** A member field's (or CSV column's) label in the page's language. */
const FIELD_KEYS: Record<string, Key> = {
  memberNo: "mem.memberNo",
  name: "mem.name",
  nickname: "mem.nickname",
  phone: "mem.phone",
  email: "mem.email",
  sex: "mem.sex",
  birthday: "mem.birthday",
  heightCm: "mem.height",
  referenceWeightKg: "mem.refWeight",
  goalWeightKg: "mem.goalWeight",
  athlete: "mem.athlete",
  notes: "mem.notes",
  status: "mem.status",
  cards: "mem.cards",
  codes: "mem.codes",
  id: "mem.id",
  extendData: "mem.extendData",
  avatarUrl: "mem.avatarUrl",
  row: "csv.row",
  file: "csv.file",
  username: "auth.username",
  password: "auth.password",
  currentPassword: "acct.current",
  role: "set.role",
  value: "mem.value",
  memberId: "meas.member",
  defaultMemberId: "dev.defaultMember",
  secret: "set.secret",
  mac: "dev.mac",
};
export function fieldLabel(field: string): string {
  const k = FIELD_KEYS[field.split(".")[0]!];
  return k ? t(k) : field;
}

const locale = () => (lang.value === "zh" ? "zh-CN" : "en-GB");
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function fmt<T extends Intl.NumberFormat | Intl.DateTimeFormat>(id: string, make: (l: string) => T): T {
  const k = locale() + id;
  let f = cache.get(k);
  if (!f) cache.set(k, (f = make(locale())));
  return f as T;
}

export function num(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return fmt(`n${digits}`, (l) => new Intl.NumberFormat(l, { minimumFractionDigits: digits, maximumFractionDigits: digits })).format(v);
}
export function dateTime(ms: number | null | undefined): string {
  if (!ms) return "–";
  return fmt("dt", (l) => new Intl.DateTimeFormat(l, { dateStyle: "medium", timeStyle: "short" })).format(ms);
}
/** Date and time in few characters (the sheet's history box). */
export function dateTimeShort(ms: number | null | undefined): string {
  if (!ms) return "–";
  return fmt("dts", (l) => new Intl.DateTimeFormat(l, { year: "2-digit", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })).format(ms);
}
export function dateOnly(ms: number | null | undefined): string {
  if (!ms) return "–";
  return fmt("d", (l) => new Intl.DateTimeFormat(l, { dateStyle: "medium" })).format(ms);
}
export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return t("common.never");
  const s = Math.round((ms - now) / 1000);
  const rtf = fmt("rel", (l) => new Intl.RelativeTimeFormat(l, { numeric: "auto" }) as unknown as Intl.NumberFormat) as unknown as Intl.RelativeTimeFormat;
  const a = Math.abs(s);
  if (a < 60) return rtf.format(s, "second");
  if (a < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (a < 86400) return rtf.format(Math.round(s / 3600), "hour");
  return rtf.format(Math.round(s / 86400), "day");
}

/** The server's notes on a measurement (why there is no full report) in the page's language. */
const NOTES: Array<[RegExp, Key]> = [
  [/^composition unavailable: impedance is encrypted$/, "note.encrypted"],
  [/^composition unavailable: weight-only weighing$/, "note.noImpedance"],
  [/^composition unavailable: the member's sex is not set$/, "note.noSex"],
  [/^composition unavailable: the member's birthday is not set$/, "note.noBirthday"],
  [/^composition unavailable: the member's height is not set$/, "note.noHeight"],
  [/^composition unavailable: an impedance is not a number of ohms$/, "note.notOhms"],
  [/^composition unavailable: an 8-electrode reading needs 10 impedances, got (?<n>\d+)$/, "note.eight"],
  [/^composition unavailable: (?<n>\d+) impedances without a scaleType$/, "note.noScaleType"],
  [/^no report yet: WSP-Lite sends weight only/, "note.lite"],
  [/^no report: the relay matched no stored user$/, "note.unknown"],
  [/^several candidates:/, "note.multi"],
  [/^no report for this member: the relay computed reports only for the other candidates$/, "note.otherCandidates"],
  [/^report computed for another profile/, "note.otherProfile"],
  [/^no report yet: (?<detail>.*)$/, "note.notYet"],
];
export function noteText(note: string | null | undefined): string {
  if (!note) return "";
  for (const [re, key] of NOTES) {
    const m = re.exec(note);
    if (m) return t(key, m.groups as Record<string, string> | undefined);
  }
  return note;
}
