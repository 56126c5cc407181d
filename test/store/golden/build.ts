/**
 * Golden databases for the migration tests (issue 14 point 6), one per past schema version 1–6:
 * the schema exactly as a box had it at that version (the migrations up to it, whose SQL is frozen;
 * golden.test.ts checks their hashes), filled with realistic rows of every table that version had.
 * golden.test.ts migrates each to LATEST_VERSION and checks every row survives with its values.
 *
 * Why built at test time instead of committed .sqlite files: the input is reviewable text (this
 * file), a new column or table from versions 1–6 is one line here, nothing binary sits in git, and
 * the result is the same bytes on every run (fixed clock, fixed rows). What committed files would
 * add — catching an edit to an already released migration — the frozen-hash test covers.
 *
 * To look at them with sqlite3:  bun test/store/golden/build.ts [out-dir]   (writes golden-v1..6.sqlite)
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { applyPragmas } from "../../../src/store/db.ts";
import { migrate, MIGRATIONS } from "../../../src/store/migrations/index.ts";

export const GOLDEN_VERSIONS = [1, 2, 3, 4, 5, 6] as const;
/** The clock the golden boxes ran with (2025-11-06 12:00 UTC). */
export const GOLDEN_NOW = 1_762_430_400_000;
const H = 3_600_000;
const D = 24 * H;

type Value = string | number | null;
export type Row = Record<string, Value>;
export interface GoldenTable {
  /** The schema version that created the table. */
  since: number;
  /** Primary-key columns (rows are found again by them). */
  key: string[];
  /** Columns added later than `since`: column → the version that added it (rows at older versions leave them out). */
  later?: Record<string, number>;
  rows: Row[];
}

const t = (days: number, hours = 0) => GOLDEN_NOW - days * D + hours * H;
const argon = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$3q9qXZ0mJqkQ7cYxYtQpKqfJd3yqfVxk3o0sQ2b3n1E";
const report = (fat: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ family: "ht-4", bodyFatPercent: fat, muscleKg: 48.3, waterPercent: 54.1, bmr: 1560, bmi: 24.6, levels: { bodyFatPercent: "standard" }, ...extra });

/** Every table of versions 1–6, with rows a gym's box would have after a few weeks. */
export const GOLDEN: Record<string, GoldenTable> = {
  settings: {
    since: 1,
    key: ["key"],
    rows: [
      { key: "staff.sessionKey", value: '"Wm9vS2V5LWZvci1nb2xkZW4tZGF0YWJhc2UtMDAwMQ"', updated_at: t(30), updated_by: "system" },
      { key: "youjiu.tokenSigningKey", value: '"Z29sZGVuLXlvdWppdS1zaWduaW5nLWtleS0wMDAx"', updated_at: t(30), updated_by: "system" },
      { key: "yolanda.mini.jwtSecret", value: '"golden-wsp-mini-secret"', updated_at: t(20), updated_by: "env" },
      { key: "youjiu.locale", value: '"zh-CN"', updated_at: t(10, 3), updated_by: "王经理" },
      { key: "youjiu.allowedScenes", value: '["meas-composition","meas-girth"]', updated_at: t(9), updated_by: "admin" },
      { key: "diagnostics.captureRetentionDays", value: "90", updated_at: t(5), updated_by: "admin" },
      { key: "yolanda.mini.maxTokenAgeSeconds", value: "null", updated_at: t(4), updated_by: "admin" },
    ],
  },
  staff: {
    since: 2,
    key: ["id"],
    later: { token_version: 6 },
    rows: [
      { id: 1, username: "admin", password_hash: argon, role: "admin", disabled: 0, created_at: t(30), updated_at: t(30), token_version: 2 },
      { id: 2, username: "Frontdesk", password_hash: argon, role: "staff", disabled: 0, created_at: t(29), updated_at: t(3), token_version: 0 },
      { id: 3, username: "王经理", password_hash: argon, role: "admin", disabled: 1, created_at: t(28), updated_at: t(1), token_version: 5 },
    ],
  },
  members: {
    since: 2,
    key: ["id"],
    rows: [
      {
        id: 1001, member_no: "M-0001", name: "Alice Martin", nickname: "Ali", phone: "+44 7700 900123", phone_norm: "447700900123",
        email: "Alice.Martin@Example.com", email_norm: "alice.martin@example.com", sex: "female", birthday: "1990-02-28", height_cm: 165.5,
        reference_weight_kg: 61.2, goal_weight_kg: 58, athlete: 0, avatar_url: null, notes: "prefers mornings", status: "active",
        extend_data: '{"plan":"gold"}', created_at: t(30), updated_at: t(2),
      },
      {
        id: 1002, member_no: "m-0002", name: "张伟", nickname: null, phone: "138 0013 8000", phone_norm: "13800138000", email: null, email_norm: null,
        sex: "male", birthday: "1985-12-31", height_cm: 178, reference_weight_kg: null, goal_weight_kg: null, athlete: 1,
        avatar_url: "https://gym.example/a/1002.jpg", notes: null, status: "active", extend_data: null, created_at: t(29), updated_at: t(29),
      },
      {
        id: 1003, member_no: null, name: "Sam O'Neil", nickname: "Sammy", phone: null, phone_norm: null, email: "sam@example.org", email_norm: "sam@example.org",
        sex: "unspecified", birthday: null, height_cm: null, reference_weight_kg: 88.4, goal_weight_kg: 80.5, athlete: 0, avatar_url: null,
        notes: "line one\nline two, with \"quotes\"", status: "suspended", extend_data: null, created_at: t(20), updated_at: t(1),
      },
      {
        id: 1004, member_no: "M-0004", name: "Leap Day", nickname: null, phone: "+1 (555) 010-0000", phone_norm: "15550100000", email: null, email_norm: null,
        sex: "female", birthday: "2000-02-29", height_cm: 158.2, reference_weight_kg: 50.5, goal_weight_kg: null, athlete: 0, avatar_url: null,
        notes: null, status: "active", extend_data: "x".repeat(255), created_at: t(15), updated_at: t(15),
      },
    ],
  },
  credentials: {
    since: 2,
    key: ["id"],
    rows: [
      { id: 1, member_id: 1001, kind: "card", card_dec: "3735928559", card_hex: "DEADBEEF", code_norm: null, label: "blue fob", created_at: t(30) },
      { id: 2, member_id: 1001, kind: "code", card_dec: null, card_hex: null, code_norm: "ALICE-QR-01", label: null, created_at: t(30) },
      { id: 3, member_id: 1002, kind: "card", card_dec: "16909060", card_hex: "01020304", code_norm: null, label: "会员卡", created_at: t(29) },
      { id: 4, member_id: 1004, kind: "code", card_dec: null, card_hex: null, code_norm: "0b6f1c1e-9d1a-4b8e-a3c2-6a1f1d2e3f40", label: "app", created_at: t(14) },
    ],
  },
  audit: {
    since: 2,
    key: ["id"],
    rows: [
      { id: 1, at: t(30), actor: "cli", action: "staff.create", entity: "staff", entity_id: "1", before_json: null, after_json: '{"username":"admin","role":"admin"}' },
      { id: 2, at: t(29), actor: "admin", action: "member.create", entity: "member", entity_id: "1002", before_json: null, after_json: '{"name":"张伟"}' },
      { id: 3, at: t(1), actor: "Frontdesk", action: "member.suspend", entity: "member", entity_id: "1003", before_json: '{"status":"active"}', after_json: '{"status":"suspended"}' },
    ],
  },
  devices: {
    since: 3,
    key: ["id"],
    later: { secret: 4, secret_set_at: 4, last_token_at: 4, revoked: 4, scale_secret_key: 5, last_model_id: 5 },
    rows: [
      {
        id: 1, vendor: "lefu", device_key: "CFE8050813BA", family: "torre", sn: "CFE8050813BA", mac: "CF:E8:05:08:13:BA", model: "CF635", name: "Scale by the lockers",
        notes: null, approved: 1, blocked: 0, first_seen: t(28), last_seen: t(0, -1), last_ip: "192.168.1.40", path_prefix: "/lefu", versions_json: '{"fw":"1.2.7"}',
        battery: 0.82, battery_raw: "82", rssi: -61, timezone: "Europe/London", wifi_ssid: "Gym-Staff", unit_override: 3, default_member_id: null,
        impedance_mode: "ohms", dup_count: 4, secret: null, secret_set_at: null, last_token_at: null, revoked: 0, scale_secret_key: null, last_model_id: null,
      },
      {
        id: 2, vendor: "lefu", device_key: "A1B2C3D4E5F6", family: "v2", sn: null, mac: "A1:B2:C3:D4:E5:F6", model: null, name: null, notes: "front desk",
        approved: 0, blocked: 0, first_seen: t(3), last_seen: t(3), last_ip: "192.168.1.41", path_prefix: "", versions_json: null, battery: null,
        battery_raw: null, rssi: null, timezone: null, wifi_ssid: null, unit_override: null, default_member_id: 1002, impedance_mode: "encrypted", dup_count: 0,
        secret: null, secret_set_at: null, last_token_at: null, revoked: 0, scale_secret_key: null, last_model_id: null,
      },
      {
        id: 3, vendor: "youjiu", device_key: "3398182015544", family: "xone", sn: "3398182015544", mac: null, model: "XONE", name: "XONE studio 2", notes: null,
        approved: 1, blocked: 0, first_seen: t(25), last_seen: t(0), last_ip: "192.168.1.50", path_prefix: "/youjiu", versions_json: null, battery: null,
        battery_raw: null, rssi: null, timezone: null, wifi_ssid: null, unit_override: null, default_member_id: null, impedance_mode: "encrypted", dup_count: 0,
        secret: "golden-secret-xone-0001", secret_set_at: t(25), last_token_at: t(0, -2), revoked: 0, scale_secret_key: null, last_model_id: null,
      },
      {
        id: 4, vendor: "yolanda", device_key: "AA:BB:CC:DD:EE:01", family: "wsp-docker", sn: null, mac: "AA:BB:CC:DD:EE:01", model: "CS20A", name: null, notes: null,
        approved: 1, blocked: 1, first_seen: t(22), last_seen: t(2), last_ip: "10.0.0.9", path_prefix: "/wsp", versions_json: null, battery: 0.5, battery_raw: "0x32",
        rssi: null, timezone: null, wifi_ssid: null, unit_override: null, default_member_id: null, impedance_mode: "encrypted", dup_count: 1,
        secret: null, secret_set_at: null, last_token_at: null, revoked: 0, scale_secret_key: "0123456789abcdef", last_model_id: "0E120001",
      },
    ],
  },
  captures: {
    since: 3,
    key: ["id"],
    rows: [
      {
        id: 1, received_at: t(2), remote_ip: "192.168.1.40", method: "POST", raw_path: "/lefu/torre/record", router: "lefu", route_key: "torre.record", path_prefix: "/lefu",
        headers_json: '{"content-type":"text/plain"}', body_text: '{"sn":"CFE8050813BA","list":[{"weight":70.25}]}', body_bytes: 48, body_truncated: 0, parse_status: "recovered",
        auth_result: null, response_status: 200, response_body: '{"errorCode":0}', device_id: 1, unknown_path: 0, quarantine: 0, auth_failure: 0, duplicate: 0, dismissed: 0,
      },
      {
        id: 2, received_at: t(1), remote_ip: "192.168.1.77", method: "GET", raw_path: "/lefu/unknown/thing?x=1", router: "lefu", route_key: null, path_prefix: null,
        headers_json: '{"authorization":"[redacted]"}', body_text: null, body_bytes: 0, body_truncated: 0, parse_status: null, auth_result: null, response_status: 200,
        response_body: null, device_id: null, unknown_path: 1, quarantine: 1, auth_failure: 0, duplicate: 0, dismissed: 1,
      },
    ],
  },
  measurements: {
    since: 3,
    key: ["id"],
    rows: [
      {
        id: 1, idem_key: "lefu:CFE8050813BA:1761980400000:70.25", source: "lefu", device_id: 1, member_id: 1001, status: "assigned", claim_reason: null, suggested_member_id: null,
        group_key: null, candidates_json: null, measured_at: t(5), device_ts_raw: "1761998400", clock_suspect: 0, received_at: t(5), weight_kg: 61.35, heart_rate: 72,
        impedance_json: '["512.3","498.1"]', scale_type: 0, resistance: 512.3, sec_resistance: 498.1, model_id: null, user_index: null, definite_flag: 1, hmac: null,
        resistance_flag: null, indicators_json: report(24.1), indicators_note: null, indicators_profile_member_id: 1001, eight_electrode: 0, backlog_total: 3,
        backlog_current: 1, rssi: -60, data_type: "weight", lefu_memberid: "m-alice", lefu_userid: "u1", capture_id: 1, raw_item_json: '{"weight":61.35}',
        assigned_by: null, assigned_at: null,
      },
      {
        id: 2, idem_key: "lefu:CFE8050813BA:1762344000000:61.10", source: "lefu", device_id: 1, member_id: 1001, status: "assigned", claim_reason: null, suggested_member_id: null,
        group_key: "lefu:m-alice", candidates_json: null, measured_at: t(1), device_ts_raw: null, clock_suspect: 1, received_at: t(1), weight_kg: 61.1, heart_rate: null,
        impedance_json: null, scale_type: 5, resistance: null, sec_resistance: null, model_id: null, user_index: null, definite_flag: null, hmac: null,
        resistance_flag: null, indicators_json: JSON.stringify({ bmi: 22.3, note: "weight only" }), indicators_note: "impedance_encrypted",
        indicators_profile_member_id: null, eight_electrode: 1, backlog_total: null, backlog_current: null, rssi: null, data_type: null, lefu_memberid: "m-alice",
        lefu_userid: null, capture_id: null, raw_item_json: null, assigned_by: "Frontdesk", assigned_at: t(0, -5),
      },
      {
        id: 3, idem_key: "lefu:A1B2C3D4E5F6:1762416000000:80.00", source: "lefu", device_id: 2, member_id: null, status: "unassigned", claim_reason: "unapproved_device",
        suggested_member_id: 1002, group_key: "lefu:m-unknown", candidates_json: "[1002,1003]", measured_at: t(0, -4), device_ts_raw: "2025-11-06 08:00:00",
        clock_suspect: 0, received_at: t(0, -4), weight_kg: 80, heart_rate: null, impedance_json: '["0x1f2e"]', scale_type: null, resistance: null,
        sec_resistance: null, model_id: null, user_index: null, definite_flag: null, hmac: "ab12", resistance_flag: 1, indicators_json: null,
        indicators_note: "no_member", indicators_profile_member_id: null, eight_electrode: 0, backlog_total: null, backlog_current: null, rssi: null,
        data_type: null, lefu_memberid: "m-unknown", lefu_userid: null, capture_id: null, raw_item_json: '{"weight":"80.00"}', assigned_by: null, assigned_at: null,
      },
      {
        id: 4, idem_key: "yolanda:AA:BB:CC:DD:EE:01:3:1762250000", source: "yolanda", device_id: 4, member_id: 1002, status: "discarded", claim_reason: null,
        suggested_member_id: null, group_key: null, candidates_json: null, measured_at: t(2), device_ts_raw: "1762250000", clock_suspect: 0, received_at: t(2),
        weight_kg: 79.45, heart_rate: 64, impedance_json: null, scale_type: null, resistance: 455, sec_resistance: 430.5, model_id: "0E120001", user_index: 3,
        definite_flag: null, hmac: null, resistance_flag: null, indicators_json: JSON.stringify({ bodyfat: 18.2, derived: ["bmr"] }), indicators_note: null,
        indicators_profile_member_id: 1002, eight_electrode: 0, backlog_total: null, backlog_current: null, rssi: null, data_type: null, lefu_memberid: null,
        lefu_userid: null, capture_id: null, raw_item_json: null, assigned_by: "admin", assigned_at: t(2),
      },
      {
        id: 5, idem_key: "yolanda:AA:BB:CC:DD:EE:01:3:1762300000", source: "yolanda", device_id: 4, member_id: 1002, status: "assigned", claim_reason: null,
        suggested_member_id: null, group_key: null, candidates_json: null, measured_at: t(1, 2), device_ts_raw: "1762300000", clock_suspect: 0, received_at: t(1, 2),
        weight_kg: 79.8, heart_rate: null, impedance_json: null, scale_type: null, resistance: null, sec_resistance: null, model_id: "0E120001", user_index: 3,
        definite_flag: null, hmac: null, resistance_flag: null, indicators_json: report(18.5, { family: "bodyfat-only" }), indicators_note: null,
        indicators_profile_member_id: 1002, eight_electrode: 0, backlog_total: null, backlog_current: null, rssi: null, data_type: null, lefu_memberid: null,
        lefu_userid: null, capture_id: null, raw_item_json: null, assigned_by: null, assigned_at: null,
      },
    ],
  },
  quarantine: {
    since: 3,
    key: ["id"],
    rows: [
      { id: 1, capture_id: 2, source: "lefu", reason: "no_usable_weight", raw_item_json: '{"weight":"abc"}', created_at: t(1), resolved: 0 },
      { id: 2, capture_id: null, source: "yolanda", reason: "unparseable_body", raw_item_json: null, created_at: t(6), resolved: 1 },
    ],
  },
  lefu_identities: {
    since: 3,
    key: ["memberid"],
    rows: [
      { memberid: "m-alice", userid: "u1", member_id: 1001, device_id: 1, first_seen: t(28), last_seen: t(1) },
      { memberid: "m-unknown", userid: null, member_id: null, device_id: 2, first_seen: t(3), last_seen: t(0, -4) },
    ],
  },
  diagnostics: {
    since: 3,
    key: ["id"],
    rows: [{ id: 1, at: t(4), kind: "conflicting_duplicate", device_id: 1, capture_id: 1, detail_json: '{"idem_key":"lefu:CFE8050813BA:1761980400000:70.25","weights":[70.25,70.3]}' }],
  },
  login_events: {
    since: 4,
    key: ["id"],
    rows: [
      { id: 1, at: t(3), sn: "3398182015544", remote_ip: "192.168.1.50", type: "card", scene: "meas-composition", outcome: "delivered", member_id: 1002, extend_data: null, value_hint: "9060", pushed_by: null },
      { id: 2, at: t(2), sn: "3398182015544", remote_ip: "192.168.1.50", type: "f-push", scene: "meas-girth", outcome: "delivered", member_id: 1001, extend_data: '{"plan":"gold"}', value_hint: null, pushed_by: "Frontdesk" },
      { id: 3, at: t(1), sn: "-", remote_ip: null, type: "phone", scene: null, outcome: "unknown", member_id: null, extend_data: null, value_hint: "0000", pushed_by: null },
    ],
  },
  youjiu_unknown_cards: {
    since: 4,
    key: ["card_dec"],
    rows: [{ card_dec: "305419896", card_hex: "12345678", sn: "3398182015544", first_seen: t(2), last_seen: t(1), taps: 3 }],
  },
  yolanda_slots: {
    since: 5,
    key: ["id"],
    rows: [
      { id: 1, mac: "AA:BB:CC:DD:EE:01", user_index: 3, member_id: 1002, user_key: 4821, assigned_at: t(20), assigned_by: "admin", removed_at: null, removed_by: null, purge_pending: 0, purged_at: null },
      { id: 2, mac: "AA:BB:CC:DD:EE:01", user_index: 1, member_id: 1001, user_key: 1000, assigned_at: t(21), assigned_by: "admin", removed_at: t(10), removed_by: "Frontdesk", purge_pending: 1, purged_at: null },
      { id: 3, mac: "AA:BB:CC:DD:EE:01", user_index: 1, member_id: 1004, user_key: 9999, assigned_at: t(9), assigned_by: "Frontdesk", removed_at: null, removed_by: null, purge_pending: 0, purged_at: null },
    ],
  },
};

/** The rows of a table as a box at `version` had them (columns added later left out). */
export function goldenRows(name: string, version: number): Row[] {
  const table = GOLDEN[name]!;
  if (table.since > version) return [];
  const later = table.later ?? {};
  return table.rows.map((r) => Object.fromEntries(Object.entries(r).filter(([col]) => (later[col] ?? table.since) <= version)));
}

/** Builds the golden database of `version` in `file` (or in memory) and returns it open. */
export function buildGolden(version: number, file = ":memory:"): Database {
  const db = new Database(file, { create: true, strict: true });
  applyPragmas(db);
  migrate(db, MIGRATIONS.filter((m) => m.version <= version), () => GOLDEN_NOW - 30 * D);
  db.transaction(() => {
    for (const name of Object.keys(GOLDEN)) {
      for (const row of goldenRows(name, version)) {
        const cols = Object.keys(row);
        db.query(`INSERT INTO ${name} (${cols.join(", ")}) VALUES (${cols.map((c) => "$" + c).join(", ")})`).run(
          Object.fromEntries(cols.map((c) => [c, row[c]!])) as never,
        );
      }
    }
  })();
  return db;
}

if (import.meta.main) {
  const out = process.argv[2] ?? "golden";
  mkdirSync(out, { recursive: true });
  for (const v of GOLDEN_VERSIONS) {
    const file = join(out, `golden-v${v}.sqlite`);
    buildGolden(v, file).close();
    console.log(file);
  }
}
