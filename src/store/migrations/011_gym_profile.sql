-- The gym's own name and logo, heading the printed sheets (issue 16). One row; the logo is the
-- image an admin uploaded (PNG or JPEG, at most 512 KB), served by GET /api/v1/gym/logo.
CREATE TABLE gym_profile (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  name        TEXT,
  logo        BLOB,
  logo_type   TEXT CHECK (logo_type IS NULL OR logo_type IN ('image/png', 'image/jpeg')),
  updated_at  INTEGER NOT NULL
);
INSERT INTO gym_profile (id, name, logo, logo_type, updated_at) VALUES (1, NULL, NULL, NULL, 0);
