/** The client's IP address, when served over a socket (null under app.handle in tests). */
export function remoteAddress(server: { requestIP(r: Request): { address: string } | null } | null | undefined, request: Request): string | null {
  try {
    return server?.requestIP(request)?.address ?? null;
  } catch {
    return null;
  }
}
