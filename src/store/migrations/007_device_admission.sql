-- 007: device admission (device-protocols §0.3, security issue).
--
-- Upgraded boxes keep the admission behaviour they had: the defaults of youjiu.requireToken,
-- youjiu.autoActivate and lefu.autoApproveDevices changed (new boxes require tokens and staff
-- approval), so a database that already has settings (it has been started before) stores the
-- old defaults explicitly where nobody had set them. A new database has no settings rows yet
-- when migrations run, so it gets the new defaults. The time is migrate()'s clock (temp.migration_clock).
INSERT OR IGNORE INTO settings (key, value, updated_at, updated_by)
  SELECT k, v, (SELECT now_ms FROM temp.migration_clock), 'migration-007'
  FROM (SELECT 'youjiu.requireToken' AS k, 'false' AS v UNION ALL
        SELECT 'youjiu.autoActivate', 'true' UNION ALL
        SELECT 'lefu.autoApproveDevices', 'true')
  WHERE EXISTS (SELECT 1 FROM settings);

-- A reset Youjiu secret stops working even before the device activates again: its hash is kept
-- so that /tokens cannot trust it "on first use" a second time.
ALTER TABLE devices ADD COLUMN old_secret_hash TEXT;

-- A Torre memberid -> member link belongs to the scale it was made on (its device key).
ALTER TABLE lefu_identities ADD COLUMN device_key TEXT;
UPDATE lefu_identities SET device_key = (SELECT d.device_key FROM devices d WHERE d.id = lefu_identities.device_id)
  WHERE member_id IS NOT NULL;

-- Devices that are not known yet and asked to join while the pairing window was closed.
-- Capped by the code (oldest dropped), so made-up SNs cannot fill the disk or the page.
CREATE TABLE device_join_requests (
  id          INTEGER PRIMARY KEY,
  vendor      TEXT NOT NULL CHECK (vendor IN ('lefu', 'yolanda', 'youjiu')),
  device_key  TEXT NOT NULL,
  family      TEXT,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  last_ip     TEXT,
  attempts    INTEGER NOT NULL DEFAULT 1,
  last_path   TEXT,
  UNIQUE (vendor, device_key)
) STRICT;
CREATE INDEX device_join_requests_seen ON device_join_requests(last_seen);

-- Staff sign-outs end the session on the server, not only in the browser: the token's id is
-- refused until the token would have expired anyway (rows past expires_at are pruned).
CREATE TABLE staff_revoked_sessions (
  jti        TEXT PRIMARY KEY,
  staff_id   INTEGER NOT NULL,
  expires_at INTEGER NOT NULL           -- epoch ms
) STRICT;
