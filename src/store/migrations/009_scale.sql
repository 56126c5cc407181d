-- 009: indexes for a real gym's size (issue 18). Every hot query uses an index, and none is kept that no
-- query uses. Partial indexes hold only the rows their queries ask for, so the ones the claim queue and the
-- flagged-captures list read stay small however much history there is.

-- No query orders or filters measurements by measured_at alone (history goes through the member index,
-- the claim queue through the partial status indexes). The dashboard asks "received since", so that is
-- the one time index measurements keep.
DROP INDEX measurements_measured;
CREATE INDEX measurements_received ON measurements(received_at);

-- A member's history; an unattributed row (member_id NULL) is never looked up by member.
DROP INDEX measurements_member;
CREATE INDEX measurements_member ON measurements(member_id, measured_at) WHERE member_id IS NOT NULL;

-- The claim queue and the discarded list, newest first; assigned rows (nearly all) are not in them.
DROP INDEX measurements_status;
CREATE INDEX measurements_unassigned ON measurements(measured_at) WHERE status = 'unassigned';
CREATE INDEX measurements_discarded ON measurements(measured_at) WHERE status = 'discarded';

-- "Assign all of this identity": only pending rows are ever looked up by group.
DROP INDEX measurements_group;
CREATE INDEX measurements_group ON measurements(group_key) WHERE status = 'unassigned';

-- Foreign keys whose parent rows get deleted: without an index on the child column SQLite scans the whole
-- child table for every deleted parent. Captures are pruned every hour (retention), so measurements need
-- one on capture_id; it is partial, and pruning sets capture_id to NULL, so it holds only the rows of the
-- retention window. suggested_member_id is set on claims only (a member deletion looks it up).
CREATE INDEX measurements_capture ON measurements(capture_id) WHERE capture_id IS NOT NULL;
CREATE INDEX measurements_suggested ON measurements(suggested_member_id) WHERE suggested_member_id IS NOT NULL;
CREATE INDEX quarantine_capture ON quarantine(capture_id) WHERE capture_id IS NOT NULL;
CREATE INDEX diagnostics_capture ON diagnostics(capture_id) WHERE capture_id IS NOT NULL;

-- Unknown-path and quarantined captures staff have not dismissed, newest first (rowid order).
DROP INDEX captures_flagged;
CREATE INDEX captures_flagged ON captures(dismissed) WHERE (unknown_path = 1 OR quarantine = 1) AND dismissed = 0;

-- Claim suggestions ("the member whose last weight is nearest", device-protocols §1.9) in O(log n): each
-- member's last weight (latest assigned measurement, else the reference weight), indexed by weight and
-- kept by triggers, so no code path can forget it. measured_at is NULL for a reference weight.
CREATE TABLE member_weights (
  member_id   INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
  weight_kg   REAL NOT NULL,
  measured_at INTEGER
) STRICT;
CREATE INDEX member_weights_weight ON member_weights(weight_kg);

INSERT INTO member_weights (member_id, weight_kg, measured_at)
SELECT id, COALESCE(mw, rw), CASE WHEN mw IS NULL THEN NULL ELSE t END FROM (
  SELECT mb.id, mb.reference_weight_kg AS rw,
    (SELECT x.weight_kg FROM measurements x WHERE x.member_id = mb.id AND x.status = 'assigned' ORDER BY x.measured_at DESC LIMIT 1) AS mw,
    (SELECT x.measured_at FROM measurements x WHERE x.member_id = mb.id AND x.status = 'assigned' ORDER BY x.measured_at DESC LIMIT 1) AS t
  FROM members mb)
WHERE COALESCE(mw, rw) IS NOT NULL;

-- A newer assigned measurement replaces the last weight (a reference weight always gives way).
CREATE TRIGGER member_weights_measured AFTER INSERT ON measurements
WHEN NEW.status = 'assigned' AND NEW.member_id IS NOT NULL BEGIN
  INSERT INTO member_weights (member_id, weight_kg, measured_at) VALUES (NEW.member_id, NEW.weight_kg, NEW.measured_at)
  ON CONFLICT (member_id) DO UPDATE SET weight_kg = excluded.weight_kg, measured_at = excluded.measured_at
  WHERE member_weights.measured_at IS NULL OR excluded.measured_at >= member_weights.measured_at;
END;
CREATE TRIGGER member_weights_assigned AFTER UPDATE OF status, member_id ON measurements
WHEN NEW.status = 'assigned' AND NEW.member_id IS NOT NULL BEGIN
  INSERT INTO member_weights (member_id, weight_kg, measured_at) VALUES (NEW.member_id, NEW.weight_kg, NEW.measured_at)
  ON CONFLICT (member_id) DO UPDATE SET weight_kg = excluded.weight_kg, measured_at = excluded.measured_at
  WHERE member_weights.measured_at IS NULL OR excluded.measured_at >= member_weights.measured_at;
END;
-- An assigned measurement that leaves its member (or changes): that member's last weight is looked up again.
CREATE TRIGGER member_weights_unassigned AFTER UPDATE OF status, member_id, weight_kg, measured_at ON measurements
WHEN OLD.status = 'assigned' AND OLD.member_id IS NOT NULL BEGIN
  DELETE FROM member_weights WHERE member_id = OLD.member_id;
  INSERT INTO member_weights (member_id, weight_kg, measured_at)
  SELECT mb.id, COALESCE(x.weight_kg, mb.reference_weight_kg), x.measured_at
  FROM members mb LEFT JOIN (SELECT weight_kg, measured_at FROM measurements
    WHERE member_id = OLD.member_id AND status = 'assigned' ORDER BY measured_at DESC LIMIT 1) x
  WHERE mb.id = OLD.member_id AND COALESCE(x.weight_kg, mb.reference_weight_kg) IS NOT NULL;
END;
CREATE TRIGGER member_weights_deleted AFTER DELETE ON measurements
WHEN OLD.status = 'assigned' AND OLD.member_id IS NOT NULL BEGIN
  DELETE FROM member_weights WHERE member_id = OLD.member_id;
  INSERT INTO member_weights (member_id, weight_kg, measured_at)
  SELECT mb.id, COALESCE(x.weight_kg, mb.reference_weight_kg), x.measured_at
  FROM members mb LEFT JOIN (SELECT weight_kg, measured_at FROM measurements
    WHERE member_id = OLD.member_id AND status = 'assigned' ORDER BY measured_at DESC LIMIT 1) x
  WHERE mb.id = OLD.member_id AND COALESCE(x.weight_kg, mb.reference_weight_kg) IS NOT NULL;
END;
-- The reference weight counts only while the member has no assigned measurement.
CREATE TRIGGER member_weights_member_new AFTER INSERT ON members
WHEN NEW.reference_weight_kg IS NOT NULL BEGIN
  INSERT OR IGNORE INTO member_weights (member_id, weight_kg, measured_at) VALUES (NEW.id, NEW.reference_weight_kg, NULL);
END;
CREATE TRIGGER member_weights_reference AFTER UPDATE OF reference_weight_kg ON members BEGIN
  DELETE FROM member_weights WHERE member_id = NEW.id AND measured_at IS NULL;
  INSERT OR IGNORE INTO member_weights (member_id, weight_kg, measured_at)
  SELECT NEW.id, NEW.reference_weight_kg, NULL WHERE NEW.reference_weight_kg IS NOT NULL;
END;

-- Member search runs over an in-memory copy of the searchable columns (store/member-search.ts), rebuilt
-- when this number moves: every change to members or credentials, by any code path, moves it.
CREATE TABLE members_version (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL) STRICT;
INSERT INTO members_version (id, v) VALUES (1, 0);
CREATE TRIGGER members_version_insert AFTER INSERT ON members BEGIN UPDATE members_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER members_version_update AFTER UPDATE ON members BEGIN UPDATE members_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER members_version_delete AFTER DELETE ON members BEGIN UPDATE members_version SET v = v + 1 WHERE id = 1; END;
