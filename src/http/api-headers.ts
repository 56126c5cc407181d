/** Headers of every answer under /api (issue 13, point 10): never cached, never sniffed. */
export const API_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" } as const;

/**
 * Whether a request is under /api. Over-inclusive on purpose (decoded, any case, any slashes): extra
 * headers on a non-API answer harm nothing. A device path may be under /api too (an installer typed
 * `http://box/api` as the server address, device-protocols §1.3): its answers get the headers as well.
 */
export function isApiPath(request: Request): boolean {
  const url = request.url;
  const q = url.indexOf("?");
  let path = q < 0 ? url : url.slice(0, q);
  try {
    path = decodeURIComponent(path);
  } catch {
    /* keep it raw */
  }
  return /\/api(?:[/?#]|$)/i.test(path);
}
