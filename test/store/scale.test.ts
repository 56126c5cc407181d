/**
 * Issue 18: what keeps ingest from slowing down with data. Claim suggestions come from the indexed
 * member_weights table (migration 009) when staff open the claim queue, not on every upload; device
 * last-seen rows are written at most once a second per device.
 */
import { describe, expect, test } from "bun:test";
import { cardForms } from "../../src/core/members.ts";
import { phoneVariants } from "../../src/core/members.ts";
import { MeasurementsRepo } from "../../src/store/measurements-repo.ts";
import { MembersRepo } from "../../src/store/members-repo.ts";
import { measurementView } from "../../src/staff/web-support.ts";
import { SEEN_WRITE_INTERVAL_MS } from "../../src/store/seen-throttle.ts";
import { runtimePerTest } from "../helpers.ts";
import { signIn } from "../staff/session.ts";

const fresh = runtimePerTest();

/** The suggestion query before issue 18, on every upload: the reference the indexed one must equal. */
const BRUTE = `
  SELECT id FROM (
    SELECT m.id, COALESCE(
      (SELECT x.weight_kg FROM measurements x WHERE x.member_id = m.id AND x.status = 'assigned' ORDER BY x.measured_at DESC, x.id DESC LIMIT 1),
      m.reference_weight_kg) AS w
    FROM members m WHERE m.status = 'active')
  WHERE w IS NOT NULL AND abs(w - ?1) <= ?2
  ORDER BY abs(w - ?1), id LIMIT 3`;

function torre(sn: string, memberid: string, weight: number, ts: number) {
  return new Request("http://localhost/lefu/wifi/torre/record", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sn, bat: "0.8", scaleType: 0, list: [{ memberid, weight, timestamp: ts, data: [{ impedance: "500" }] }] }),
  });
}

describe("claim suggestions (member_weights)", () => {
  test("equal the full scan they replace, as weighings, claims, reference weights and suspensions change", () => {
    const h = fresh();
    const db = h.rt.db;
    const repo = h.rt.repos.measurements;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const addMember = db.query("INSERT INTO members (id, name, reference_weight_kg, status, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)");
    const addMeasurement = db.query(
      "INSERT INTO measurements (idem_key, source, member_id, status, measured_at, received_at, weight_kg) VALUES (?, 'test', ?, ?, ?, ?, ?)",
    );
    db.run("BEGIN");
    for (let id = 1; id <= 300; id++) {
      // Coarse weights on purpose: many ties in distance, which the order (distance, then id) must settle alike.
      addMember.run(id, `m${id}`, rnd() < 0.7 ? 50 + Math.round(rnd() * 60) / 2 : null, rnd() < 0.1 ? "suspended" : "active");
    }
    let key = 0;
    for (let i = 0; i < 1500; i++) {
      const member = 1 + Math.floor(rnd() * 300);
      const r = rnd();
      const status = r < 0.8 ? "assigned" : r < 0.95 ? "unassigned" : "discarded";
      addMeasurement.run(`k${key++}`, status === "assigned" ? member : null, status, Math.floor(rnd() * 1e6) * 1000, 0, 50 + Math.round(rnd() * 120) / 4);
    }
    db.run("COMMIT");
    const check = () => {
      for (let w = 40; w <= 120; w += 0.75) {
        const brute = (db.query(BRUTE).all(w, 3) as Array<{ id: number }>).map((r) => r.id);
        expect({ w, ids: repo.suggest(w) }).toEqual({ w, ids: brute });
      }
    };
    check();
    // Claims assigned, members moved between measurements, reference weights changed, members suspended.
    db.run("UPDATE measurements SET status = 'assigned', member_id = id % 300 + 1 WHERE status = 'unassigned' AND id % 2 = 0");
    db.run("UPDATE measurements SET member_id = member_id % 300 + 1 WHERE status = 'assigned' AND id % 7 = 0");
    db.run("UPDATE measurements SET status = 'discarded', member_id = NULL WHERE status = 'assigned' AND id % 11 = 0");
    db.run("UPDATE members SET reference_weight_kg = 60 + id % 40 WHERE id % 3 = 0");
    db.run("UPDATE members SET status = CASE status WHEN 'active' THEN 'suspended' ELSE 'active' END WHERE id % 5 = 0");
    check();
  });

  test("the claim queue API suggests the member whose last weight is nearest; the upload itself stored none", async () => {
    const h = fresh();
    const staff = await signIn(h.rt, h.app);
    const db = h.rt.db;
    db.run("INSERT INTO members (id, name, reference_weight_kg, created_at, updated_at) VALUES (1, 'Ann', 60, 0, 0), (2, 'Bo', 80, 0, 0), (3, 'Cy', 81.5, 0, 0)");
    expect((await h.app.handle(torre("CFE9FA280014", "unknown-1", 80.6, 1762000000))).status).toBe(200);
    expect(db.query("SELECT suggested_member_id, candidates_json FROM measurements").all()).toEqual([{ suggested_member_id: null, candidates_json: null }]);
    const list = await staff.call("GET", "/api/v1/claims");
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { suggestedMemberId: number; candidates: number[] }) => [i.suggestedMemberId, i.candidates])).toEqual([[2, [2, 3]]]);
    // A later weighing of Cy at 80.5 makes Cy the nearest.
    db.run("INSERT INTO measurements (idem_key, source, member_id, status, measured_at, received_at, weight_kg) VALUES ('x', 'test', 3, 'assigned', 1762100000000, 0, 80.5)");
    expect((await staff.call("GET", "/api/v1/claims")).body.items[0].candidates).toEqual([3, 2]);
  });
});

describe("device last-seen writes", () => {
  test("at most once a second per device while nothing changed; the staff view still sees the latest call", async () => {
    const h = fresh();
    const staff = await signIn(h.rt, h.app);
    const stored = () => h.rt.db.query("SELECT last_seen, battery FROM devices").get() as { last_seen: number; battery: number };
    const t0 = h.clock.now();
    expect((await h.app.handle(torre("CFE9FA280014", "u", 70, 1762000000))).status).toBe(200);
    expect(stored().last_seen).toBe(t0);
    h.clock.advance(400);
    expect((await h.app.handle(torre("CFE9FA280014", "u", 70, 1762000060))).status).toBe(200);
    expect(stored().last_seen).toBe(t0); // not written again
    const view = (await staff.call("GET", "/api/v1/devices")).body;
    expect((Array.isArray(view) ? view : view.items)[0].lastSeen).toBe(t0 + 400); // but known
    h.clock.advance(SEEN_WRITE_INTERVAL_MS);
    expect((await h.app.handle(torre("CFE9FA280014", "u", 70, 1762000120))).status).toBe(200);
    expect(stored().last_seen).toBe(t0 + 400 + SEEN_WRITE_INTERVAL_MS);
  });

  test("a call that changes something is written at once", async () => {
    const h = fresh();
    const t0 = h.clock.now();
    await h.app.handle(torre("CFE9FA280014", "u", 70, 1762000000));
    h.clock.advance(10);
    const req = new Request("http://localhost/lefu/wifi/torre/record", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sn: "CFE9FA280014", bat: "0.5", scaleType: 0, list: [{ memberid: "u", weight: 70, timestamp: 1762000060, data: [{ impedance: "500" }] }] }),
    });
    expect((await h.app.handle(req)).status).toBe(200);
    expect(h.rt.db.query("SELECT last_seen, battery FROM devices").get()).toEqual({ last_seen: t0 + 10, battery: 0.5 });
  });
});

describe("Lefu identity last-seen writes", () => {
  test("at most once a second per identity; a link made in between applies to the very next upload", async () => {
    const h = fresh();
    h.rt.pairing.open(10, "test"); // the scale is paired, so its weighings are attributed
    const db = h.rt.db;
    db.run("INSERT INTO members (id, name, created_at, updated_at) VALUES (5, 'Eve', 0, 0)");
    const t0 = h.clock.now();
    expect((await h.app.handle(torre("CFE9FA280014", "eve-phone", 55, 1762000000))).status).toBe(200);
    h.clock.advance(300);
    expect((await h.app.handle(torre("CFE9FA280014", "eve-phone", 55.1, 1762000060))).status).toBe(200);
    expect(db.query("SELECT last_seen, member_id FROM lefu_identities").get()).toEqual({ last_seen: t0, member_id: null });
    db.run("UPDATE lefu_identities SET member_id = 5, device_key = 'CFE9FA280014'"); // linked on this scale (spec §0.3)
    h.clock.advance(300);
    expect((await h.app.handle(torre("CFE9FA280014", "eve-phone", 55.2, 1762000120))).status).toBe(200);
    expect(db.query("SELECT member_id, status FROM measurements ORDER BY id").all()).toEqual([
      { member_id: null, status: "unassigned" },
      { member_id: null, status: "unassigned" },
      { member_id: 5, status: "assigned" },
    ]);
    h.clock.advance(1000);
    expect((await h.app.handle(torre("CFE9FA280014", "eve-phone", 55.3, 1762000180))).status).toBe(200);
    expect(db.query("SELECT last_seen FROM lefu_identities").get()).toEqual({ last_seen: t0 + 1600 });
  });
});

describe("member CSV export", () => {
  test("streams one page of members per chunk, every member once, in id order", async () => {
    const h = fresh();
    const staff = await signIn(h.rt, h.app);
    const add = h.rt.db.query("INSERT INTO members (id, name, created_at, updated_at) VALUES (?, ?, 0, 0)");
    h.rt.db.transaction(() => {
      for (let id = 1; id <= 1234; id++) add.run(id, `m${id}`);
    })();
    const res = await h.app.handle(new Request("http://localhost/api/v1/members/export.csv", { headers: staff.headers }));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const dec = new TextDecoder("utf-8", { ignoreBOM: true });
    let chunks = 0;
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      text += dec.decode(value, { stream: true });
    }
    // The header chunk and three pages of at most 500 members.
    expect(chunks).toBe(4);
    const ids = text.trim().split("\r\n").slice(1).map((l) => Number(l.split(",")[0]));
    expect(ids).toEqual(Array.from({ length: 1234 }, (_, i) => i + 1));
  });
});

describe("member search (in-memory substring index)", () => {
  /** The SQL search before issue 18: the reference the in-memory one must equal, page and total. */
  function sqlSearch(db: import("bun:sqlite").Database, q: string, status: string | null, limit: number, offset: number, countryCode: string | null) {
    const where: string[] = [];
    const p: Record<string, string | number> = {};
    if (status) {
      where.push("m.status = $status");
      p.$status = status;
    }
    const text = q.trim();
    const like = (s: string) => `%${s.replace(/[\\%_]/g, "\\$&")}%`;
    const ors = ["m.name LIKE $like ESCAPE '\\'", "m.nickname LIKE $like ESCAPE '\\'", "m.member_no LIKE $prefix ESCAPE '\\'", "m.email_norm LIKE $likeLower ESCAPE '\\'"];
    p.$like = like(text);
    p.$prefix = `${text.replace(/[\\%_]/g, "\\$&")}%`;
    p.$likeLower = like(text.toLowerCase());
    if (/^[+\d\s().-]+$/.test(text)) {
      phoneVariants(text, countryCode)
        .filter((v) => v.length >= 3)
        .forEach((v, i) => {
          ors.push(`ltrim(m.phone_norm, '0') LIKE $phone${i}`);
          p[`$phone${i}`] = `%${v}%`;
        });
    }
    [cardForms(text, "dec"), cardForms(text, "hex")].filter((c) => c !== null).forEach((c, i) => {
      ors.push(`m.id IN (SELECT member_id FROM credentials WHERE card_dec = $cardDec${i} OR card_hex = $cardHex${i})`);
      p[`$cardDec${i}`] = c.dec;
      p[`$cardHex${i}`] = c.hex;
    });
    p.$q = text;
    ors.push("m.id IN (SELECT member_id FROM credentials WHERE code_norm = $q COLLATE NOCASE)");
    where.push(`(${ors.join(" OR ")})`);
    const w = `WHERE ${where.join(" AND ")}`;
    const total = (db.query(`SELECT COUNT(*) AS n FROM members m ${w}`).get(p as never) as { n: number }).n;
    const ids = (db.query(`SELECT m.id FROM members m ${w} ORDER BY m.name COLLATE NOCASE, m.id LIMIT $limit OFFSET $offset`).all({ ...p, $limit: limit, $offset: offset } as never) as Array<{ id: number }>).map((r) => r.id);
    return { ids, total };
  }

  test("finds exactly what the SQL LIKE search found, in the same order, with the same totals; sees every change", () => {
    const h = fresh();
    const db = h.rt.db;
    const repo = h.rt.repos.members;
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
    const names = ["王小明", "王伟", "李娜", "Anna Smith", "anna SMITH", "Ölaf Ähm", "José García", "O'Brien_50%", "zoë", "Émile", "van Dijk", "VAN DIJK", "a\\b"];
    db.transaction(() => {
      for (let i = 1; i <= 400; i++) {
        const m = repo.create(
          { memberNo: rnd() < 0.6 ? `${pick(["A", "a", "M", "GY"])}-${i}` : null, name: `${pick(names)}${rnd() < 0.5 ? i : ""}`, nickname: rnd() < 0.3 ? pick(names) : null, phone: rnd() < 0.8 ? pick(["0", "+86 ", "", "00"]) + String(13800000000 + Math.floor(rnd() * 1e6)) : null, email: rnd() < 0.5 ? `${pick(["Anna", "wang", "ZOE"])}.${i}@Mail.Example` : null, sex: "unspecified", birthday: null, heightCm: null, referenceWeightKg: null, goalWeightKg: null, athlete: false, avatarUrl: null, notes: null, extendData: null },
          0,
        );
        if (rnd() < 0.3) repo.addCredential(m.id, "card", String(3000000000 + i), null, 0);
        if (rnd() < 0.2) repo.addCredential(m.id, "code", `QR-${i}`, null, 0);
        if (rnd() < 0.2) repo.setStatus(m.id, "suspended", 0);
      }
    })();
    const queries = ["王", "王小", "anna", "ANNA", "smith", "ö", "Ö", "josé", "JOSÉ", "_", "%", "50%", "\\", "a-1", "A-1", "gy-", "138", "0138000", "+86 138 0000", "8613800001", "3000000007", "B2D05E07", "qr-5", "QR-5", "mail.example", "MAIL", "van d", "zz"];
    const check = () => {
      for (const q of queries)
        for (const status of [null, "active", "suspended"] as const)
          for (const [limit, offset] of [[25, 0], [7, 3], [500, 0]] as const) {
            const want = sqlSearch(db, q, status, limit, offset, "86");
            const got = repo.search(q, status, limit, offset, "86");
            expect({ q, status, limit, offset, ids: got.items.map((m) => m.id), total: got.total }).toEqual({ q, status, limit, offset, ...want });
          }
    };
    check();
    // Changes made with plain SQL too: the index notices through members_version.
    db.run("UPDATE members SET name = 'Zed Anna' WHERE id % 9 = 0");
    db.run("UPDATE members SET status = 'suspended' WHERE id % 7 = 0");
    db.run("DELETE FROM credentials WHERE id % 5 = 0");
    db.run("INSERT INTO members (id, name, created_at, updated_at) VALUES (9999, 'anna new', 0, 0)");
    check();
  });
});

describe("a member's history", () => {
  test("is the same JSON text as measurementView gave, without parsing the stored reports", async () => {
    const h = fresh();
    const staff = await signIn(h.rt, h.app);
    const db = h.rt.db;
    db.run("INSERT INTO members (id, name, sex, birthday, height_cm, created_at, updated_at) VALUES (7, 'Ann', 'female', '1990-02-03', 165, 0, 0)");
    // The link belongs to the scale (spec §0.3), which is paired.
    db.run("INSERT INTO lefu_identities (memberid, member_id, device_key, first_seen, last_seen) VALUES ('ann', 7, 'CFE9FA280014', 0, 0)");
    h.rt.pairing.open(10, "test");
    // Real reports from the Lefu path (linked identity), and hand-made rows with odd values and nulls.
    for (let i = 0; i < 3; i++) expect((await h.app.handle(torre("CFE9FA280014", "ann", 60 + i / 10, 1762000000 + i * 60))).status).toBe(200);
    db.run(`INSERT INTO measurements (idem_key, source, member_id, status, measured_at, received_at, weight_kg, heart_rate, clock_suspect, eight_electrode, impedance_json, indicators_json, indicators_note)
      VALUES ('a', 'yolanda-mini', 7, 'assigned', 5, 6, 61.25, NULL, 1, 1, '["1","2"]', '{"bmi":22.5,"name":"\\u00e9\\"x"}', 'note "quoted" \\ back'),
             ('b', 'lefu-v2', 7, 'assigned', 4, 4, 1e-7, 70, 0, 0, NULL, NULL, NULL)`);
    const res = await h.app.handle(new Request("http://localhost/api/v1/members/7/measurements?from=0", { headers: staff.headers }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const rows = db
      .query("SELECT m.*, d.name AS device_name, d.model AS device_model FROM measurements m LEFT JOIN devices d ON d.id = m.device_id WHERE m.member_id = 7 ORDER BY m.measured_at DESC")
      .all() as Parameters<typeof measurementView>[0][];
    expect(rows.length).toBe(5);
    // The same values (a stored "\u00e9" stays escaped in the text, which JSON readers cannot tell apart);
    // for what bodydock itself stores, the same text.
    const text = await res.text();
    expect(JSON.parse(text)).toEqual(rows.map(measurementView));
    expect(text.slice(0, text.indexOf(',{"id":4,'))).toBe(JSON.stringify(rows.slice(0, 3).map(measurementView)).slice(0, -1));
  });
});

test("connection pragmas for size: temp_store=MEMORY, a 32 MB page cache, auto_vacuum=INCREMENTAL on a new database, the WAL cut back past 64 MB", () => {
  const h = fresh();
  const q = (p: string) => h.rt.db.query(`PRAGMA ${p}`).get();
  expect([q("temp_store"), q("cache_size"), q("auto_vacuum"), q("journal_size_limit")]).toEqual([
    { temp_store: 2 },
    { cache_size: -32768 },
    { auto_vacuum: 2 },
    { journal_size_limit: 67108864 },
  ]);
});
