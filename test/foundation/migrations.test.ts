import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { applyPragmas, openDatabase } from "../../src/store/db.ts";
import { LATEST_VERSION, migrate, MIGRATIONS, SchemaTooNewError, schemaVersion } from "../../src/store/migrations/index.ts";
import { runBodydock, tempDir, testClock, testRuntime } from "../helpers.ts";

describe("migrations", () => {
  test("a fresh database is migrated to the latest version and each migration is recorded", () => {
    const file = join(tempDir(), "db.sqlite");
    const { db, migration } = openDatabase(file);
    expect(migration.from).toBe(0);
    expect(migration.to).toBe(LATEST_VERSION);
    expect(migration.applied).toEqual(MIGRATIONS.map((m) => m.version));
    const rows = db.query("SELECT version, name FROM schema_migrations ORDER BY version").all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'settings'").get()).toEqual({ name: "settings" });
    db.close();
  });

  test("applied_at comes from the injectable clock (the runtime's), not Date.now", async () => {
    const clock = testClock(1_600_000_000_000);
    const h = testRuntime({}, clock);
    const stamps = h.rt.db.query("SELECT DISTINCT applied_at FROM schema_migrations").all();
    expect(stamps).toEqual([{ applied_at: 1_600_000_000_000 }]);
    await h.dispose();
    const db = new Database(":memory:");
    let t = 5;
    migrate(db, MIGRATIONS, () => (t += 10));
    expect(db.query("SELECT version, applied_at FROM schema_migrations ORDER BY version").all()).toEqual(
      MIGRATIONS.map((m, i) => ({ version: m.version, applied_at: 15 + 10 * i })),
    );
    expect(db.query("SELECT name FROM sqlite_temp_master WHERE name = 'migration_clock'").get()).toBeNull(); // cleaned up
    db.close();
  });

  test("re-running applies nothing and changes nothing", () => {
    const file = join(tempDir(), "db.sqlite");
    openDatabase(file).db.close();
    const { db, migration } = openDatabase(file);
    expect(migration.applied).toEqual([]);
    expect(migration.from).toBe(LATEST_VERSION);
    expect((db.query("SELECT COUNT(*) AS n FROM schema_migrations").get() as { n: number }).n).toBe(MIGRATIONS.length);
    db.close();
  });

  test("pragmas: WAL, synchronous FULL, foreign keys, busy timeout", () => {
    const { db } = openDatabase(join(tempDir(), "db.sqlite"));
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA synchronous").get()).toEqual({ synchronous: 2 });
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    expect(db.query("PRAGMA busy_timeout").get()).toEqual({ timeout: 5000 });
    db.close();
  });

  test("a migration that fails is rolled back whole and its version not recorded", () => {
    const db = new Database(":memory:");
    const good = { version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER);" };
    const bad = { version: 2, name: "two", sql: "CREATE TABLE b (x INTEGER); INSERT INTO nope VALUES (1);" };
    expect(() => migrate(db, [good, bad])).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeNull();
    db.close();
  });

  test("a database with a newer schema is refused and left untouched", () => {
    const file = join(tempDir(), "db.sqlite");
    openDatabase(file).db.close();
    const raw = new Database(file);
    applyPragmas(raw);
    raw.run(`PRAGMA user_version = ${LATEST_VERSION + 5}`);
    raw.close();
    expect(() => openDatabase(file)).toThrow(SchemaTooNewError);
    expect(() => openDatabase(file)).toThrow(/newer bodydock/);
    const check = new Database(file);
    expect(schemaVersion(check)).toBe(LATEST_VERSION + 5);
    check.close();
  });

  test("serve refuses a newer schema with a clear message and a non-zero exit", async () => {
    const dir = tempDir();
    openDatabase(join(dir, "bodydock.sqlite")).db.close();
    const raw = new Database(join(dir, "bodydock.sqlite"));
    raw.run(`PRAGMA user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    const r = await runBodydock(["serve", "--port", "0"], { env: { BODYDOCK_DATA_DIR: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`schema is version ${LATEST_VERSION + 1}`);
  });

  test("`bodydock migrate` creates and reports", async () => {
    const dir = tempDir();
    const first = await runBodydock(["migrate", "--data-dir", dir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`from schema 0 to ${LATEST_VERSION}`);
    const again = await runBodydock(["migrate", "--data-dir", dir]);
    expect(again.stdout).toContain("up to date");
  });
});

describe("migration 007: device admission", () => {
  test("an upgraded box keeps its admission behaviour; a new one gets the new defaults; Lefu links keep their scale", () => {
    const file = join(tempDir(), "db.sqlite");
    const db = new Database(file);
    applyPragmas(db);
    migrate(db, MIGRATIONS.filter((m) => m.version <= 6));
    // A box that ran before: it has settings (a generated key), an explicitly set value, a scale and a linked identity.
    db.run("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('staff.sessionKey', '\"k-0123456789abcdef\"', 1, 'system')");
    db.run("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('youjiu.autoActivate', 'false', 1, 'alice')");
    db.run("INSERT INTO members (id, member_no, name, status, created_at, updated_at) VALUES (1, 'M1', 'Ann', 'active', 1, 1)");
    db.run("INSERT INTO devices (vendor, device_key, first_seen, last_seen) VALUES ('lefu', 'CFE8050813BA', 1, 1)");
    db.run("INSERT INTO lefu_identities (memberid, member_id, device_id, first_seen, last_seen) VALUES ('m-linked', 1, 1, 1, 1)");
    db.run("INSERT INTO lefu_identities (memberid, member_id, device_id, first_seen, last_seen) VALUES ('m-open', NULL, 1, 1, 1)");
    migrate(db, MIGRATIONS, () => 1_700_000_000_123); // the injectable clock stamps 007's rows, not SQLite's
    const setting = (k: string) => (db.query("SELECT value, updated_by FROM settings WHERE key = ?").get(k) as { value: string; updated_by: string } | null);
    expect(setting("youjiu.requireToken")).toEqual({ value: "false", updated_by: "migration-007" });
    expect(db.query("SELECT DISTINCT updated_at FROM settings WHERE updated_by = 'migration-007'").all()).toEqual([{ updated_at: 1_700_000_000_123 }]);
    expect(setting("lefu.autoApproveDevices")).toEqual({ value: "true", updated_by: "migration-007" });
    expect(setting("youjiu.autoActivate")).toEqual({ value: "false", updated_by: "alice" }); // set by staff: kept
    expect(db.query("SELECT memberid, device_key FROM lefu_identities ORDER BY memberid").all()).toEqual([
      { memberid: "m-linked", device_key: "CFE8050813BA" },
      { memberid: "m-open", device_key: null },
    ]);
    db.close();
    const fresh = openDatabase(join(tempDir(), "db.sqlite")).db;
    expect(fresh.query("SELECT COUNT(*) AS n FROM settings").get()).toEqual({ n: 0 });
    fresh.close();
  });
});
