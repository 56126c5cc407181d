-- 003: devices, captures, measurements, quarantine, Lefu identities, diagnostics
-- (device-protocols §6). Vendor-specific device columns are added by later migrations.
CREATE TABLE devices (
  id                INTEGER PRIMARY KEY,
  vendor            TEXT NOT NULL CHECK (vendor IN ('lefu', 'yolanda', 'youjiu')),
  device_key        TEXT NOT NULL,
  family            TEXT NOT NULL DEFAULT 'unknown',
  sn                TEXT,
  mac               TEXT,
  model             TEXT,
  name              TEXT,
  notes             TEXT,
  approved          INTEGER NOT NULL DEFAULT 1,
  blocked           INTEGER NOT NULL DEFAULT 0,
  first_seen        INTEGER NOT NULL,
  last_seen         INTEGER NOT NULL,
  last_ip           TEXT,
  path_prefix       TEXT,
  versions_json     TEXT,
  battery           REAL,             -- fraction 0..1
  battery_raw       TEXT,
  rssi              INTEGER,
  timezone          TEXT,
  wifi_ssid         TEXT,
  unit_override     INTEGER,
  default_member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
  impedance_mode    TEXT NOT NULL DEFAULT 'encrypted' CHECK (impedance_mode IN ('encrypted', 'ohms')),
  dup_count         INTEGER NOT NULL DEFAULT 0,
  UNIQUE (vendor, device_key)
) STRICT;
CREATE INDEX devices_mac ON devices(vendor, mac);

CREATE TABLE captures (
  id              INTEGER PRIMARY KEY,
  received_at     INTEGER NOT NULL,
  remote_ip       TEXT,
  method          TEXT NOT NULL,
  raw_path        TEXT NOT NULL,      -- path and query as received (secrets redacted)
  router          TEXT NOT NULL,      -- lefu / wsp-mini / wsp-relay / youjiu
  route_key       TEXT,
  path_prefix     TEXT,
  headers_json    TEXT NOT NULL,      -- redacted
  body_text       TEXT,               -- redacted, at most 256 KiB
  body_bytes      INTEGER NOT NULL DEFAULT 0,
  body_truncated  INTEGER NOT NULL DEFAULT 0,
  parse_status    TEXT,
  auth_result     TEXT,
  response_status INTEGER,
  response_body   TEXT,               -- first 4 KiB, redacted
  device_id       INTEGER REFERENCES devices(id) ON DELETE SET NULL,
  unknown_path    INTEGER NOT NULL DEFAULT 0,
  quarantine      INTEGER NOT NULL DEFAULT 0,
  auth_failure    INTEGER NOT NULL DEFAULT 0,
  duplicate       INTEGER NOT NULL DEFAULT 0,
  dismissed       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX captures_received ON captures(received_at);
CREATE INDEX captures_flagged ON captures(unknown_path, quarantine, dismissed);

CREATE TABLE measurements (
  id                  INTEGER PRIMARY KEY,
  idem_key            TEXT NOT NULL UNIQUE,
  source              TEXT NOT NULL,
  device_id           INTEGER REFERENCES devices(id) ON DELETE SET NULL,
  member_id           INTEGER REFERENCES members(id) ON DELETE RESTRICT,
  status              TEXT NOT NULL CHECK (status IN ('assigned', 'unassigned', 'discarded')),
  claim_reason        TEXT,            -- why it waits for staff: unlinked_identity, no_default_member, unapproved_device, ...
  suggested_member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
  group_key           TEXT,            -- e.g. lefu:<memberid>, for "assign all of this identity"
  candidates_json     TEXT,
  measured_at         INTEGER NOT NULL, -- epoch ms UTC
  device_ts_raw       TEXT,
  clock_suspect       INTEGER NOT NULL DEFAULT 0,
  received_at         INTEGER NOT NULL,
  weight_kg           REAL NOT NULL,
  heart_rate          INTEGER,
  impedance_json      TEXT,            -- JSON array of strings, verbatim, or NULL
  scale_type          INTEGER,
  resistance          REAL,
  sec_resistance      REAL,
  model_id            TEXT,
  user_index          INTEGER,
  definite_flag       INTEGER,
  hmac                TEXT,
  resistance_flag     INTEGER,
  indicators_json     TEXT,            -- the computed report, or NULL
  indicators_note     TEXT,            -- why there is no full report
  indicators_profile_member_id INTEGER,
  eight_electrode     INTEGER NOT NULL DEFAULT 0,
  backlog_total       INTEGER,
  backlog_current     INTEGER,
  rssi                INTEGER,
  data_type           TEXT,
  lefu_memberid       TEXT,
  lefu_userid         TEXT,
  capture_id          INTEGER REFERENCES captures(id) ON DELETE SET NULL,
  raw_item_json       TEXT,
  assigned_by         TEXT,
  assigned_at         INTEGER
) STRICT;
CREATE INDEX measurements_member ON measurements(member_id, measured_at);
CREATE INDEX measurements_status ON measurements(status, measured_at);
CREATE INDEX measurements_group ON measurements(group_key, status);
CREATE INDEX measurements_measured ON measurements(measured_at);

CREATE TABLE quarantine (
  id            INTEGER PRIMARY KEY,
  capture_id    INTEGER REFERENCES captures(id) ON DELETE SET NULL,
  source        TEXT NOT NULL,
  reason        TEXT NOT NULL,
  raw_item_json TEXT,
  created_at    INTEGER NOT NULL,
  resolved      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE lefu_identities (
  memberid   TEXT PRIMARY KEY,
  userid     TEXT,
  member_id  INTEGER REFERENCES members(id) ON DELETE SET NULL,
  device_id  INTEGER REFERENCES devices(id) ON DELETE SET NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL
) STRICT;

CREATE TABLE diagnostics (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  kind       TEXT NOT NULL,          -- conflicting_duplicate, ...
  device_id  INTEGER REFERENCES devices(id) ON DELETE SET NULL,
  capture_id INTEGER REFERENCES captures(id) ON DELETE SET NULL,
  detail_json TEXT
) STRICT;
