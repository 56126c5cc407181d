/**
 * Member identifiers, normalised for matching (pure; no I/O).
 * Cards are stored as both the decimal number and the 8-digit upper-case hex
 * of the same number, so a reader that reports either form finds the member.
 */

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
