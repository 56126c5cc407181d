/**
 * The text encoding of an uploaded CSV file. Excel on Chinese Windows saves "CSV" as GBK
 * (GB18030 is its superset), "CSV UTF-8" with a BOM, and "Unicode text" as UTF-16 LE with a BOM.
 * Detection: a BOM decides; else UTF-16 without a BOM shows as zero bytes in every other place;
 * else valid UTF-8 is UTF-8 (plain ASCII too); anything else is read as GB18030.
 * Decoding uses the runtime's WHATWG TextDecoder (Bun and Chromium both have gb18030 and utf-16;
 * test/staff/csv-encoding.test.ts checks it, so a runtime without it fails there first).
 */
export const ENCODINGS = ["utf-8", "gb18030", "utf-16le", "utf-16be"] as const;
export type CsvEncoding = (typeof ENCODINGS)[number];

export interface Decoded {
  text: string;
  encoding: CsvEncoding;
  /** Whether the encoding was found in the bytes (false: the caller chose it). */
  detected: boolean;
  /** Characters that could not be read in this encoding (shown as U+FFFD): a sign of the wrong one. */
  unreadable: number;
}

export function detectEncoding(b: Uint8Array): CsvEncoding {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return "utf-8";
  if (b[0] === 0xff && b[1] === 0xfe) return "utf-16le";
  if (b[0] === 0xfe && b[1] === 0xff) return "utf-16be";
  const n = Math.min(b.length, 4096) & ~1;
  if (n >= 4) {
    let evenZero = 0;
    let oddZero = 0;
    for (let i = 0; i < n; i += 2) {
      if (b[i] === 0) evenZero++;
      if (b[i + 1] === 0) oddZero++;
    }
    const half = n / 2;
    if (oddZero > half * 0.3 && evenZero < half * 0.05) return "utf-16le";
    if (evenZero > half * 0.3 && oddZero < half * 0.05) return "utf-16be";
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return "utf-8";
  } catch {
    return "gb18030";
  }
}

/** Decodes the bytes in the given encoding, or the detected one; a BOM is dropped. */
export function decodeCsv(bytes: Uint8Array, chosen?: CsvEncoding | "auto"): Decoded {
  const detected = !chosen || chosen === "auto";
  const encoding = detected ? detectEncoding(bytes) : chosen;
  // ignoreBOM false (the default): TextDecoder drops the BOM of its own encoding.
  const text = new TextDecoder(encoding).decode(bytes);
  let unreadable = 0;
  for (const c of text) if (c === "\ufffd") unreadable++;
  return { text, encoding, detected, unreadable };
}
