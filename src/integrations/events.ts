/**
 * The events bodydock sends to the gym's own systems (issue 17), and the shape of their data.
 * Pure: no database, no clock. The store writes them to the outbox (store/outbox-repo.ts) in the
 * transaction of the change that caused them; integrations/sender.ts delivers them.
 *
 * A delivered body is `{"type": "...", "timestamp": "<ISO of the event>", "data": {...}}`.
 */
import type { MeasurementRow } from "../store/measurements-repo.ts";

export const EVENT_TYPES = [
  "measurement.created",
  "measurement.assigned",
  "report.computed",
  "member.created",
  "member.updated",
  "member.deleted",
  "login.delivered",
  "device.online",
  "device.offline",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** Sent only to the endpoint a test was asked for. */
export const TEST_EVENT = "webhook.test";

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const json = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

/** measurement.* and report.computed: the measurement, its report and the member number. */
export function measurementData(row: MeasurementRow, memberNo: string | null, device: { sn: string | null; mac: string | null; name: string | null } | null) {
  return {
    memberNo,
    measurement: {
      id: row.id,
      source: row.source,
      status: row.status,
      memberId: row.member_id,
      memberNo,
      measuredAt: iso(row.measured_at),
      receivedAt: iso(row.received_at),
      clockSuspect: row.clock_suspect === 1,
      weightKg: row.weight_kg,
      heartRate: row.heart_rate,
      impedance: json(row.impedance_json),
      resistance: row.resistance,
      claimReason: row.claim_reason,
      device: row.device_id === null ? null : { id: row.device_id, sn: device?.sn ?? null, mac: device?.mac ?? null, name: device?.name ?? null },
    },
    report: json(row.indicators_json),
    reportNote: row.indicators_note,
  };
}

/** Which audit actions of a staff change make which member event. */
export function memberEventOf(action: string): "member.created" | "member.updated" | "member.deleted" | null {
  if (action === "member.create" || action === "member.import_create" || action === "member.sync_create") return "member.created";
  if (action === "member.delete") return "member.deleted";
  if (
    action === "member.update" ||
    action === "member.suspend" ||
    action === "member.reactivate" ||
    action === "member.import_update" ||
    action === "member.sync_update" ||
    action === "credential.add" ||
    action === "credential.remove"
  )
    return "member.updated";
  return null;
}

/** Changes made through an API key came from the gym's own system: not echoed back to it. */
export function isIntegrationActor(actor: string): boolean {
  return actor.startsWith("apikey:");
}
