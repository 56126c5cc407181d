/**
 * Every repository of one database, built once (prepared statements made once) by the composition
 * root (runtime.ts) and reached as `deps.repos`. Repositories that share state get it here, from
 * their constructor: the last-seen throttle, the outbox (and its listeners), the member search index.
 * Nothing in store/ keeps a module-level cache.
 */
import type { Database } from "bun:sqlite";
import { ApiKeysRepo } from "./api-keys-repo.ts";
import { AuditRepo } from "./audit-repo.ts";
import { CapturesRepo } from "./captures-repo.ts";
import { ClaimsRepo } from "./claims-repo.ts";
import { DevicesRepo } from "./devices-repo.ts";
import { DiagnosticsRepo } from "./diagnostics-repo.ts";
import { FacesRepo } from "./faces-repo.ts";
import { HealthRepo } from "./health-repo.ts";
import { JoinRequestsRepo } from "./join-requests-repo.ts";
import { LiteReportsRepo } from "./lite-reports-repo.ts";
import { MeasurementCounts } from "./measurement-counts.ts";
import { MeasurementsRepo } from "./measurements-repo.ts";
import { MemberSearchIndex } from "./member-search.ts";
import { MembersRepo } from "./members-repo.ts";
import { OutboxRepo } from "./outbox-repo.ts";
import { PageRepo } from "./page-repo.ts";
import { CaptureRetention } from "./retention.ts";
import { SeenThrottle } from "./seen-throttle.ts";
import { SessionsRepo } from "./sessions-repo.ts";
import { StaffRepo } from "./staff-repo.ts";
import { WebhooksRepo } from "./webhooks-repo.ts";
import { YolandaRepo } from "./yolanda-repo.ts";
import { YoujiuRepo } from "./youjiu-repo.ts";

export interface Repos {
  apiKeys: ApiKeysRepo;
  audit: AuditRepo;
  captures: CapturesRepo;
  claims: ClaimsRepo;
  devices: DevicesRepo;
  diagnostics: DiagnosticsRepo;
  faces: FacesRepo;
  /** The database check of GET /healthz. */
  health: HealthRepo;
  joinRequests: JoinRequestsRepo;
  /** The WSP-Lite report queue (devices/yolanda/lite-reports.ts). */
  liteReports: LiteReportsRepo;
  measurementCounts: MeasurementCounts;
  measurements: MeasurementsRepo;
  members: MembersRepo;
  outbox: OutboxRepo;
  page: PageRepo;
  /** Hourly capture retention (server.ts) and outbox retention (integrations/index.ts). */
  retention: CaptureRetention;
  /** Device and Lefu identity last-seen writes, at most one a second (shared by the repositories that write them). */
  seen: SeenThrottle;
  sessions: SessionsRepo;
  staff: StaffRepo;
  webhooks: WebhooksRepo;
  yolanda: YolandaRepo;
  youjiu: YoujiuRepo;
}

export function createRepos(db: Database, now: () => number): Repos {
  const seen = new SeenThrottle();
  const members = new MembersRepo(db, new MemberSearchIndex(db));
  const outbox = new OutboxRepo(db, members);
  const measurements = new MeasurementsRepo(db, seen, outbox);
  const captures = new CapturesRepo(db);
  return {
    apiKeys: new ApiKeysRepo(db),
    audit: new AuditRepo(db, now, outbox),
    captures,
    claims: new ClaimsRepo(db, measurements, outbox),
    devices: new DevicesRepo(db, seen),
    diagnostics: new DiagnosticsRepo(db),
    faces: new FacesRepo(db),
    health: new HealthRepo(db),
    joinRequests: new JoinRequestsRepo(db),
    liteReports: new LiteReportsRepo(db, measurements, outbox),
    measurementCounts: new MeasurementCounts(db),
    measurements,
    members,
    outbox,
    page: new PageRepo(db),
    retention: new CaptureRetention(db, captures, outbox),
    seen,
    sessions: new SessionsRepo(db),
    staff: new StaffRepo(db),
    webhooks: new WebhooksRepo(db, outbox),
    yolanda: new YolandaRepo(db),
    youjiu: new YoujiuRepo(db, outbox),
  };
}
