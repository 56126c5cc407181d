-- 012: the dashboard lists measurements *made* today (the staff page issue), newest first: an index on
-- measured_at for the rows that are not discarded (partial, so discarded history costs nothing).
CREATE INDEX measurements_measured_live ON measurements(measured_at) WHERE status != 'discarded';
