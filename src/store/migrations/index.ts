/**
 * Numbered SQL migrations, embedded in the binary as text imports. Each runs in
 * its own transaction together with the row that records it. A database whose
 * recorded version is newer than the newest migration here is refused: a gym
 * that rolls back an upgrade must not let an old binary write to a newer schema.
 */
import type { Database } from "bun:sqlite";
import m001 from "./001_foundation.sql" with { type: "text" };
import m002 from "./002_members.sql" with { type: "text" };
import m003 from "./003_devices.sql" with { type: "text" };
import m004 from "./004_youjiu.sql" with { type: "text" };
import m005 from "./005_yolanda.sql" with { type: "text" };
import m006 from "./006_staff_sessions.sql" with { type: "text" };
import m007 from "./007_device_admission.sql" with { type: "text" };
import m008 from "./008_faces.sql" with { type: "text" };
import m009 from "./009_scale.sql" with { type: "text" };
import m010 from "./010_integrations.sql" with { type: "text" };
import m011 from "./011_gym_profile.sql" with { type: "text" };
import m012 from "./012_measured_today.sql" with { type: "text" };
import m013 from "./013_login_lookups.sql" with { type: "text" };

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "foundation", sql: m001 },
  { version: 2, name: "members", sql: m002 },
  { version: 3, name: "devices", sql: m003 },
  { version: 4, name: "youjiu", sql: m004 },
  { version: 5, name: "yolanda", sql: m005 },
  { version: 6, name: "staff_sessions", sql: m006 },
  { version: 7, name: "device_admission", sql: m007 },
  { version: 8, name: "faces", sql: m008 },
  { version: 9, name: "scale", sql: m009 },
  { version: 10, name: "integrations", sql: m010 },
  { version: 11, name: "gym_profile", sql: m011 },
  { version: 12, name: "measured_today", sql: m012 },
  { version: 13, name: "login_lookups", sql: m013 },
];

export const LATEST_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

export class SchemaTooNewError extends Error {
  constructor(
    readonly dbVersion: number,
    readonly binaryVersion: number,
  ) {
    super(
      `the database schema is version ${dbVersion}, but this bodydock knows only up to version ${binaryVersion}. ` +
        `It was written by a newer bodydock; run that version (or restore a backup made by this one). Nothing was changed.`,
    );
    this.name = "SchemaTooNewError";
  }
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: number[];
}

export function schemaVersion(db: Database): number {
  return (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
}

/**
 * Applies the migrations newer than the database's version. Time comes from `now` (the runtime's
 * injectable clock, epoch ms): it stamps schema_migrations.applied_at, and a migration's SQL that
 * needs "now" reads it from the connection's temporary table `migration_clock(now_ms)` rather
 * than from SQLite's own clock (007 does), so a test with a pinned clock sees its own time.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, now: () => number = Date.now): MigrationResult {
  const latest = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  const from = schemaVersion(db);
  if (from > latest) throw new SchemaTooNewError(from, latest);
  db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied: number[] = [];
  db.run("CREATE TEMP TABLE IF NOT EXISTS migration_clock (now_ms INTEGER NOT NULL)");
  try {
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= from) continue;
      db.transaction(() => {
        const at = now();
        db.run("DELETE FROM temp.migration_clock");
        db.run("INSERT INTO temp.migration_clock (now_ms) VALUES (?)", [at]);
        db.exec(m.sql);
        db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [m.version, m.name, at]);
        db.run(`PRAGMA user_version = ${m.version | 0}`);
      }).immediate();
      applied.push(m.version);
    }
  } finally {
    db.run("DROP TABLE IF EXISTS temp.migration_clock");
  }
  return { from, to: schemaVersion(db), applied };
}
