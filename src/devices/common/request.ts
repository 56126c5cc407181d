/** The normalised device path of a request, computed once and shared by the device routers. */
import { normalisePath, type DevicePath } from "./path.ts";

const cache = new WeakMap<Request, DevicePath>();

export function devicePath(request: Request): DevicePath {
  let p = cache.get(request);
  if (!p) {
    p = normalisePath(request.url);
    cache.set(request, p);
  }
  return p;
}
