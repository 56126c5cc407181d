-- 004: Youjiu XONE / U+ (device-protocols §4, §6): device credentials, login events, unknown cards.
ALTER TABLE devices ADD COLUMN secret TEXT;            -- Youjiu device secret (a low-value LAN credential, kept to answer /activate idempotently)
ALTER TABLE devices ADD COLUMN secret_set_at INTEGER;
ALTER TABLE devices ADD COLUMN last_token_at INTEGER;
ALTER TABLE devices ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;

CREATE TABLE login_events (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  sn          TEXT NOT NULL,            -- '-' when unknown
  remote_ip   TEXT,
  type        TEXT NOT NULL,
  scene       TEXT,
  outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'unknown', 'inactive', 'ambiguous', 'unsupported', 'face_unavailable', 'scene_not_allowed', 'rejected_inactive')),
  member_id   INTEGER REFERENCES members(id) ON DELETE SET NULL,
  extend_data TEXT,
  value_hint  TEXT,                     -- last 4 characters only; never a face image
  pushed_by   TEXT                      -- staff username for push logins
) STRICT;
CREATE INDEX login_events_at ON login_events(at);
CREATE INDEX login_events_member ON login_events(member_id, at);

-- Cards tapped on a reader that no member has: listed for staff to enrol ("tap to enrol").
CREATE TABLE youjiu_unknown_cards (
  card_dec  TEXT PRIMARY KEY,
  card_hex  TEXT NOT NULL,
  sn        TEXT,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  taps      INTEGER NOT NULL DEFAULT 1
) STRICT;
