-- 002: staff accounts, the member directory, member credentials, audit log.
-- (Issue 4. Device roles reference members(id); spec §6 lists the fields they need.)
CREATE TABLE staff (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,                      -- Bun.password argon2id
  role          TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE members (
  id                  INTEGER PRIMARY KEY,          -- devices see it as uid
  member_no           TEXT UNIQUE,                  -- the gym's own number (optional)
  name                TEXT NOT NULL,
  nickname            TEXT,
  phone               TEXT,                         -- as entered
  phone_norm          TEXT,                         -- digits only, for matching
  email               TEXT,
  email_norm          TEXT,                         -- lower-case, trimmed
  sex                 TEXT NOT NULL DEFAULT 'unspecified' CHECK (sex IN ('male', 'female', 'unspecified')),
  birthday            TEXT,                         -- YYYY-MM-DD
  height_cm           REAL,
  reference_weight_kg REAL,
  goal_weight_kg      REAL,
  athlete             INTEGER NOT NULL DEFAULT 0,
  avatar_url          TEXT,
  notes               TEXT,
  status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  extend_data         TEXT CHECK (extend_data IS NULL OR length(extend_data) <= 255),
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX members_phone_norm ON members(phone_norm);
CREATE INDEX members_email_norm ON members(email_norm);
CREATE INDEX members_name ON members(name COLLATE NOCASE);

CREATE TABLE credentials (
  id         INTEGER PRIMARY KEY,
  member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  kind       TEXT NOT NULL CHECK (kind IN ('card', 'code')),
  card_dec   TEXT UNIQUE,                           -- card: decimal number, no leading zeros
  card_hex   TEXT UNIQUE,                           -- card: 8-digit upper-case hex of the same number
  code_norm  TEXT UNIQUE,                           -- code: trimmed text as scanned
  label      TEXT,
  created_at INTEGER NOT NULL,
  CHECK ((kind = 'card' AND card_dec IS NOT NULL AND card_hex IS NOT NULL AND code_norm IS NULL)
      OR (kind = 'code' AND code_norm IS NOT NULL AND card_dec IS NULL AND card_hex IS NULL))
) STRICT;
CREATE INDEX credentials_member ON credentials(member_id);

CREATE TABLE audit (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,                      -- epoch ms
  actor      TEXT NOT NULL,                         -- staff username, or 'system' / 'cli'
  action     TEXT NOT NULL,                         -- e.g. member.update
  entity     TEXT NOT NULL,                         -- e.g. member
  entity_id  TEXT,
  before_json TEXT,
  after_json  TEXT
) STRICT;
CREATE INDEX audit_at ON audit(at);
