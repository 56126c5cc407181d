/**
 * Path normalisation for every device router (device-protocols §1.2):
 * split off the query, percent-decode once (bad escapes stay), collapse runs of
 * "/", drop a trailing "/". Matching is case-insensitive; the original spelling
 * is kept for captures. Works for relative request URLs (HTTP/1.0 without Host).
 */
export interface DevicePath {
  /** Path and query as received, for captures. */
  raw: string;
  /** Normalised path, original case. */
  path: string;
  /** Normalised path, lower case, for matching. */
  lower: string;
  query: URLSearchParams;
}

function decodeOnce(s: string): string {
  // Decode each valid %XX run; leave invalid escapes as they are.
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      // A run that is not valid UTF-8: decode byte by byte as Latin-1 would corrupt; keep as is.
      return run;
    }
  });
}

/** The request target (path + query) of a URL string, absolute or relative (HTTP/1.0 without Host). */
export function requestTarget(url: string): string {
  if (url.startsWith("/")) return url;
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(url);
  const rest = authority ? url.slice(authority[0].length) : url;
  return rest.startsWith("/") ? rest : "/" + rest;
}

export function normalisePath(url: string): DevicePath {
  const raw = requestTarget(url);
  const q = raw.indexOf("?");
  const rawPath = q >= 0 ? raw.slice(0, q) : raw;
  const rawQuery = q >= 0 ? raw.slice(q + 1) : "";
  let path = decodeOnce(rawPath).replace(/\/{2,}/g, "/");
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  if (path === "") path = "/";
  let query: URLSearchParams;
  try {
    query = new URLSearchParams(rawQuery);
  } catch {
    query = new URLSearchParams();
  }
  return { raw, path, lower: path.toLowerCase(), query };
}
