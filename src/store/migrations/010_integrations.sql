-- 010: integrations (issue 17): API keys, webhook endpoints, the outbox and its deliveries.

-- Keys for the gym's own systems. Only the SHA-256 of a key is kept (keys are 32 random bytes,
-- so a fast hash is enough); `prefix` is the first characters, to tell keys apart in lists.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes_json TEXT NOT NULL,
  rate_per_minute INTEGER NOT NULL DEFAULT 600,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  last_used_at INTEGER,
  last_used_ip TEXT,
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER
);
CREATE UNIQUE INDEX api_keys_live_name ON api_keys(name COLLATE NOCASE) WHERE revoked_at IS NULL;

CREATE TABLE webhook_endpoints (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL,
  events_json TEXT NOT NULL,
  description TEXT,
  secret TEXT NOT NULL,
  -- During a rotation the old secret signs too, until previous_until (epoch ms).
  previous_secret TEXT,
  previous_until INTEGER,
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'disabled')),
  state_reason TEXT,
  timeout_ms INTEGER NOT NULL DEFAULT 10000,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_success_at INTEGER,
  last_error_at INTEGER,
  last_error_status INTEGER,
  last_error TEXT
);

-- One row per event, written in the transaction of the change that caused it.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  payload_json TEXT NOT NULL
);
CREATE INDEX outbox_created ON outbox(created_at);

-- One row per (endpoint, event) to deliver; made in the same transaction as the outbox row.
CREATE TABLE webhook_deliveries (
  endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  delivered_at INTEGER,
  -- A replay bumps it, so the outcome of an attempt made before the replay does not overwrite it.
  generation INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (endpoint_id, outbox_id)
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries(endpoint_id, state, outbox_id);
CREATE INDEX webhook_deliveries_outbox ON webhook_deliveries(outbox_id);
