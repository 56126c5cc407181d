/**
 * Members, the pure parts (no I/O): the profile every role reads (`MemberProfile`), and identifiers
 * normalised for matching. Cards are stored as both the decimal number and the 8-digit upper-case
 * hex of the same number, so a reader that reports either form finds the member. The one query that
 * reads a profile is store/members-repo.ts `MembersRepo.profile`; `phoneVariants` is the one phone
 * matcher (Youjiu logins through `MembersRepo.idsByPhone`, and the staff member search).
 */

export type Sex = "male" | "female" | "unspecified";

/**
 * The one member profile shape (issue 14 point 3): what the computation core needs (sex, birthday,
 * height, athlete) and what a device is told about a member (name, nickname, phone, status).
 */
export interface MemberProfile {
  id: number;
  name: string;
  nickname: string | null;
  phone: string | null;
  sex: Sex;
  /** YYYY-MM-DD */
  birthday: string | null;
  heightCm: number | null;
  athlete: boolean;
  status: "active" | "suspended";
}

/** The members columns a profile is made of, as stored. */
export interface MemberProfileRow {
  id: number;
  name: string;
  nickname: string | null;
  phone: string | null;
  sex: Sex;
  birthday: string | null;
  height_cm: number | null;
  athlete: number;
  status: "active" | "suspended";
}

export function memberProfile(r: MemberProfileRow): MemberProfile {
  return {
    id: r.id,
    name: r.name,
    nickname: r.nickname,
    phone: r.phone,
    sex: r.sex,
    birthday: r.birthday,
    heightCm: r.height_cm,
    athlete: r.athlete === 1,
    status: r.status,
  };
}

export interface CardForms {
  dec: string;
  hex: string;
}

/** Digits only ("+44 7700 900123" → "447700900123"); null when there are none. */
export function phoneDigits(phone: string | null | undefined): string | null {
  const d = (phone ?? "").replace(/\D/g, "");
  return d === "" ? null : d;
}

export function emailNorm(email: string | null | undefined): string | null {
  const e = (email ?? "").trim().toLowerCase();
  return e === "" ? null : e;
}

/**
 * A card number typed or read as decimal ("0003865598306") or hex ("E6685962",
 * "0xe6685962"). Digits only are read as decimal unless `as` says hex.
 * Returns null for anything else or numbers beyond 64 bits.
 */
export function cardForms(input: string, as: "auto" | "dec" | "hex" = "auto"): CardForms | null {
  const s = input.trim().replace(/[\s:-]/g, "");
  let n: bigint;
  if ((as === "dec" || as === "auto") && /^\d{1,20}$/.test(s)) n = BigInt(s);
  else if ((as === "hex" || as === "auto") && /^(0x)?[0-9a-f]{1,16}$/i.test(s)) n = BigInt("0x" + s.replace(/^0x/i, ""));
  else return null;
  if (n > 0xffffffffffffffffn) return null;
  return { dec: n.toString(), hex: n.toString(16).toUpperCase().padStart(8, "0") };
}

/** A scanned code as stored: trimmed. Matching is case-insensitive. */
export function codeNorm(code: string): string | null {
  const c = code.trim();
  return c === "" ? null : c;
}

/** "YYYY-MM-DD" that is a real calendar date. */
export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/**
 * Digit strings (leading zeros stripped) that match a phone number `input` with the country calling
 * code added or removed (device-protocols §4.6.3 ID lookup; the staff search uses it too).
 */
export function phoneVariants(input: string, countryCode: string | null): string[] {
  const s = input.replace(/\D/g, "").replace(/^0+/, "");
  if (!s) return [];
  const national = new Set([s]);
  if (countryCode && s.startsWith(countryCode) && s.length > countryCode.length) {
    // "+44 (0) 7700 900123": drop the code, then the trunk zero.
    const rest = s.slice(countryCode.length).replace(/^0+/, "");
    if (rest) national.add(rest);
  }
  const out = new Set(national);
  if (countryCode) for (const n of national) out.add(countryCode + n);
  return [...out];
}
