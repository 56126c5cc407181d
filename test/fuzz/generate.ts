/**
 * Malformed request generator for device endpoints: broken JSON, wrong types,
 * huge numbers, deep nesting, huge strings, wrong content types, truncated
 * bodies, odd methods and paths. Deterministic for a seed.
 */
export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

const CONTENT_TYPES = [
  "application/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=zzz",
  "multipart/form-data",
  "text/plain",
  "application/json; charset=latin1",
  "image/png",
  "",
  "application/json;;;===",
];

const SCALARS: unknown[] = [null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, "", " ", "0", "NaN", "Infinity", "1e999", "\u0000", "💥", "x".repeat(300)];

export interface Fuzzed {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

export function fuzzRequest(next: () => number, path: string, template: Record<string, unknown>): Fuzzed {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const keys = Object.keys(template);
  const kind = Math.floor(next() * 12);
  let body: string | Uint8Array | undefined;
  switch (kind) {
    case 0: // truncated valid JSON
      {
        const s = JSON.stringify(template);
        body = s.slice(0, Math.floor(next() * s.length));
      }
      break;
    case 1: // wrong types for each field
      body = JSON.stringify(Object.fromEntries(keys.map((k) => [k, pick(SCALARS.concat([[1, 2], { a: 1 }]))])));
      break;
    case 2: // huge numbers and numeric strings
      body = JSON.stringify(Object.fromEntries(keys.map((k) => [k, pick([1e308, -1e308, "9".repeat(400), 1e-320, -0])])));
      break;
    case 3: // deep nesting
      {
        const depth = 100 + Math.floor(next() * 20000);
        body = "[".repeat(depth) + "]".repeat(next() < 0.5 ? depth : depth - 1);
      }
      break;
    case 4: // huge strings
      body = JSON.stringify({ ...template, [pick(keys.length ? keys : ["x"])]: "A".repeat(Math.floor(next() * 900_000)) });
      break;
    case 5: // random bytes
      body = crypto.getRandomValues(new Uint8Array(Math.floor(next() * 2048)));
      break;
    case 6: // a JSON scalar or array instead of an object
      body = JSON.stringify(pick([[], [template], 42, "str", null, true]));
      break;
    case 7: // form body with odd values
      body = keys.map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(pick(SCALARS)))}`).join("&") + "&&=&%zz";
      break;
    case 8: // comments, trailing commas, garbage around an object whose values are all wrong
      body = `// hi\n${pick(["garbage ", "", "{{{"])}${JSON.stringify(Object.fromEntries(keys.map((k) => [k, pick(SCALARS)]))).replace(/}$/, ",}")} trailing`;
      break;
    case 9: // prototype-pollution shapes and odd keys, no usable values
      body = `{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"${pick(keys.length ? keys : ["k"])}":${JSON.stringify(pick([[], {}, null]))}}`;
      break;
    case 10: // empty
      body = next() < 0.5 ? "" : undefined;
      break;
    default: // nested arrays of objects with wrong items
      body = JSON.stringify({ ...template, list: Array.from({ length: Math.floor(next() * 200) }, () => pick(SCALARS.concat([{ weight: pick(SCALARS) }]))) });
  }
  const method = pick(["POST", "POST", "POST", "GET", "PUT", "PATCH", "DELETE"]);
  const pathVariant = pick([path, path + "/", "//" + path.slice(1), path.toUpperCase(), path + "?mac=%zz&sn=" + "9".repeat(50), "/prefix" + path]);
  const ct = pick(CONTENT_TYPES);
  return {
    method,
    path: pathVariant,
    headers: ct ? { "content-type": ct } : {},
    body: method === "GET" ? undefined : body,
  };
}
