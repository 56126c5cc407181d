/**
 * Yolanda wire format (device-protocols §3): routing of WSP Mini (§3.3–§3.4) and of the on-site
 * relays (§3.7), and the answers' content types. The items a scale sends are items.ts's. Pure.
 */
import type { DevicePath } from "../common/path.ts";

// ---- routing (§1.3 rules 2 and 3) ---------------------------------------------

export type MiniEndpoint = "users" | "measurements";

export interface MiniRoute {
  endpoint: MiniEndpoint;
  /** Whatever came before /wsp-mini/ (original case). */
  prefix: string;
}

/** WSP Mini router: the path ends with /wsp-mini/users or /wsp-mini/measurements (any prefix, any case). */
export function matchMini(p: DevicePath): MiniRoute | null {
  for (const endpoint of ["users", "measurements"] as const) {
    const tail = `/wsp-mini/${endpoint}`;
    if (p.lower.endsWith(tail)) return { endpoint, prefix: p.path.slice(0, p.path.length - tail.length) };
  }
  return null;
}

export type RelayGeneration = "docker" | "lite" | "full";

export type RelayEndpoint =
  // WSP Docker v1.0.x (§3.7.1)
  | "read_secret_key"
  | "read_model_id"
  | "read_scale_users"
  | "read_weight_scale_users"
  | "read_ota_versions"
  | "create_measurement"
  | "create_unknown_measurement"
  | "finish_info_sync"
  // WSP-Lite (§3.7.2)
  | "measurements"
  | "eight_measurements"
  | "aios_measurements"
  | "bps_measurements"
  // WSP-Full (§3.7.3)
  | "list_users"
  | "create_measurements"
  | "create_eight_measurements"
  | "unknown";

const RELAY_ENDPOINTS: Record<string, [RelayEndpoint, RelayGeneration]> = {
  read_secret_key: ["read_secret_key", "docker"],
  read_model_id: ["read_model_id", "docker"],
  read_scale_users: ["read_scale_users", "docker"],
  read_weight_scale_users: ["read_weight_scale_users", "docker"],
  read_ota_versions: ["read_ota_versions", "docker"],
  create_measurement: ["create_measurement", "docker"],
  create_unknown_measurement: ["create_unknown_measurement", "docker"],
  finish_info_sync: ["finish_info_sync", "docker"],
  measurements: ["measurements", "lite"],
  eight_measurements: ["eight_measurements", "lite"],
  list_users: ["list_users", "full"],
  create_measurements: ["create_measurements", "full"],
  create_eight_measurements: ["create_eight_measurements", "full"],
};

export interface RelayRoute {
  endpoint: RelayEndpoint;
  /** Generation that uses this endpoint; null for an unknown /wsp/<name>. */
  generation: RelayGeneration | null;
  /** Route key for captures: the lower-cased name ("read_secret_key", "aios/measurements", or the unknown name). */
  key: string;
  prefix: string;
}

const WSP_NAME = /\/wsp\/([^/]+)$/;

/** Relay router: the path ends with /wsp/<one segment>, /aios/measurements or /bps/measurements (any prefix, any case). */
export function matchRelay(p: DevicePath): RelayRoute | null {
  for (const [tail, endpoint] of [
    ["/aios/measurements", "aios_measurements"],
    ["/bps/measurements", "bps_measurements"],
  ] as const) {
    if (p.lower.endsWith(tail)) return { endpoint, generation: "lite", key: tail.slice(1), prefix: p.path.slice(0, p.path.length - tail.length) };
  }
  const m = WSP_NAME.exec(p.lower);
  if (!m) return null;
  const name = m[1]!;
  const prefix = p.path.slice(0, p.path.length - m[0].length);
  const known = Object.hasOwn(RELAY_ENDPOINTS, name) ? RELAY_ENDPOINTS[name] : undefined;
  return known ? { endpoint: known[0], generation: known[1], key: name, prefix } : { endpoint: "unknown", generation: null, key: name, prefix };
}

// ---- answers ---------------------------------------------------------------------

export const JSON_TYPE = "application/json; charset=utf-8";
export const TEXT_TYPE = "text/plain; charset=utf-8";
