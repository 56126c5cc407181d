import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { backupTo, BackupError, checkBackup, DISK, type Flush, flushDir, restoreFrom } from "../../src/store/backup.ts";
import { openDatabase } from "../../src/store/db.ts";
import { LATEST_VERSION, SchemaTooNewError } from "../../src/store/migrations/index.ts";
import { SettingError, SettingsRepo } from "../../src/store/settings-repo.ts";
import { runBodydock, tempDir } from "../helpers.ts";

function freshDb() {
  const dir = tempDir();
  const file = join(dir, "bodydock.sqlite");
  return { dir, file, db: openDatabase(file).db };
}

/** A database whose table t holds `v`, and a backup of it beside it (`target`); the database stays open. */
function backedUp(v: string, opts: Parameters<typeof backupTo>[2] = {}) {
  const x = freshDb();
  x.db.run("CREATE TABLE t (v TEXT)");
  x.db.run("INSERT INTO t VALUES (?)", [v]);
  const target = join(x.dir, "copy.sqlite");
  backupTo(x.file, target, opts);
  return { ...x, target };
}

/** The value in table t of a database file. */
function valueIn(file: string): string {
  const d = new Database(file, { readonly: true });
  try {
    return (d.query("SELECT v FROM t").get() as { v: string }).v;
  } finally {
    d.close();
  }
}

describe("settings repository", () => {
  test("defaults, set, get, reset", () => {
    const { db } = freshDb();
    const s = new SettingsRepo(db, () => 1000);
    expect(s.get("youjiu.requireToken")).toBe(true); // a new install requires device tokens (§0.3)
    s.set("youjiu.requireToken", false, "alice");
    expect(s.get("youjiu.requireToken")).toBe(false);
    expect(new SettingsRepo(db).get("youjiu.requireToken")).toBe(false); // persisted
    s.reset("youjiu.requireToken");
    expect(s.get("youjiu.requireToken")).toBe(true);
  });
  test("typed by key: an unknown key is a type error and throws at run time", () => {
    const { db } = freshDb();
    const s = new SettingsRepo(db);
    // Compile-time half (tsc checks test/): the value's type comes from SETTING_DEFS, no type argument.
    const required: boolean = s.get("youjiu.requireToken");
    const unit: number = s.get("lefu.displayUnit");
    const scenes: string[] | null = s.get("youjiu.allowedScenes");
    // @ts-expect-error a boolean setting is not a string
    const wrong: string = s.get("youjiu.requireToken");
    expect([required, unit, scenes, wrong]).toEqual([true, 0, null, true as never]);
    // @ts-expect-error not a setting key
    expect(() => s.get("youjiu.requireTokens")).toThrow(SettingError);
    // @ts-expect-error not a setting key
    expect(() => s.set("no.such.key", 1, "x")).toThrow(/unknown setting no\.such\.key/);
    // @ts-expect-error not a setting key
    expect(() => s.reset("no.such.key")).toThrow(SettingError);
  });
  test("gym.timeZone: defaults to the box's time zone; only a zone the runtime knows is accepted", () => {
    const { db } = freshDb();
    const s = new SettingsRepo(db);
    expect(s.get("gym.timeZone")).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    s.set("gym.timeZone", "Asia/Shanghai", "admin");
    expect(s.get("gym.timeZone")).toBe("Asia/Shanghai");
    expect(() => s.set("gym.timeZone", "Asia/Atlantis", "admin")).toThrow(/not a time zone/);
    expect(s.get("gym.timeZone")).toBe("Asia/Shanghai");
  });
  test("lefu.displayUnit takes the per-device unit range 0–11", () => {
    const { db } = freshDb();
    const s = new SettingsRepo(db);
    s.set("lefu.displayUnit", 11, "admin");
    expect(s.get("lefu.displayUnit")).toBe(11);
    expect(() => s.set("lefu.displayUnit", 12, "admin")).toThrow(SettingError);
    expect(() => s.set("lefu.displayUnit", -1, "admin")).toThrow(SettingError);
  });
  test("a value of the wrong type is refused and nothing changes", () => {
    const { db } = freshDb();
    const s = new SettingsRepo(db);
    expect(() => s.set("diagnostics.captureRetentionDays", "forever" as never, "bob")).toThrow(SettingError);
    expect(s.get("diagnostics.captureRetentionDays")).toBe(30);
  });
  test("secrets are masked in list()", () => {
    const { db } = freshDb();
    const s = new SettingsRepo(db);
    s.set("yolanda.mini.jwtSecret", "hunter2-very-secret", "admin");
    const v = s.list().find((x) => x.key === "yolanda.mini.jwtSecret")!;
    expect(v.value).toBe("********");
    expect(v.isSet).toBe(true);
    expect(JSON.stringify(s.list())).not.toContain("hunter2");
  });
  test("an env var seeds the first value only", () => {
    const { db } = freshDb();
    const s = new SettingsRepo(db);
    expect(s.seedFromEnv({ BODYDOCK_YOLANDA_MINI_JWT_SECRET: "from-env", BODYDOCK_SETTING_YOUJIU_LOCALE: "zh-CN" })).toEqual([
      "yolanda.mini.jwtSecret",
      "youjiu.locale",
    ]);
    expect(s.get("yolanda.mini.jwtSecret")).toBe("from-env");
    expect(s.get("youjiu.locale")).toBe("zh-CN");
    s.set("yolanda.mini.jwtSecret", "changed-by-staff", "admin");
    expect(s.seedFromEnv({ BODYDOCK_YOLANDA_MINI_JWT_SECRET: "from-env" })).toEqual([]);
    expect(s.get("yolanda.mini.jwtSecret")).toBe("changed-by-staff");
  });
  test("an invalid seed value names the variable", () => {
    const { db } = freshDb();
    expect(() => new SettingsRepo(db).seedFromEnv({ BODYDOCK_SETTING_YOUJIU_LOCALE: "klingon" })).toThrow(/BODYDOCK_SETTING_YOUJIU_LOCALE/);
  });
});

describe("backup and restore", () => {
  test("backup is a consistent copy made while the database is open and being written", () => {
    const { dir, file, db } = freshDb();
    db.run("CREATE TABLE t (v INTEGER)");
    for (let i = 0; i < 100; i++) db.run("INSERT INTO t VALUES (?)", [i]);
    const target = join(dir, "copy.sqlite");
    backupTo(file, target);
    db.run("INSERT INTO t VALUES (999)"); // after the backup
    const copy = new Database(target, { readonly: true });
    expect(copy.query("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 100 });
    copy.close();
    expect(checkBackup(target).schemaVersion).toBe(LATEST_VERSION);
    expect(() => backupTo(file, target)).toThrow(/already exists/);
    db.close();
  });

  test("restore refuses while the server holds the database", () => {
    const { dir, file, db } = freshDb();
    const target = join(dir, "copy.sqlite");
    backupTo(file, target);
    db.run("BEGIN IMMEDIATE"); // a live server mid-write
    expect(() => restoreFrom(file, target)).toThrow(/stop the bodydock server/);
    db.run("ROLLBACK");
    db.close();
  });

  test("restore checks the file first: not SQLite, corrupt, or newer schema are refused and nothing changes", () => {
    const { dir, file, db } = freshDb();
    db.close();
    const junk = join(dir, "junk.sqlite");
    writeFileSync(junk, "this is not a database at all, just text");
    expect(() => restoreFrom(file, junk)).toThrow(BackupError);
    const newer = join(dir, "newer.sqlite");
    const n = new Database(newer);
    n.run("CREATE TABLE schema_migrations (version INTEGER)");
    n.run(`PRAGMA user_version = ${LATEST_VERSION + 3}`);
    n.close();
    expect(() => restoreFrom(file, newer)).toThrow(SchemaTooNewError);
    const foreign = join(dir, "foreign.sqlite");
    const f = new Database(foreign);
    f.run("CREATE TABLE x (y)");
    f.close();
    expect(() => restoreFrom(file, foreign)).toThrow(/not a bodydock database/);
    // The live database is untouched and no dated copy was made.
    expect(readdirSync(dir).filter((x) => x.includes("replaced"))).toEqual([]);
  });

  test("restore replaces the database and keeps the old one as a dated copy", () => {
    const { file, db, target } = backedUp("backed-up");
    db.run("DELETE FROM t");
    db.run("INSERT INTO t VALUES ('later')");
    db.close();
    const kept = restoreFrom(file, target, new Date("2026-11-22T10:00:00Z"));
    expect(kept).toBe(`${file}.replaced-20261122T100000Z`);
    expect(existsSync(kept!)).toBe(true);
    const now = new Database(file);
    expect(now.query("SELECT v FROM t").all()).toEqual([{ v: "backed-up" }]);
    now.close();
    const old = new Database(kept!);
    expect(old.query("SELECT v FROM t").all()).toEqual([{ v: "later" }]);
    old.close();
  });

  test("a restore is on disk before it takes the database's name, and the directory is flushed after", () => {
    const seen: string[] = [];
    // What a power cut would find at each flush: is the copy complete, under which name, and is the live database there?
    const live = (dir: string) => existsSync(join(dir, "bodydock.sqlite"));
    const recording: Flush = {
      file: (path) => {
        seen.push(`file ${basename(path)} db=${live(dirname(path))} bytes=${statSync(path).size}`);
        DISK.file(path);
      },
      dir: (path) => {
        seen.push(`dir ${basename(path)} db=${live(path)}`);
        DISK.dir(path);
      },
    };
    const { dir, file, db, target } = backedUp("backed-up", { flush: recording });
    const size = statSync(target).size;
    expect(seen).toEqual([`file copy.sqlite db=true bytes=${size}`, `dir ${basename(dir)} db=true`]);
    db.close();
    seen.length = 0;
    restoreFrom(file, target, new Date("2026-11-22T10:00:00Z"), recording);
    // The copy is flushed whole under its temporary name while the live database is still in place, then the directory.
    expect(seen).toEqual([`file bodydock.sqlite.restoring db=true bytes=${size}`, `dir ${basename(dir)} db=true`]);
    expect(valueIn(file)).toBe("backed-up");
  });

  test("two restores in the same second keep both replaced databases", () => {
    const { file, db, target } = backedUp("original");
    db.run("UPDATE t SET v = 'newest'");
    db.close();
    const at = new Date("2026-11-22T10:00:00Z");
    const first = restoreFrom(file, target, at)!;
    const second = restoreFrom(file, target, at)!;
    expect(second).not.toBe(first);
    // The database that was live before the first restore is still kept.
    expect([first, second].map(valueIn)).toEqual(["newest", "original"]);
  });

  test("a copy that fails (disk full, I/O error) leaves the live database in place and no partial file", () => {
    const { dir, file, db, target } = backedUp("live");
    db.close();
    const failing: Flush = {
      file: () => {
        throw Object.assign(new Error("ENOSPC: no space left on device, fsync"), { code: "ENOSPC" });
      },
      dir: () => {},
    };
    expect(() => restoreFrom(file, target, new Date(), failing)).toThrow(/ENOSPC/);
    expect(readdirSync(dir).filter((x) => x.includes("restoring") || x.includes("replaced"))).toEqual([]);
    expect(valueIn(file)).toBe("live");
  });

  test("a file system that refuses fsync on a directory does not fail a restore; an I/O error does", () => {
    const dir = tempDir();
    const refuse = (code: string) => () => {
      throw Object.assign(new Error(`fsync: ${code}`), { code });
    };
    expect(() => flushDir(dir, refuse("EINVAL"))).not.toThrow();
    expect(() => flushDir(dir, refuse("ENOTSUP"))).not.toThrow();
    expect(() => flushDir(dir, refuse("EIO"))).toThrow(/EIO/);
    expect(() => flushDir(dir)).not.toThrow();
  });

  test("the CLI commands work end to end", async () => {
    const dir = tempDir();
    expect((await runBodydock(["migrate", "--data-dir", dir])).code).toBe(0);
    const target = join(tempDir(), "b.sqlite");
    const b = await runBodydock(["backup", target, "--data-dir", dir]);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain("backup written");
    const r = await runBodydock(["restore", target, "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kept as");
    const bad = await runBodydock(["restore", join(dir, "nope.sqlite"), "--data-dir", dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("does not exist");
    expect((await runBodydock(["backup", "--data-dir", dir])).code).toBe(2);
  });
});

describe("generated settings", () => {
  test("a signing key is generated once at first start and kept", () => {
    const { db } = freshDb();
    const s = new SettingsRepo(db);
    expect(s.ensureGenerated()).toContain("youjiu.tokenSigningKey");
    const key = s.get("youjiu.tokenSigningKey");
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new SettingsRepo(db).ensureGenerated()).toEqual([]);
    expect(new SettingsRepo(db).get("youjiu.tokenSigningKey")).toBe(key);
    expect(s.list().find((v) => v.key === "youjiu.tokenSigningKey")!.value).toBe("********");
  });
});
