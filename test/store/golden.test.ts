/**
 * Migration tests from populated databases (issue 14 point 6, as ntfy does): a golden database per
 * past schema version 1–6 (test/store/golden/build.ts), migrated to LATEST_VERSION through the real
 * open path, and every row checked to survive with its values, plus what later migrations derive
 * from them. New migrations (whatever their number) run against these automatically.
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dbPath, openDatabase } from "../../src/store/db.ts";
import { LATEST_VERSION, MIGRATIONS, schemaVersion } from "../../src/store/migrations/index.ts";
import { REPO_ROOT, tempDir, testClock, testRuntime } from "../helpers.ts";
import { signIn } from "../staff/session.ts";
import { buildGolden, GOLDEN, GOLDEN_NOW, GOLDEN_VERSIONS, goldenRows } from "./golden/build.ts";

/** The SQL boxes ran at versions 1–6. The golden databases are built from it, so it must never change. */
const FROZEN: Record<string, string> = {
  "001_foundation.sql": "644a331b0f8efaf9b0a756e08623e1dd96fce160ee663c2a34d43cd90902e1b7",
  "002_members.sql": "58df506c25615b42b48bf1fc4325061162d582e98375c278368f1680f121ec70",
  "003_devices.sql": "9f746a293e45fbd5547373378693b0f4cb9a833f59ff2d5aa4fee2eda2067186",
  "004_youjiu.sql": "3a9680418c78146dc620c60fc9763313f42f37b4a8e8c2f72e6150749d3822d6",
  "005_yolanda.sql": "384df2fb01aee394a2f1ccdcdf1c95e3d4de0ac7f2207d35446ecad7a82cc0a6",
  "006_staff_sessions.sql": "7dcb8bc1bfdf55beef88deae5b28b2ad1bea9c22ce468d662744fa3cb93344ad",
};

const MIGRATED_AT = GOLDEN_NOW + 60_000;
const H = 3_600_000;
const D = 24 * H;
const at = (days: number, hours = 0) => GOLDEN_NOW - days * D + hours * H;

/** Builds version `v` in a data dir and migrates it the way `serve` does. */
function migrated(v: number) {
  const dir = tempDir();
  buildGolden(v, dbPath(dir)).close();
  const { db, migration } = openDatabase(dbPath(dir), () => MIGRATED_AT);
  return { dir, db, migration };
}

describe("migrations from populated databases (golden versions 1–6)", () => {
  test("the SQL of released migrations 001–006 is frozen", () => {
    for (const [file, sha] of Object.entries(FROZEN)) {
      const text = readFileSync(join(REPO_ROOT, "src/store/migrations", file));
      expect([file, createHash("sha256").update(text).digest("hex")]).toEqual([file, sha]);
    }
  });

  test("each golden database really is at its version and holds its rows", () => {
    for (const v of GOLDEN_VERSIONS) {
      const db = buildGolden(v);
      expect(schemaVersion(db)).toBe(v);
      for (const name of Object.keys(GOLDEN)) {
        const n = goldenRows(name, v).length;
        if (GOLDEN[name]!.since <= v) expect([v, name, (db.query(`SELECT COUNT(*) AS n FROM ${name}`).get() as { n: number }).n]).toEqual([v, name, n]);
      }
      db.close();
    }
  });

  for (const v of GOLDEN_VERSIONS) {
    test(`version ${v} → ${LATEST_VERSION}: every row survives with its values`, () => {
      const { db, migration } = migrated(v);
      expect(migration.from).toBe(v);
      expect(migration.to).toBe(LATEST_VERSION);
      expect(migration.applied).toEqual(MIGRATIONS.filter((m) => m.version > v).map((m) => m.version));

      for (const [name, table] of Object.entries(GOLDEN)) {
        if (table.since > v) continue;
        const rows = goldenRows(name, v);
        for (const row of rows) {
          const cols = Object.keys(row);
          const where = table.key.map((k) => `${k} = ?`).join(" AND ");
          const got = db.query(`SELECT ${cols.join(", ")} FROM ${name} WHERE ${where}`).get(...(table.key.map((k) => row[k]!) as never[]));
          expect({ v, name, row: got }).toEqual({ v, name, row });
        }
        // No row appeared that the box did not have, except settings a migration writes on purpose (007: updated_by 'migration-007').
        const keys = new Set(rows.map((r) => JSON.stringify(table.key.map((k) => r[k]))));
        const extra = (db.query(`SELECT ${table.key.join(", ")}${name === "settings" ? ", updated_by" : ""} FROM ${name}`).all() as Record<string, unknown>[])
          .filter((r) => !keys.has(JSON.stringify(table.key.map((k) => r[k]))))
          .filter((r) => !(name === "settings" && /^migration-\d+$/.test(String(r.updated_by))));
        expect({ v, name, extra }).toEqual({ v, name, extra: [] });
      }

      // Columns added after the golden version: their defaults.
      if (v < 6) expect(db.query("SELECT DISTINCT token_version FROM staff").all()).toEqual(v >= 2 ? [{ token_version: 0 }] : []);
      if (v >= 3 && v < 4) expect(db.query("SELECT DISTINCT revoked FROM devices").all()).toEqual([{ revoked: 0 }]);

      // What 007 derived: the old admission behaviour kept for a box that had settings, stamped by the migration clock.
      expect(db.query("SELECT key, value, updated_at FROM settings WHERE updated_by = 'migration-007' ORDER BY key").all()).toEqual([
        { key: "lefu.autoApproveDevices", value: "true", updated_at: MIGRATED_AT },
        { key: "youjiu.autoActivate", value: "true", updated_at: MIGRATED_AT },
        { key: "youjiu.requireToken", value: "false", updated_at: MIGRATED_AT },
      ]);
      if (v >= 3) {
        expect(db.query("SELECT memberid, device_key FROM lefu_identities ORDER BY memberid").all()).toEqual([
          { memberid: "m-alice", device_key: "CFE8050813BA" }, // linked to a member: keeps its scale
          { memberid: "m-unknown", device_key: null },
        ]);
      }
      // What 009 derived: each member's latest assigned weight, else their reference weight.
      if (v >= 2) {
        expect(db.query("SELECT member_id, weight_kg, measured_at FROM member_weights ORDER BY member_id").all()).toEqual(
          v >= 3
            ? [
                { member_id: 1001, weight_kg: 61.1, measured_at: at(1) }, // the later of two assigned weighings
                { member_id: 1002, weight_kg: 79.8, measured_at: at(1, 2) }, // the discarded one does not count
                { member_id: 1003, weight_kg: 88.4, measured_at: null },
                { member_id: 1004, weight_kg: 50.5, measured_at: null },
              ]
            : [
                { member_id: 1001, weight_kg: 61.2, measured_at: null },
                { member_id: 1003, weight_kg: 88.4, measured_at: null },
                { member_id: 1004, weight_kg: 50.5, measured_at: null },
              ],
        );
      }
      expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      db.close();
    });
  }

  test("the migrated version 6 box serves its data: settings typed, a member's history, a staff sign-in", async () => {
    const { dir, db } = migrated(6);
    db.close();
    const h = testRuntime({ dataDir: dir }, testClock(GOLDEN_NOW));
    try {
      expect(h.rt.settings.get("youjiu.allowedScenes")).toEqual(["meas-composition", "meas-girth"]);
      expect(h.rt.settings.get("youjiu.locale")).toBe("zh-CN");
      expect(h.rt.settings.get("diagnostics.captureRetentionDays")).toBe(90);
      const admin = await signIn(h.rt, h.app); // the existing 'admin' account (token_version 2)
      const history = await admin.call("GET", "/api/v1/members/1001/measurements");
      expect(history.status).toBe(200);
      expect(history.body.map((m: any) => [m.id, m.weightKg])).toEqual([
        [2, 61.1],
        [1, 61.35],
      ]);
      const member = await admin.call("GET", "/api/v1/members/1002");
      expect(member.body).toMatchObject({ name: "张伟", phone: "138 0013 8000" });
    } finally {
      await h.dispose();
    }
  });
});
