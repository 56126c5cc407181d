/**
 * The device-role contract (issue 14 point 2). A role is one vendor protocol (Lefu, Yolanda, Youjiu):
 * it says which paths it answers, what a matched route needs before its body is read, and how it turns
 * a read and parsed request into an outcome (the answer, rows to store, what to capture). Everything
 * else (enabled check, body limit, lenient parse, capture with redaction and budget, device seen, one
 * group-committed transaction, the answer after commit, observe) is the pipeline's (pipeline.ts), done
 * once for every role. The composition root builds the list (roles.ts); app.ts mounts it as one router.
 */
import type { Vendor } from "../store/devices-repo.ts";
import type { MeasurementRow } from "../store/measurements-repo.ts";
import type { Parsed } from "./common/body.ts";
import type { DevicePath } from "./common/path.ts";
import type { DeviceReply, Outcome } from "./pipeline.ts";

/** What a matched route needs before its body is read. */
export interface RouteInfo {
  /** Capture columns. */
  router: string;
  routeKey: string | null;
  prefix: string | null;
  /** The route name in logs and metrics (observe). */
  label: string;
  /** Capture flagged as an unknown path. */
  unknownPath?: boolean;
  /** Bodies over this many bytes get `tooLarge` (and the connection closed). */
  bodyLimit: number;
  /** When false, `disabled` is answered at once: nothing is read, captured or stored. */
  enabled: boolean;
  disabled: DeviceReply;
  tooLarge: DeviceReply;
  /** The answer when the transaction fails (the only case a data endpoint reports failure). */
  storageFailure: DeviceReply;
  /** Redact secrets in the captured answer too (Youjiu tokens). */
  redactResponse?: boolean;
}

/** One device request, read and parsed, as the role's handler gets it. */
export interface DeviceRequest<R> {
  route: R;
  path: DevicePath;
  request: Request;
  remote: string | null;
  /** The request's time (deps.now() when it arrived): receive times, answers' clocks. */
  now: number;
  text: string;
  parsed: Parsed;
  /** The capture's redaction for stored raw items: identity when the body has nothing to redact. */
  scrub: (value: unknown) => unknown;
}

/** A claimed measurement's report for its new member. */
export interface ClaimReport {
  indicators: unknown | null;
  note: string | null;
  /** The member whose profile the indicators were computed for (null when there are none). */
  profileMemberId: number | null;
}

export interface DeviceRole<R = unknown> {
  /** The vendor of the devices rows it writes (presence and the Devices page group by it). */
  readonly vendor: Vendor;
  /** The route for a normalised device path, or null when the path is not this role's. */
  match(path: DevicePath): R | null;
  /** Limits, replies and capture columns of a matched route (asked per request: settings may change). */
  describe(route: R): RouteInfo;
  /** Parses the body; the default is the lenient JSON parser (common/body.ts). */
  parse?(request: Request, text: string, route: R): Parsed | Promise<Parsed>;
  /** The capture text of a body; the default keeps it verbatim unless something needs redaction. */
  captureText?(text: string, parsed: Parsed): string | null;
  /** Decides the answer and what to store; the pipeline commits it and answers after commit. */
  handle(req: DeviceRequest<R>): Outcome | Promise<Outcome>;
  /** A claimed measurement's report for `memberId`, or null when the row is not this role's. */
  claimReport?(row: MeasurementRow, memberId: number): ClaimReport | null;
  /** When a device was last heard from outside the pipeline (answers served from memory), for presence. */
  lastContact?(deviceKey: string): number | null;
  /** Extra Prometheus lines for GET /metrics. */
  metrics?(): string[];
  /** Starts background work with the server; returns its stop. */
  start?(): () => void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list holds roles of different route types
export type AnyRole = DeviceRole<any>;

/** The report a claimed row gets: the first role that owns the row decides; anything else keeps its note. */
export function claimReportOf(roles: readonly AnyRole[]) {
  return (row: MeasurementRow, memberId: number): ClaimReport => {
    for (const r of roles) {
      const c = r.claimReport?.(row, memberId);
      if (c) return c;
    }
    return { indicators: null, note: row.indicators_note, profileMemberId: null };
  };
}
