/** Issue 16's staff API: measurements export for Excel, first-vs-latest, the gym's name and logo, claims that can be decided and undone, "measured today". */
import { describe, expect, test } from "bun:test";
import { parseCsv } from "../../src/staff/member-csv.ts";
import { runtimePerTest } from "../helpers.ts";
import { signIn } from "./session.ts";

const fresh = runtimePerTest();
const DAY = 86400000;

async function world() {
  const h = fresh();
  const admin = await signIn(h.rt, h.app);
  const now = h.clock.now();
  const mk = async (name: string, memberNo: string) => (await admin.call("POST", "/api/v1/members", { name, memberNo })).body.id as number;
  const wang = await mk("王芳", "A-001");
  const li = await mk("李娜", "A-002");
  h.rt.db.run("INSERT INTO devices (vendor, device_key, name, model, first_seen, last_seen) VALUES ('lefu', 'CFE8050813BA', '前台秤', 'CF577', ?, ?)", [now, now]);
  const dev = (h.rt.db.query("SELECT id FROM devices").get() as { id: number }).id;
  let n = 0;
  const weigh = (memberId: number | null, at: number, kg: number, report: Record<string, number> | null = null, status = memberId ? "assigned" : "unassigned", source = "lefu-torre") =>
    h.rt.db.run(
      "INSERT INTO measurements (idem_key, source, device_id, status, member_id, measured_at, received_at, weight_kg, indicators_json, claim_reason, candidates_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [`k${++n}`, source, dev, status, memberId, at, now, kg, report ? JSON.stringify(report) : null, memberId ? null : "unidentified", memberId ? null : JSON.stringify([li])],
    );
  return { h, admin, now, wang, li, dev, weigh };
}

describe("measurements export", () => {
  test("UTF-8 with BOM, Excel-readable times, names and numbers; per member and per date range", async () => {
    const { admin, now, wang, li, weigh } = await world();
    weigh(wang, now - 10 * DAY, 62.5, { bmi: 22.1, bodyfat: 28.4, sinew: 41.2 });
    weigh(wang, now - 2 * DAY, 61.8, { bmi: 21.8, bodyfat: 27.9 });
    weigh(li, now - DAY, 55.1);
    const all = await admin.call("GET", "/api/v1/measurements/export.csv?tz=480");
    expect(all.status).toBe(200);
    expect(all.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(all.text.startsWith("\ufeff")).toBe(true);
    const rows = parseCsv(all.text);
    expect(rows[0]!.cells.slice(0, 6)).toEqual(["memberNo", "name", "measuredAt", "weightKg", "bmi", "bodyFatPercent"]);
    expect(rows.slice(1).map((r) => [r.cells[0], r.cells[1], r.cells[3]])).toEqual([
      ["A-001", "王芳", "62.5"],
      ["A-001", "王芳", "61.8"],
      ["A-002", "李娜", "55.1"],
    ]);
    expect(rows[1]!.cells[2]).toBe(new Date(now - 10 * DAY + 480 * 60000).toISOString().slice(0, 16).replace("T", " "));
    expect(rows[1]!.cells[5]).toBe("28.4");
    expect(rows[1]!.cells.at(-2)).toBe("前台秤");
    const one = parseCsv((await admin.call("GET", `/api/v1/measurements/export.csv?memberId=${li}`)).text);
    expect(one.slice(1).map((r) => r.cells[1])).toEqual(["李娜"]);
    const range = parseCsv((await admin.call("GET", `/api/v1/measurements/export.csv?from=${now - 3 * DAY}&to=${now - DAY - 1}`)).text);
    expect(range.slice(1).map((r) => r.cells[3])).toEqual(["61.8"]);
    expect((await admin.call("GET", "/api/v1/measurements/export.csv?memberId=999")).status).toBe(404);
  });
});

describe("first vs latest", () => {
  test("the member's first and latest assigned measurement", async () => {
    const { admin, now, wang, li, weigh } = await world();
    weigh(wang, now - 100 * DAY, 66, { bodyfat: 31 });
    weigh(wang, now - 50 * DAY, 64);
    weigh(wang, now - DAY, 61, { bodyfat: 27 });
    const r = await admin.call("GET", `/api/v1/members/${wang}/compare`);
    expect([r.body.member.name, r.body.first.weightKg, r.body.latest.weightKg, r.body.latest.report.bodyfat]).toEqual(["王芳", 66, 61, 27]);
    expect((await admin.call("GET", `/api/v1/members/${li}/compare`)).body).toMatchObject({ first: null, latest: null });
  });
});

describe("the gym's name and logo", () => {
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]);
  test("an admin sets the name and uploads a PNG; it is stored in the database and served; anything else is refused", async () => {
    const { h, admin } = await world();
    expect((await admin.call("GET", "/api/v1/gym")).body).toEqual({ name: null, hasLogo: false, logoVersion: 0 });
    expect((await admin.call("PUT", "/api/v1/gym", { name: "  力量健身  " })).body.name).toBe("力量健身");
    const up = await admin.call("PUT", "/api/v1/gym/logo", PNG, { "content-type": "image/png" });
    expect([up.status, up.body.hasLogo]).toEqual([200, true]);
    const img = await admin.call("GET", "/api/v1/gym/logo");
    expect(img.headers.get("content-type")).toBe("image/png");
    expect((h.rt.db.query("SELECT length(logo) AS n FROM gym_profile").get() as { n: number }).n).toBe(PNG.length);
    const bad = await admin.call("PUT", "/api/v1/gym/logo", new TextEncoder().encode("<svg onload=alert(1)>"), { "content-type": "image/svg+xml" });
    expect([bad.status, bad.body.error.code]).toEqual([422, "bad_image"]);
    const big = new Uint8Array(600 * 1024);
    big.set(PNG);
    expect((await admin.call("PUT", "/api/v1/gym/logo", big, { "content-type": "image/png" })).status).toBe(422);
    expect((await admin.call("DELETE", "/api/v1/gym/logo")).body.hasLogo).toBe(false);
    expect((await admin.call("GET", "/api/v1/gym/logo")).status).toBe(404);
    const staff = await signIn(h.rt, h.app, { role: "staff" });
    expect((await staff.call("PUT", "/api/v1/gym", { name: "x" })).status).toBe(403);
    expect((await staff.call("GET", "/api/v1/gym")).status).toBe(200);
  });
});

describe("claims staff can decide", () => {
  test("suggested members by name, body fat, filters by device and source; a discard can be undone", async () => {
    const { admin, now, dev, weigh } = await world();
    weigh(null, now - 60000, 70.2, { bodyfat: 21.5 });
    weigh(null, now - 30000, 80.4, null, "unassigned", "wsp-mini");
    const list = (await admin.call("GET", "/api/v1/claims")).body;
    expect(list.total).toBe(2);
    const lefu = list.items.find((c: any) => c.source === "lefu-torre");
    expect(lefu).toMatchObject({ bodyfat: 21.5, device: { name: "前台秤" }, suggestions: [{ name: "李娜", memberNo: "A-002" }] });
    expect((await admin.call("GET", "/api/v1/claims?source=wsp-mini")).body.items.map((c: any) => c.weightKg)).toEqual([80.4]);
    expect((await admin.call("GET", `/api/v1/claims?deviceId=${dev}`)).body.total).toBe(2);
    const facets = (await admin.call("GET", "/api/v1/claims/facets")).body;
    expect(facets.sources.map((s: any) => [s.source, s.n])).toEqual([["lefu-torre", 1], ["wsp-mini", 1]]);
    expect(facets.devices[0]).toMatchObject({ name: "前台秤", n: 2 });
    expect((await admin.call("POST", `/api/v1/claims/${lefu.id}/discard`)).status).toBe(200);
    expect((await admin.call("GET", "/api/v1/claims")).body.total).toBe(1);
    expect((await admin.call("POST", `/api/v1/claims/${lefu.id}/restore`)).body.status).toBe("unassigned");
    expect((await admin.call("GET", "/api/v1/claims")).body.total).toBe(2);
    const again = await admin.call("POST", `/api/v1/claims/${lefu.id}/restore`);
    expect([again.status, again.body.error.code]).toEqual([409, "not_discarded"]);
    const log = (await admin.call("GET", "/api/v1/audit?action=claim.")).body.items.map((e: any) => [e.action, e.words.weight]);
    expect(log).toEqual([
      ["claim.restore", 70.2],
      ["claim.discard", 70.2],
    ]);
  });
});

describe("dashboard", () => {
  test("today's measurements are those measured today (not received), newest first, paged", async () => {
    const { admin, now, wang, weigh } = await world();
    const midnight = now - (now % DAY);
    weigh(wang, midnight - 3600000, 60); // yesterday, received today (a scale's backlog)
    for (let i = 0; i < 5; i++) weigh(wang, midnight + (i + 1) * 60000, 61 + i);
    const d = (await admin.call("GET", `/api/v1/dashboard?since=${midnight}&limit=2`)).body;
    expect([d.todayTotal, d.today.map((m: any) => m.weightKg)]).toEqual([5, [65, 64]]);
    expect(d.today[0]).toMatchObject({ memberName: "王芳", memberNo: "A-001" });
    const p2 = (await admin.call("GET", `/api/v1/dashboard?since=${midnight}&limit=2&offset=4`)).body;
    expect(p2.today.map((m: any) => m.weightKg)).toEqual([61]);
  });
});

describe("audit log in words", () => {
  test("entries carry the names a sentence needs; actors for the filter", async () => {
    const { admin } = await world();
    await admin.call("POST", "/api/v1/members/import", "name,memberNo\n赵敏,B-1\n");
    const items = (await admin.call("GET", "/api/v1/audit?action=member.")).body.items;
    expect(items.find((e: any) => e.action === "member.import").words).toMatchObject({ created: 1, rejected: 0 });
    expect(items.find((e: any) => e.action === "member.import_create").words.member).toBe("赵敏 (B-1)");
    expect(items.find((e: any) => e.action === "member.create").words.member).toBe("李娜 (A-002)");
    expect((await admin.call("GET", "/api/v1/audit/actors")).body.actors.length).toBeGreaterThan(0);
  });
});
