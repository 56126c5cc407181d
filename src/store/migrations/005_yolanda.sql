-- 005: Yolanda scales (device-protocols §3.5, §3.7, §6): per-scale slots 1–8 bound to members,
-- the 16-character scale key a WSP Docker v1.0.x relay asks for, and the last model_id seen.
ALTER TABLE devices ADD COLUMN scale_secret_key TEXT;   -- Yolanda v1.0.x relay: the key the provisioning app wrote to the scale
ALTER TABLE devices ADD COLUMN last_model_id TEXT;      -- Yolanda: last model_id received for this MAC (answered to read_model_id)

-- One row per assignment of a member to a slot of a scale. Freeing a slot sets removed_at (soft
-- delete): the history stays, because a measurement is attributed to the slot holder at its time.
CREATE TABLE yolanda_slots (
  id            INTEGER PRIMARY KEY,
  mac           TEXT NOT NULL,                                   -- normalised AA:BB:CC:DD:EE:FF
  user_index    INTEGER NOT NULL CHECK (user_index BETWEEN 1 AND 8),
  member_id     INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  user_key      INTEGER NOT NULL CHECK (user_key BETWEEN 1000 AND 9999), -- v1.0.x relay only
  assigned_at   INTEGER NOT NULL,
  assigned_by   TEXT,
  removed_at    INTEGER,
  removed_by    TEXT,
  purge_pending INTEGER NOT NULL DEFAULT 0,                      -- removed, and the relay has not synced since (finish_info_sync clears it)
  purged_at     INTEGER,
  CHECK (removed_at IS NOT NULL OR purge_pending = 0)
) STRICT;
-- At most one active assignment per (mac, user_index); so at most 8 per scale.
CREATE UNIQUE INDEX yolanda_slots_active ON yolanda_slots(mac, user_index) WHERE removed_at IS NULL;
CREATE INDEX yolanda_slots_history ON yolanda_slots(mac, user_index, assigned_at);
CREATE INDEX yolanda_slots_member ON yolanda_slots(member_id);
