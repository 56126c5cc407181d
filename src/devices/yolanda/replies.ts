/** The answers and the device row shared by the WSP Mini and relay handlers. */
import type { Deps } from "../../deps.ts";
import type { DeviceSeenRow as DeviceRow } from "../../store/devices-repo.ts";
import type { DeviceReply } from "../pipeline.ts";
import type { Channel } from "./ingest.ts";
import { JSON_TYPE, TEXT_TYPE, type RelayGeneration } from "./wire.ts";

const FAMILY = { mini: "wsp-mini", docker: "wsp-docker", lite: "wsp-lite", full: "wsp-full" } as const;

export function text(status: number, body: string, headers?: Record<string, string>): DeviceReply {
  return { status, body, contentType: TEXT_TYPE, headers };
}
export function json(status: number, body: unknown): DeviceReply {
  return { status, body: JSON.stringify(body), contentType: JSON_TYPE };
}
export const relayError = (status: number, error: string) => json(status, { is_success: false, error });
/** WSP-Lite answers failures in plain text; Docker and Full in JSON. */
export function relayFail(generation: RelayGeneration | null, status: number, error: string): DeviceReply {
  return generation === "lite" ? text(status, "fail") : relayError(status, error);
}

/** The scale's device row (a Yolanda scale is approved on first contact: its relay or JWT vouches for it). */
export function seen(deps: Deps, mac: string, channel: Channel, remote: string | null, prefix: string, now: number): DeviceRow {
  return deps.repos.devices.seen({ vendor: "yolanda", deviceKey: mac, family: FAMILY[channel], mac, ip: remote, pathPrefix: prefix, approveNew: true }, now);
}
