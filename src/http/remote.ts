/** The client's IP address, when served over a socket (null under app.handle in tests); looked up once per request. */
const cache = new WeakMap<Request, string | null>();

export function remoteAddress(server: { requestIP(r: Request): { address: string } | null } | null | undefined, request: Request): string | null {
  const known = cache.get(request);
  if (known !== undefined) return known;
  let address: string | null = null;
  try {
    address = server?.requestIP(request)?.address ?? null;
  } catch {
    address = null;
  }
  cache.set(request, address);
  return address;
}
