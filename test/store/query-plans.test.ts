/**
 * Issue 18 §3: every hot query uses an index. The SQL of every statement that runs while the shared device
 * fixtures are replayed (every device path) and while staff use the list, search, history, claims, dashboard
 * and device views is recorded where it is prepared (Database.query / prepare, wrapped for this test), then
 * `EXPLAIN QUERY PLAN` is asked of each. A plan step that scans measurements, captures, members, claims
 * (the claim queue is measurements) or the tables that grow with them, whole or through a full index, fails;
 * a scan of a partial index is fine (it holds only the rows asked for), and so are small lookup tables.
 * The exceptions are listed below with the reason each one must read every row.
 */
import { Database, type Statement } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { ACTIONS, buildRequest, disposeInstance, loadFixtures, newInstance, SHARED_FIXTURES, type Instance } from "../fixtures/runner.ts";
import "../fixtures/actions.ts";
import { signIn } from "../staff/session.ts";

/** Tables that grow with members and history. */
const BIG = new Set(["measurements", "captures", "members", "credentials", "login_events", "quarantine", "diagnostics", "audit", "member_weights"]);

/** Statements that must read every row, by a fragment of their SQL, with the reason. */
const EXCEPTIONS: Array<[pattern: RegExp, why: string]> = [
  [/^SELECT id, status, name, nickname, member_no, email_norm, phone_norm FROM members ORDER BY name/, "the in-memory member search index is (re)built from every member, only after members changed (members_version)"],
  [/^SELECT COUNT\(\*\) AS n FROM members m( WHERE m\.status = \$status)?$/, "the directory's total (a count of every member)"],
  [/^SELECT m\.id, m\.name FROM members m( WHERE m\.status = \$status)?$/, "the directory sorts names by pinyin in JS (SQLite cannot collate so): every id and name, from the covering name index"],
];

const recorded = new Map<string, { used: boolean; db: Database }>();
const wrapped = new WeakSet<object>();
const origQuery = Database.prototype.query;
const origPrepare = Database.prototype.prepare;
function track(db: Database, sql: string, st: Statement): Statement {
  if (!recorded.has(sql)) recorded.set(sql, { used: false, db });
  if (wrapped.has(st)) return st;
  wrapped.add(st);
  for (const m of ["run", "get", "all", "values", "iterate"] as const) {
    const orig = (st as unknown as Record<string, (...a: unknown[]) => unknown>)[m];
    if (typeof orig !== "function") continue;
    Object.defineProperty(st, m, {
      value: (...a: unknown[]) => {
        recorded.get(sql)!.used = true;
        return orig.apply(st, a);
      },
    });
  }
  return st;
}
Database.prototype.query = function (this: Database, sql: string) {
  return track(this, sql, origQuery.call(this, sql) as Statement);
} as typeof Database.prototype.query;
Database.prototype.prepare = function (this: Database, sql: string, ...rest: unknown[]) {
  return track(this, sql, (origPrepare as (...a: unknown[]) => Statement).call(this, sql, ...rest));
} as typeof Database.prototype.prepare;

let instance: Instance | null = null;
afterAll(async () => {
  Database.prototype.query = origQuery;
  Database.prototype.prepare = origPrepare;
  if (instance) await disposeInstance(instance);
});

function aliases(sql: string): Map<string, string> {
  const map = new Map<string, string>();
  const re = /\b(?:FROM|JOIN)\s+([a-z_]+)(?:\s+(?:AS\s+)?([a-z_]+))?/gi;
  const keywords = new Set(["where", "left", "join", "on", "order", "group", "limit", "cross", "inner", "set", "using", "natural", "indexed", "not", "union", "as"]);
  for (const m of sql.matchAll(re)) {
    const table = m[1]!;
    map.set(table, table);
    if (m[2] && !keywords.has(m[2].toLowerCase())) map.set(m[2], table);
  }
  return map;
}

test("no statement on the device paths or the staff views scans a big table", async () => {
  const i = (instance = newInstance());
  // Every device path: replay every shared fixture's request (answers are checked by the fixture runner).
  for (const f of loadFixtures([`${SHARED_FIXTURES}/lefu`, `${SHARED_FIXTURES}/yolanda`, `${SHARED_FIXTURES}/youjiu`])) {
    i.setClock(f.given?.clock ?? 1762430400);
    for (const a of f.given?.actions ?? []) await ACTIONS[a.op]?.(i, a);
    await i.app.handle(buildRequest(f.request));
  }
  // The staff views, as the page calls them.
  const staff = await signIn(i.rt, i.app, { role: "admin" });
  const claim = (origQuery.call(i.rt.db, "SELECT id FROM measurements WHERE status = 'unassigned' LIMIT 1").get() as { id: number } | null)?.id;
  const measurement = (origQuery.call(i.rt.db, "SELECT id, member_id FROM measurements WHERE status = 'assigned' LIMIT 1").get() as { id: number; member_id: number }) ?? null;
  const paths = [
    "/api/v1/members",
    "/api/v1/members?status=active",
    "/api/v1/members?q=Alex",
    "/api/v1/members?q=13800138000",
    "/api/v1/members?q=3735928559",
    "/api/v1/members?q=DEADBEEF",
    "/api/v1/members/1001",
    "/api/v1/members/1001/credentials",
    "/api/v1/members/1001/measurements",
    `/api/v1/measurements/${measurement?.id ?? 1}`,
    "/api/v1/claims",
    "/api/v1/claims?status=discarded",
    "/api/v1/lefu-identities",
    "/api/v1/lefu-identities?unlinked=true",
    "/api/v1/dashboard",
    "/api/v1/devices",
    "/api/v1/device-captures",
    "/api/v1/youjiu/devices",
    "/api/v1/youjiu/unknown-cards",
    "/api/v1/yolanda/scales",
    "/api/v1/members/export.csv",
  ];
  for (const p of paths) expect({ p, status: (await staff.call("GET", p)).status }).toEqual({ p, status: 200 });
  if (claim) expect((await staff.call("POST", `/api/v1/claims/${claim}/assign`, { memberId: 1001 })).status).toBe(200);
  expect((await staff.call("GET", "/metrics")).status).toBe(200);
  expect((await staff.call("GET", "/healthz")).status).toBe(200);
  const device = (origQuery.call(i.rt.db, "SELECT id FROM devices LIMIT 1").get() as { id: number }).id;
  expect((await staff.call("PATCH", `/api/v1/devices/${device}`, { name: "front desk", defaultMemberId: 1001 })).status).toBe(200);

  const partial = new Set(
    (i.rt.db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '%WHERE%'").all() as Array<{ name: string }>).map((r) => r.name),
  );
  const failures: string[] = [];
  let checked = 0;
  for (const [sql, r] of recorded) {
    if (!r.used || r.db !== i.rt.db) continue;
    if (/^\s*(PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|EXPLAIN|CREATE|DROP|ALTER|VACUUM)/i.test(sql)) continue;
    checked++;
    const plan = origQuery.call(i.rt.db, `EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>;
    const names = aliases(sql);
    for (const { detail } of plan) {
      const m = /^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?/.exec(detail);
      if (!m) continue;
      // Only tables the statement names: other scans in a plan are foreign-key checks that run only when a
      // parent key changes or a constraint is already violated (never on these paths).
      const table = names.get(m[1]!);
      if (!table || !BIG.has(table)) continue;
      if (m[2] && partial.has(m[2])) continue;
      const oneLine = sql.replace(/\s+/g, " ").trim();
      if (EXCEPTIONS.some(([re]) => re.test(oneLine))) continue;
      failures.push(`${detail}\n    in: ${oneLine.slice(0, 300)}`);
    }
  }
  expect(checked).toBeGreaterThan(60);
  expect(failures).toEqual([]);
  // The statements that moved into store/ from the device and staff code (issue 14 point 3) ran, so their
  // plans were checked above: the Youjiu login look-ups, the history and dashboard, the device PATCH.
  const ran = [...recorded].filter(([, r]) => r.used && r.db === i.rt.db).map(([sql]) => sql.replace(/\s+/g, " ").trim());
  const moved = [
    /^SELECT member_id AS id FROM credentials WHERE kind = 'code' AND code_norm = \?1/,
    /^SELECT id FROM members WHERE member_no = \?1/,
    /^SELECT member_id AS id FROM credentials WHERE kind = 'card' AND card_dec = \?1/,
    /^SELECT member_id AS id FROM credentials WHERE kind = 'card' AND card_hex = \?1/,
    /^SELECT id FROM members WHERE phone_norm IS NOT NULL AND ltrim\(phone_norm, '0'\) IN/,
    /^SELECT m\.id, m\.source, .* WHERE m\.member_id = \? AND m\.status = 'assigned' AND m\.measured_at >= \?/,
    /^SELECT m\.\*, d\.name AS device_name, d\.model AS device_model FROM measurements m LEFT JOIN devices d ON d\.id = m\.device_id WHERE m\.id = \?$/,
    /WHERE m\.member_id = \? AND m\.status = 'assigned' AND m\.measured_at < \? ORDER BY m\.measured_at DESC LIMIT \?$/,
    /^SELECT COUNT\(\*\) AS n FROM measurements WHERE status = 'unassigned'$/,
    /^UPDATE devices SET name = CASE WHEN \$set_name/,
    /^SELECT id FROM members WHERE id = \?$/,
  ];
  expect(moved.filter((re) => !ran.some((sql) => re.test(sql))).map(String)).toEqual([]);
});
