/**
 * The device roles, in the order their matchers are tried (device-protocols §1.3): Lefu, Yolanda
 * (WSP Mini, then the relays), Youjiu. Built once by the composition root (runtime.ts) as `deps.roles`;
 * app.ts mounts them as one router (pipeline.ts), presence, metrics, claims and the server's start/stop
 * take what each offers. A new role is one folder under devices/ and one line here.
 */
import type { Deps } from "../deps.ts";
import { lefuRole } from "./lefu/role.ts";
import type { AnyRole } from "./role.ts";
import { yolandaRole } from "./yolanda/role.ts";
import { youjiuRole } from "./youjiu/role.ts";

export function createRoles(deps: Deps): readonly AnyRole[] {
  return [lefuRole(deps), yolandaRole(deps), youjiuRole(deps)];
}
