/**
 * JSON depth and size limits, checked on the text before anything parses it (issue 13, point 7):
 * device bodies (devices/common/body.ts) and staff JSON bodies (http/body-deadline.ts).
 */

/**
 * Deepest nesting any body may have. No device sends more than 4 levels; the limit only
 * keeps a crafted body from costing stack and time in JSON.parse, redaction and JSON.stringify.
 */
export const MAX_JSON_DEPTH = 32;
/**
 * Most values (array elements and object members, counted by their separators) a device body may
 * hold. A Lefu backlog of a thousand readings is about 50 000; the 1 MiB limit allows ~500 000.
 */
export const MAX_JSON_VALUES = 200_000;

/**
 * "depth" when brackets outside strings nest deeper than `maxDepth` (unbalanced text counts as it
 * opens), "size" when separators outside strings pass `maxValues`, else null. One pass; strings are
 * skipped with indexOf, so an 8 MiB face image costs next to nothing.
 */
export function jsonTooComplex(s: string, maxDepth = MAX_JSON_DEPTH, maxValues = MAX_JSON_VALUES): "depth" | "size" | null {
  let depth = 0;
  let values = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 /* quote */) {
      let j = i;
      for (;;) {
        j = s.indexOf('"', j + 1);
        if (j < 0) return null;
        let k = j - 1;
        while (s.charCodeAt(k) === 0x5c /* backslash */) k--;
        if ((j - k) % 2 === 1) break; // an even number of backslashes before it: the string ends here
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return "depth";
      if (++values > maxValues) return "size";
    } else if (c === 0x2c /* , */) {
      if (++values > maxValues) return "size";
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth > 0) depth--;
    }
  }
  return null;
}

