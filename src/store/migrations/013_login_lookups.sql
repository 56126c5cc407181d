-- 013: two look-ups that walked whole tables.
-- A Youjiu phone login asks for ltrim(phone_norm, '0') IN (...): with only members_phone_norm it walked
-- every member with a phone (1.5-1.8 ms at 20,000 members, on a device path). An index on the expression
-- makes it one search per variant.
CREATE INDEX members_phone_trimmed ON members(ltrim(phone_norm, '0')) WHERE phone_norm IS NOT NULL;
-- The WSP-Lite report job (every 30 s while a Lite relay is set) looks for assigned Lite weighings that
-- still have no report: a partial index holds only those rows, so the job reads nothing else.
CREATE INDEX measurements_lite_pending ON measurements(measured_at)
  WHERE source = 'yolanda-lite' AND status = 'assigned' AND indicators_json IS NULL AND hmac IS NOT NULL;
