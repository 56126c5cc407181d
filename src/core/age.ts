/**
 * Age, the one place it is computed (issue 14 point 3). §2.5: from `age`, or from `birthday` and the
 * calendar date of the measurement — the core's own input documents use the UTC date of `measuredAt`
 * (validate.ts: utcDate + completedYears); bodydock's own uses (a member's age sent to a device or a
 * relay) take the gym's calendar through `ageOn(birthday, at, timeZone)` with the `gym.timeZone`
 * setting. Pure: Intl's time-zone data is part of the runtime, no clock and no I/O.
 */

export interface CivilDate {
  y: number;
  m: number;
  d: number;
}

const BIRTHDAY = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

function leap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (leap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** V6: `YYYY-MM-DD` and a real Gregorian date, else null. */
export function parseBirthday(s: string): CivilDate | null {
  const m = BIRTHDAY.exec(s);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return { y, m: mo, d };
}

/** The UTC calendar date of Unix seconds t ≥ 0 (H. Hinnant's civil_from_days). */
export function utcDate(t: number): CivilDate {
  const z = Math.floor(t / 86400) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** Negative when the birthday is after the measurement date (V8b). */
export function completedYears(b: CivilDate, at: CivilDate): number {
  if (at.y < b.y || (at.y === b.y && (at.m < b.m || (at.m === b.m && at.d < b.d)))) return -1;
  return at.y - b.y - (at.m < b.m || (at.m === b.m && at.d < b.d) ? 1 : 0);
}

const dateParts = new Map<string, Intl.DateTimeFormat>();

/** True when `tz` is an IANA time zone this runtime knows ("Europe/London", "Asia/Shanghai", "UTC"). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The calendar date of epoch milliseconds `at` in time zone `timeZone`; UTC without Intl. Throws RangeError for an unknown zone. */
export function civilDateIn(at: number, timeZone: string): CivilDate {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return utcDate(Math.floor(at / 1000));
  let f = dateParts.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric" });
    dateParts.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: get("year"), m: get("month"), d: get("day") };
}

/**
 * Completed years of a member born on `birthday` (YYYY-MM-DD) on the calendar date of `at` (epoch ms)
 * in `timeZone` (the gym's: `gym.timeZone`). A 29 February birthday counts from 1 March in common
 * years. Null for a birthday that is not a real date; negative when it is after that date.
 */
export function ageOn(birthday: string, at: number, timeZone: string): number | null {
  const b = parseBirthday(birthday);
  return b ? completedYears(b, civilDateIn(at, timeZone)) : null;
}
