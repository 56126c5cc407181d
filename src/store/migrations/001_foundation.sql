-- 001: the foundation. Runtime settings that staff change while bodydock runs.
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,            -- JSON
  updated_at INTEGER NOT NULL,         -- epoch ms
  updated_by TEXT                      -- staff username, 'env' when seeded, 'system' when generated
) STRICT;
