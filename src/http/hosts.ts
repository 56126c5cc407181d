/**
 * The Host allow-list (security issue, point 2): the staff page and API answer only to the box's
 * own names and addresses, `localhost`, and names an admin configured (`http.allowedHosts`). A page
 * on another site that a browser on the LAN opens cannot rebind its own name to the box (DNS
 * rebinding) and talk to the staff API as if it were the box's page. Device endpoints answer before
 * this check and accept any Host: scales send odd ones.
 */
import { hostname, networkInterfaces } from "node:os";
import type { Deps } from "../deps.ts";

/** How long the box's own addresses are cached (an address can change with DHCP). */
const REFRESH_MS = 30_000;

/** The host part of a Host header, lower case, without port or IPv6 brackets; null when unusable. */
export function hostOf(header: string): string | null {
  const h = header.trim().toLowerCase();
  if (h === "") return null;
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    if (end < 0) return null;
    const rest = h.slice(end + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return null;
    return h.slice(1, end);
  }
  const m = /^([^:/\s@]+)(?::(\d{1,5}))?$/.exec(h);
  return m ? m[1]!.replace(/\.$/, "") : null;
}

export function ownHosts(configHost: string): Set<string> {
  const names = new Set<string>(["localhost", "127.0.0.1", "::1"]);
  const name = hostname().toLowerCase();
  if (name) {
    names.add(name);
    names.add(`${name}.local`);
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) names.add(a.address.toLowerCase().replace(/%.*$/, ""));
  }
  const listen = configHost.toLowerCase();
  if (listen && listen !== "0.0.0.0" && listen !== "::") names.add(listen);
  return names;
}

export class HostAllowList {
  private own = new Set<string>();
  private refreshedAt = -Infinity;

  constructor(private readonly deps: Pick<Deps, "config" | "settings">) {}

  allowed(header: string | null): boolean {
    if (header === null) return false;
    const host = hostOf(header);
    if (host === null) return false;
    if (host === "localhost" || host.endsWith(".localhost")) return true;
    const configured = this.deps.settings.get("http.allowedHosts");
    if (configured.some((c) => c.toLowerCase() === host)) return true;
    const now = performance.now();
    if (now - this.refreshedAt > REFRESH_MS) {
      this.own = ownHosts(this.deps.config.host);
      this.refreshedAt = now;
    }
    return this.own.has(host);
  }
}
