/**
 * Yolanda items → rows (device-protocols §3.4, §3.7): attribution to the scale slot's member, the
 * relay's report (with fields it left out derived, derive.ts), and one idempotent row per weighing on
 * `yolanda:<MAC>:<ts>:<slot>` through MeasurementsRepo.ingest. Runs inside the request's transaction.
 */
import type { Deps } from "../../deps.ts";
import type { DeviceSeenRow as DeviceRow } from "../../store/devices-repo.ts";
import { redactValue } from "../common/redact.ts";
import type { PersistResult } from "../pipeline.ts";
import { deriveMissing, type Deriver } from "./derive.ts";
import { idemKey, normaliseItem, slotGroup, validSlot, type Indicators, type YolandaItem } from "./items.ts";

export const SOURCE = { mini: "yolanda-mini", docker: "yolanda-docker", lite: "yolanda-lite", full: "yolanda-full" } as const;
export type Channel = keyof typeof SOURCE;

/** Staff-facing notes stored with a measurement that has no report (yet). */
export const NOTE_LITE = "no report yet: WSP-Lite sends weight only; the relay computes the report once staff assign the member";
export const NOTE_UNKNOWN = "no report: the relay matched no stored user";
export const NOTE_MULTI = "several candidates: each candidate record keeps its own report; the claimed member's is used";

interface Attribution {
  memberId: number | null;
  claimReason: string | null;
  suggested: number | null;
  slotMember: number | null;
}

interface Fields {
  indicators: Indicators | null;
  note: string | null;
  groupKey: string | null;
  candidates: number[];
  eight: boolean;
  userIndex: number | null;
  definite: boolean | null;
  hmac: string | null;
  raw: unknown;
}

/** The stored report's fields: what the relay sent, with the missing ones derived on the gym's calendar. */
export class YolandaIngest {
  constructor(
    private readonly deps: Deps,
    private readonly derive: Deriver = deriveMissing,
  ) {}

  private derived(indicators: Indicators, profileMemberId: number | null, item: YolandaItem): Indicators {
    return this.derive(indicators, profileMemberId, item, this.deps.repos.members, this.deps.settings.get("gym.timeZone"));
  }

  /** §3.4 / §3.7.1 attribution: the slot holder at the measurement time (else now), if the relay is sure and the member active. */
  private attribute(mac: string, item: YolandaItem, definite: boolean): Attribution {
    const slots = this.deps.repos.yolanda;
    if (!validSlot(item.userIndex)) return { memberId: null, claimReason: "user_index_out_of_range", suggested: null, slotMember: null };
    const slot = slots.slotFor(mac, item.userIndex, item.measuredAt);
    if (!slot) return { memberId: null, claimReason: "empty_slot", suggested: null, slotMember: null };
    const active = slots.memberStatus(slot.member_id) === "active";
    if (definite && active) return { memberId: slot.member_id, claimReason: null, suggested: null, slotMember: slot.member_id };
    return { memberId: null, claimReason: definite ? "member_inactive" : "uncertain", suggested: slot.member_id, slotMember: slot.member_id };
  }

  /** One row; a replay stores nothing (MeasurementsRepo.ingest counts it). Returns true for a replay. */
  private store(device: DeviceRow, captureId: number, source: string, key: string, item: YolandaItem, a: Attribution, f: Fields, now: number): boolean {
    const id = this.deps.repos.measurements.ingest(
      {
        idemKey: key,
        source,
        deviceId: device.id,
        memberId: a.memberId,
        status: a.memberId === null ? "unassigned" : "assigned",
        claimReason: a.claimReason,
        suggestedMemberId: a.suggested,
        groupKey: f.groupKey,
        candidates: a.memberId === null ? f.candidates : null,
        measuredAt: item.measuredAt,
        deviceTsRaw: item.deviceTsRaw,
        clockSuspect: item.clockSuspect,
        receivedAt: now,
        weightKg: item.weightKg,
        heartRate: item.heartRate,
        impedance: null,
        scaleType: null,
        eightElectrode: f.eight,
        backlogTotal: null,
        backlogCurrent: null,
        rssi: null,
        dataType: null,
        lefuMemberid: null,
        lefuUserid: null,
        captureId: captureId || null,
        rawItem: redactValue(f.raw),
        indicators: f.indicators,
        indicatorsNote: f.note,
        // The relay computed the report for the slot's profile (§3.4 indicator caveat).
        indicatorsProfileMemberId: f.indicators ? a.slotMember : null,
        hmac: f.hmac,
        resistance: item.resistance,
        secResistance: item.secResistance,
        modelId: item.modelId,
        userIndex: f.userIndex,
        definiteFlag: f.definite,
        resistanceFlag: item.resistanceFlag,
      },
      now,
    );
    return id === null;
  }

  /** An item that carries the relay's report, attributed to a slot (WSP Mini, Docker create_measurement, Full single record). */
  reported(device: DeviceRow, captureId: number, channel: Channel, mac: string, item: YolandaItem, definite: boolean, now: number): boolean {
    const a = this.attribute(mac, item, definite);
    return this.store(device, captureId, SOURCE[channel], idemKey(mac, item.tsSeconds, item.userIndex ?? 0), item, a, {
      indicators: item.indicators ? this.derived(item.indicators, a.slotMember, item) : null,
      note: null,
      groupKey: validSlot(item.userIndex) ? slotGroup(mac, item.userIndex) : null,
      // The slot's member, if any; members whose weight is nearest are added when staff open the claim queue.
      candidates: a.memberId === null && a.suggested !== null ? [a.suggested] : [],
      eight: item.segmental,
      userIndex: item.userIndex,
      definite: channel === "mini" ? item.definite : true,
      hmac: item.hmac,
      raw: item.raw,
    }, now);
  }

  /** A weighing nobody was matched to (Docker create_unknown_measurement, WSP-Lite): claim queue, key …:0. */
  unidentified(device: DeviceRow, captureId: number, channel: Channel, mac: string, item: YolandaItem, eight: boolean, now: number): boolean {
    return this.store(device, captureId, SOURCE[channel], idemKey(mac, item.tsSeconds, 0), item, { memberId: null, claimReason: "unidentified", suggested: null, slotMember: null }, {
      indicators: null,
      note: channel === "lite" ? NOTE_LITE : NOTE_UNKNOWN,
      groupKey: null,
      candidates: [],
      eight,
      userIndex: null,
      definite: null,
      hmac: item.hmac,
      raw: item.raw,
    }, now);
  }

  /** Stores items with `one`; bad ones are quarantined. */
  items(device: DeviceRow, captureId: number, channel: Channel, rawItems: unknown[], now: number, withReport: boolean, one: (item: YolandaItem) => boolean): PersistResult {
    let duplicate = false;
    let quarantine = false;
    for (const raw of rawItems) {
      const n = normaliseItem(raw, now, withReport);
      if (!n.ok) {
        this.deps.repos.measurements.quarantine(captureId || null, SOURCE[channel], n.reason, redactValue(n.raw), now);
        quarantine = true;
        continue;
      }
      if (n.modelId) this.deps.repos.yolanda.setModelId(device.id, n.modelId);
      if (one(n)) duplicate = true;
    }
    return { duplicate, quarantine };
  }

  /**
   * WSP-Full (§3.7.3): one record means the relay identified the user; several mean it could not
   * decide, and each candidate has a record with its own report. Several are stored as ONE claim-queue
   * row keyed `…:multi`, holding every record; claiming it for member X keeps X's record.
   */
  full(device: DeviceRow, captureId: number, mac: string, records: unknown[], eight: boolean, now: number): PersistResult {
    const { measurements, yolanda: slots } = this.deps.repos;
    if (records.length <= 1) {
      const r = this.items(device, captureId, "full", records, now, true, (n) => this.reported(device, captureId, "full", mac, { ...n, segmental: n.segmental || eight }, true, now));
      if (records.length === 0) {
        measurements.quarantine(captureId || null, SOURCE.full, "no_records", null, now);
        return { quarantine: true };
      }
      return r;
    }
    const good: YolandaItem[] = [];
    let quarantine = false;
    for (const raw of records) {
      const n = normaliseItem(raw, now, true);
      if (n.ok) good.push(n);
      else {
        measurements.quarantine(captureId || null, SOURCE.full, n.reason, redactValue(n.raw), now);
        quarantine = true;
      }
    }
    const first = good[0];
    if (!first) return { quarantine };
    if (first.modelId) slots.setModelId(device.id, first.modelId);
    const key = idemKey(mac, first.tsSeconds, "multi");
    const candidates = good.map((n) => ({ n, slot: validSlot(n.userIndex) ? slots.slotFor(mac, n.userIndex, n.measuredAt) : null }));
    const members = candidates.map((c) => c.slot?.member_id ?? null);
    const duplicate = this.store(device, captureId, SOURCE.full, key, first, { memberId: null, claimReason: "ambiguous", suggested: null, slotMember: null }, {
      indicators: null,
      note: NOTE_MULTI,
      groupKey: key,
      // The candidates are the records' members: each has its own report, nobody else has one.
      candidates: members.filter((m, i): m is number => m !== null && members.indexOf(m) === i),
      eight: eight || good.some((n) => n.segmental),
      userIndex: null,
      definite: false,
      hmac: null,
      raw: {
        records: candidates.map((c) => ({
          user_index: c.n.userIndex,
          member_id: c.slot?.member_id ?? null,
          hmac: c.n.hmac,
          indicators: c.n.indicators ? this.derived(c.n.indicators, c.slot?.member_id ?? null, c.n) : null,
          raw: c.n.raw,
        })),
      },
    }, now);
    return { duplicate, quarantine };
  }
}
