/** Members as CSV: export, validated import, idempotent re-import (issue 4 §7). */
import { describe, expect, test } from "bun:test";
import { parseCsv, toCsv } from "../../src/staff/member-csv.ts";
import { runtimePerTest } from "../helpers.ts";
import { signIn } from "./session.ts";

const fresh = runtimePerTest();

async function setup() {
  const h = fresh();
  const admin = await signIn(h.rt, h.app);
  const imp = (csv: string | Uint8Array, query = "") => admin.call("POST", `/api/v1/members/import${query}`, csv);
  const count = () => (h.rt.db.query("SELECT COUNT(*) AS n FROM members").get() as { n: number }).n;
  return { ...h, admin, imp, count };
}

describe("RFC 4180", () => {
  test("quotes, doubled quotes, commas and line breaks inside quotes, CRLF/LF, a BOM, a last line without a break", () => {
    const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\n2,"two\r\nlines",\r\n3,,"last"';
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ["a", "b", "c"] },
      { line: 2, cells: ["1", "x, y", 'say "hi"'] },
      { line: 3, cells: ["2", "two\r\nlines", ""] },
      { line: 5, cells: ["3", "", "last"] },
    ]);
    expect(() => parseCsv('a,"b\n')).toThrow("not closed");
    expect(() => parseCsv('a,b"c"\n')).toThrow("quote");
    const rows = [["名字", 'He said "x"', "a,b", " pad ", "multi\nline", null, 1.5, true]];
    expect(parseCsv(toCsv(rows))[0]!.cells).toEqual(["名字", 'He said "x"', "a,b", " pad ", "multi\nline", "", "1.5", "true"]);
  });
});

describe("export", () => {
  test("UTF-8 with BOM, header = API field names, Chinese names, credentials, round trip through import changes nothing", async () => {
    const h = await setup();
    const a = (await h.admin.call("POST", "/api/v1/members", { name: "王小明", memberNo: "A-7", phone: "138 0013 8000", notes: 'likes "quotes", commas\nand lines', heightCm: 172.5, athlete: true })).body;
    await h.admin.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "card", value: "E6685962", format: "hex" });
    await h.admin.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "code", value: "QR-1" });
    const b = (await h.admin.call("POST", "/api/v1/members", { name: "Zoe", phone: "+44 7700 900123", nickname: "=HYPERLINK(1)" })).body;
    await h.admin.call("POST", `/api/v1/members/${b.id}/suspend`);
    const res = await h.admin.call("GET", "/api/v1/members/export.csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toContain("attachment");
    // The file starts with the UTF-8 BOM (Response.text() decodes it away, so look at the bytes).
    const raw = new Uint8Array(await (await h.app.handle(new Request("http://localhost/api/v1/members/export.csv", { headers: h.admin.headers }))).arrayBuffer());
    expect([...raw.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(res.text);
    expect(rows[0]!.cells).toEqual(["id", "memberNo", "name", "nickname", "phone", "email", "sex", "birthday", "heightCm", "referenceWeightKg", "goalWeightKg", "athlete", "avatarUrl", "notes", "status", "extendData", "cards", "codes", "createdAt", "updatedAt"]);
    const row = Object.fromEntries(rows[0]!.cells.map((c, i) => [c, rows[1]!.cells[i]]));
    expect(row).toMatchObject({ id: String(a.id), memberNo: "A-7", name: "王小明", phone: "138 0013 8000", heightCm: "172.5", athlete: "true", notes: 'likes "quotes", commas\nand lines', status: "active", cards: "3865598306", codes: "QR-1" });
    expect(rows[2]!.cells[14]).toBe("suspended");
    // Nothing a spreadsheet would run as a formula.
    expect([rows[2]!.cells[3], rows[2]!.cells[4]]).toEqual(["'=HYPERLINK(1)", "'+44 7700 900123"]);
    // Re-importing the export changes nothing.
    const auditBefore = h.rt.db.query("SELECT COUNT(*) AS n FROM audit").get();
    const before = h.rt.db.query("SELECT * FROM members ORDER BY id").all();
    const r = await h.imp(res.text);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ written: false, rows: 2, created: 0, updated: 0, unchanged: 2, errors: [] });
    expect(h.rt.db.query("SELECT * FROM members ORDER BY id").all()).toEqual(before);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM audit").get()).toEqual(auditBefore);
  });
});

describe("import", () => {
  const FILE = [
    "memberNo,name,phone,email,sex,birthday,heightCm,athlete,cards",
    "M1,张伟,13800138000,ZW@example.cn,male,1985-03-04,175,no,12345678",
    'M2,"Li, Hua",+86 139 0000 1111,,female,1992-11-30,162.5,yes,',
    "M3,Ana,,,,,,,",
  ].join("\r\n");

  test("creates members (BOM or not), then the same file again changes nothing", async () => {
    const h = await setup();
    const r = await h.imp("\ufeff" + FILE);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ written: true, rows: 3, created: 3, updated: 0, unchanged: 0, rejected: 0, errors: [] });
    const zw = (await h.admin.call("GET", "/api/v1/members?q=M1")).body.items[0];
    expect(zw).toMatchObject({ name: "张伟", email: "zw@example.cn", sex: "male", birthday: "1985-03-04", heightCm: 175, athlete: false });
    expect((await h.admin.call("GET", "/api/v1/members?q=12345678")).body.items.map((m: any) => m.memberNo)).toEqual(["M1"]);
    expect((await h.admin.call("GET", "/api/v1/members?q=M3")).body.items[0]).toMatchObject({ name: "Ana", sex: "unspecified", phone: null });
    const snapshot = h.rt.db.query("SELECT * FROM members ORDER BY id").all();
    const creds = h.rt.db.query("SELECT * FROM credentials ORDER BY id").all();
    for (const text of [FILE, "\ufeff" + FILE, FILE.replace(/\r\n/g, "\n")]) {
      h.clock.advance(1000);
      const again = await h.imp(text);
      expect(again.body).toMatchObject({ written: false, created: 0, updated: 0, unchanged: 3 });
    }
    expect(h.rt.db.query("SELECT * FROM members ORDER BY id").all()).toEqual(snapshot);
    expect(h.rt.db.query("SELECT * FROM credentials ORDER BY id").all()).toEqual(creds);
    const imports = h.rt.db.query("SELECT action, actor FROM audit WHERE action LIKE 'member.import%'").all() as any[];
    expect(imports.filter((a) => a.action === "member.import_create").length).toBe(3);
    expect(imports.filter((a) => a.action === "member.import").length).toBe(1);
  });

  test("updates only the columns the file has, matched by memberNo (else id); a changed row is updated", async () => {
    const h = await setup();
    await h.imp(FILE);
    const r = await h.imp("memberno,Phone\nM1,138 0000 0000\nM2,+86 139 0000 1111");
    expect(r.body).toMatchObject({ written: true, updated: 1, unchanged: 1 });
    const zw = (await h.admin.call("GET", "/api/v1/members?q=M1")).body.items[0];
    expect(zw).toMatchObject({ phone: "138 0000 0000", name: "张伟", heightCm: 175 });
    const byId = await h.imp(`id,nickname\n${zw.id},Wei`);
    expect(byId.body).toMatchObject({ updated: 1 });
    expect((await h.admin.call("GET", `/api/v1/members/${zw.id}`)).body.nickname).toBe("Wei");
    // An id the box does not know yet is kept (moving members from another bodydock).
    expect((await h.imp("id,name\n5000,Moved")).body).toMatchObject({ created: 1 });
    expect((await h.admin.call("GET", "/api/v1/members/5000")).body.name).toBe("Moved");
    // Without memberNo or id: the same name with the same phone is the same member.
    expect((await h.imp("name,phone\nPat,0123 456\n")).body.created).toBe(1);
    expect((await h.imp("name,phone,notes\nPat,0123456,hi\n")).body).toMatchObject({ created: 0, updated: 1 });
    // …and the same person twice in one such file is a bad row, not two members.
    const twice = await h.imp("name,phone\nSam,555 1234\nsam,5551234\n");
    expect([twice.status, twice.body.errors]).toEqual([422, [expect.objectContaining({ line: 3, field: "name", code: "twice_in_file", message: expect.stringContaining("line 2"), name: "sam" })]]);
    // Several members already match: say which with memberNo or id.
    await h.admin.call("POST", "/api/v1/members", { name: "Pat", phone: "0123456" });
    const which = await h.imp("name,phone,notes\nPat,0123456,again\n");
    expect(which.body.errors[0]).toMatchObject({ line: 2, field: "name", message: expect.stringContaining("add a memberNo or id") });
  });

  test("every bad row is reported with its line and field, and nothing is written", async () => {
    const h = await setup();
    await h.admin.call("POST", "/api/v1/members", { name: "Owner", memberNo: "X9" });
    const owner = (await h.admin.call("GET", "/api/v1/members?q=X9")).body.items[0];
    await h.admin.call("POST", `/api/v1/members/${owner.id}/credentials`, { kind: "card", value: "999" });
    const bad = [
      "memberNo,name,birthday,heightCm,sex,cards,athlete,extendData",
      "B1,Good,1990-01-01,170,male,,,",
      "B2,,1990-01-01,170,male,,,",
      "B3,Bad date,1990-02-31,170,male,,,",
      "B4,Tall,1990-01-01,999,male,,,",
      '"B5","multi',
      'line name",1990-01-01,abc,male,,,',
      "B6,Sex,1990-01-01,170,robot,,,",
      "B7,Card,1990-01-01,170,male,999,,",
      "B1,Twice,1990-01-01,170,male,,,",
      "B8,Athlete,,,,,maybe,",
      `B9,Long,,,,,,${"x".repeat(256)}`,
      "B10,Extra,,,,,,,surplus",
    ].join("\n");
    const r = await h.imp(bad);
    expect(r.status).toBe(422);
    expect(r.body.written).toBe(false);
    expect(r.body.errors.map((e: any) => [e.line, e.field])).toEqual([
      [3, "name"],
      [4, "birthday"],
      [5, "heightCm"],
      [6, "heightCm"],
      [8, "sex"],
      [9, "cards"],
      [10, "memberNo"],
      [11, "athlete"],
      [12, "extendData"],
      [13, "row"],
    ]);
    for (const e of r.body.errors) expect(e.message.length).toBeGreaterThan(3);
    // people, not ids: the owner by name and member number; the row by its own name and number
    expect(r.body.errors.find((e: any) => e.line === 9)).toMatchObject({ code: "card_taken", params: { value: "999", owner: "Owner (X9)" }, name: "Card", memberNo: "B7" });
    expect(r.body.errors.find((e: any) => e.line === 9).message).toContain("Owner (X9)");
    expect(r.body.errors.find((e: any) => e.line === 10).message).toContain("line 2");
    expect(h.count()).toBe(1);
    // partial=true writes the good rows and reports the rest.
    const p = await h.imp(bad, "?partial=true");
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ written: true, created: 1, rejected: 10 });
    expect(h.count()).toBe(2);
    // dryRun writes nothing even when everything is fine.
    expect((await h.imp("memberNo,name\nD1,Dry", "?dryRun=true")).body).toMatchObject({ written: false, created: 1 });
    expect(h.count()).toBe(2);
  });

  test("file-level problems: empty, unknown or repeated columns, broken quoting; admins only", async () => {
    const h = await setup();
    expect((await h.imp("")).body.errors[0]).toMatchObject({ line: 1, field: "file" });
    expect((await h.imp("name,colour\nA,red")).body.errors[0]).toMatchObject({ line: 1, field: "colour" });
    expect((await h.imp("name,Name\nA,B")).body.errors[0]).toMatchObject({ line: 1, field: "name" });
    expect((await h.imp('name\n"A\n')).body.errors[0]).toMatchObject({ line: 2, field: "file" });
    const staff = await signIn(h.rt, h.app, { role: "staff" });
    expect((await staff.call("POST", "/api/v1/members/import", "name\nA")).status).toBe(403);
    expect(h.count()).toBe(0);
  });
});

describe("import from Chinese Excel", () => {
  const ROWS = "姓名,会员号,手机,性别,生日,身高\r\n王芳,A-001,13800138000,女,1990/4/1,165\r\n李娜,A-002,13900139000,女,1988-12-3,158\r\n";
  const gbk = (s: string) => {
    // Excel's "CSV" on Chinese Windows: GBK bytes. Made here from the code points via TextDecoder's table, inverted.
    const dec = new TextDecoder("gb18030");
    const table = new Map<string, number[]>();
    for (let a = 0x81; a <= 0xfe; a++) for (let b = 0x40; b <= 0xfe; b++) table.set(dec.decode(new Uint8Array([a, b])), [a, b]);
    const out: number[] = [];
    for (const c of s) out.push(...(c.charCodeAt(0) < 0x80 ? [c.charCodeAt(0)] : table.get(c)!));
    return new Uint8Array(out);
  };
  const utf16le = (s: string, bom = true) => {
    const out = new Uint8Array((s.length + (bom ? 1 : 0)) * 2);
    const dv = new DataView(out.buffer);
    let o = 0;
    if (bom) (dv.setUint16(0, 0xfeff, true), (o = 2));
    for (let i = 0; i < s.length; i++) dv.setUint16(o + i * 2, s.charCodeAt(i), true);
    return out;
  };

  test("the runtime decodes GB18030 and UTF-16 (no extra decoder needed)", () => {
    expect(new TextDecoder("gb18030").decode(new Uint8Array([0xcd, 0xf5, 0xb7, 0xbc]))).toBe("王芳");
    expect(new TextDecoder("gbk").encoding).toBe("gbk");
  });

  test("GBK, UTF-8 (with and without BOM), UTF-16 LE with BOM and without: detected, names right, Chinese headers and Excel dates", async () => {
    const files: Array<[string, Uint8Array, string]> = [
      ["gbk", gbk(ROWS), "gb18030"],
      ["utf-8", new TextEncoder().encode(ROWS), "utf-8"],
      ["utf-8 bom", new TextEncoder().encode("\ufeff" + ROWS), "utf-8"],
      ["utf-16 bom", utf16le(ROWS), "utf-16le"],
      ["utf-16 no bom", utf16le(ROWS, false), "utf-16le"],
    ];
    for (const [what, bytes, enc] of files) {
      const h = await setup();
      const r = await h.imp(bytes, "?dryRun=true");
      expect([what, r.body.encoding, r.body.encodingDetected, r.body.errors]).toEqual([what, enc, true, []]);
      expect(r.body).toMatchObject({ written: false, created: 2 });
      expect(h.count()).toBe(0); // a preview writes nothing
      const w = await h.imp(bytes);
      expect(w.body).toMatchObject({ written: true, created: 2 });
      const items = (await h.admin.call("GET", "/api/v1/members")).body.items;
      expect([what, items.map((m: any) => [m.name, m.memberNo, m.sex, m.birthday, m.heightCm])]).toEqual([
        what,
        [
          ["李娜", "A-002", "female", "1988-12-03", 158],
          ["王芳", "A-001", "female", "1990-04-01", 165],
        ],
      ]);
    }
  });

  test("the encoding can be overridden; a wrong one shows unreadable characters", async () => {
    const h = await setup();
    const r = await h.imp(gbk(ROWS), "?dryRun=true&encoding=utf-8");
    expect(r.body.encoding).toBe("utf-8");
    expect(r.body.encodingDetected).toBe(false);
    expect(r.body.unreadable).toBeGreaterThan(0);
    expect((await h.imp(gbk(ROWS), "?dryRun=true&encoding=gb18030")).body).toMatchObject({ encoding: "gb18030", unreadable: 0, created: 2 });
  });

  test("every problem of a row is listed, each with a code and the row's name and member number", async () => {
    const h = await setup();
    const r = await h.imp("memberNo,name,birthday,heightCm,sex,email\nB1,赵六,1990-02-31,999,robot,not-an-email\nB2,好人,,,,\n");
    expect(r.status).toBe(422);
    const bad = r.body.errors.filter((e: any) => e.line === 2);
    expect(bad.map((e: any) => [e.field, e.code])).toEqual([
      ["email", "bad_format"],
      ["sex", "bad_sex"],
      ["birthday", "bad_date"],
      ["heightCm", "out_of_range"],
    ]);
    for (const e of bad) expect([e.name, e.memberNo]).toEqual(["赵六", "B1"]);
    expect(r.body).toMatchObject({ rows: 2, created: 1, rejected: 1 });
  });
});
