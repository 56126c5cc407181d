/** Youjiu's long-lived state, built once by the composition root (runtime.ts) and reached as `deps.youjiu`. */
import type { Deps } from "../../deps.ts";
import { MemberLookup } from "./lookup.ts";
import { YoujiuService } from "./service.ts";
import { LookupThrottle } from "./throttle.ts";

export interface YoujiuServices {
  /** Waiting records, pushes and QR sessions (the staff push API uses the same one). */
  service: YoujiuService;
  /** Member look-up by what a device sends (card, code, member number, phone, ...). */
  lookup: MemberLookup;
  /** Look-up limits per device and address. */
  throttle: LookupThrottle;
}

export function createYoujiuServices(deps: Deps): YoujiuServices {
  const lookup = new MemberLookup(deps.repos.members);
  return { service: new YoujiuService(deps, lookup), lookup, throttle: new LookupThrottle() };
}
