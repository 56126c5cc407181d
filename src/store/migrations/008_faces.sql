-- 008: face login templates (issue 15). A template is a 128-float descriptor and a 96 px face
-- thumbnail staff see; the device's or staff's image itself is never stored. Each template records
-- the consent it was enrolled under (who ticked "member agreed to face login", and when).
-- Deleting a member deletes their templates (ON DELETE CASCADE).
CREATE TABLE face_templates (
  id            INTEGER PRIMARY KEY,
  member_id     INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  descriptor    BLOB NOT NULL CHECK (length(descriptor) = 512),   -- 128 × float32, little-endian
  thumbnail     BLOB NOT NULL,                                    -- 96 × 96 JPEG
  source        TEXT NOT NULL CHECK (source IN ('image', 'device')),
  source_device TEXT,                                             -- device SN for source = 'device'
  consent_by    TEXT NOT NULL,                                    -- staff username who recorded the consent
  consent_at    INTEGER NOT NULL,                                 -- epoch ms
  created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX face_templates_member ON face_templates(member_id);
