/** The member directory, credentials and the audit log (issue 4 §5, §6, §8). */
import { describe, expect, test } from "bun:test";
import { runtimePerTest } from "../helpers.ts";
import { signIn } from "./session.ts";

const fresh = runtimePerTest();

async function setup() {
  const h = fresh();
  const admin = await signIn(h.rt, h.app);
  const staff = await signIn(h.rt, h.app, { role: "staff" });
  return { ...h, admin, staff };
}

const ADA = {
  memberNo: "G-1001",
  name: "Ada Lovelace",
  nickname: "Ada",
  phone: "+44 7700 900123",
  email: "Ada@Example.COM",
  sex: "female",
  birthday: "1990-12-10",
  heightCm: 168.5,
  referenceWeightKg: 61.2,
  goalWeightKg: 58,
  athlete: true,
  avatarUrl: "https://example.com/ada.png",
  notes: "prefers mornings",
  extendData: "crm:42",
};

describe("members: create, read, update, suspend, delete", () => {
  test("create with every field; read it back with credentials and a measurement count; defaults for what is left out", async () => {
    const h = await setup();
    const r = await h.staff.call("POST", "/api/v1/members", ADA);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ id: r.body.id, ...ADA, email: "ada@example.com", status: "active", createdAt: h.rt.now(), updatedAt: h.rt.now() });
    expect(Number.isInteger(r.body.id)).toBe(true);
    const got = await h.staff.call("GET", `/api/v1/members/${r.body.id}`);
    expect(got.body).toMatchObject({ ...r.body, credentials: [], measurementCount: 0 });
    const min = await h.staff.call("POST", "/api/v1/members", { name: "  王小明  " });
    expect(min.body).toMatchObject({ name: "王小明", memberNo: null, sex: "unspecified", athlete: false, status: "active", birthday: null });
    expect((await h.staff.call("GET", "/api/v1/members/999")).status).toBe(404);
    // What device matching uses is normalised in the row.
    expect(h.rt.db.query("SELECT phone_norm, email_norm FROM members WHERE id = ?").get(r.body.id)).toEqual({ phone_norm: "447700900123", email_norm: "ada@example.com" });
  });

  test("validation errors are 422 and name the field", async () => {
    const h = await setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, "name"],
      [{ name: "   " }, "name"],
      [{ name: "x", birthday: "1990-02-30" }, "birthday"],
      [{ name: "x", birthday: "10/12/1990" }, "birthday"],
      [{ name: "x", birthday: "2999-01-01" }, "birthday"],
      [{ name: "x", sex: "m" }, "sex"],
      [{ name: "x", heightCm: 400 }, "heightCm"],
      [{ name: "x", heightCm: "170" }, "heightCm"],
      [{ name: "x", referenceWeightKg: 0 }, "referenceWeightKg"],
      [{ name: "x", goalWeightKg: 1000 }, "goalWeightKg"],
      [{ name: "x", extendData: "e".repeat(256) }, "extendData"],
      [{ name: "x", email: "not an email" }, "email"],
      [{ name: "x", phone: "call me" }, "phone"],
      [{ name: "x", phone: "--" }, "phone"],
      [{ name: "x", athlete: "yes" }, "athlete"],
      [{ name: "x", avatarUrl: "javascript:alert(1)" }, "avatarUrl"],
      [{ name: "x", status: "suspended" }, "status"],
      [{ name: "x", id: 5 }, "id"],
    ];
    for (const [body, field] of cases) {
      const r = await h.staff.call("POST", "/api/v1/members", body);
      expect([JSON.stringify(body), r.status, r.body.error.code, r.body.error.field]).toEqual([JSON.stringify(body), 422, "validation_failed", field]);
    }
    expect((await h.staff.call("POST", "/api/v1/members", { name: "x", extendData: "e".repeat(255) })).status).toBe(201);
    expect((await h.staff.call("POST", "/api/v1/members", { name: "x", birthday: "2000-02-29" })).status).toBe(201);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM members").get()).toEqual({ n: 2 });
  });

  test("memberNo is unique (case-insensitive): 409 naming the owner", async () => {
    const h = await setup();
    const a = await h.staff.call("POST", "/api/v1/members", ADA);
    const dup = await h.staff.call("POST", "/api/v1/members", { name: "Other", memberNo: "g-1001" });
    expect([dup.status, dup.body.error.code, dup.body.error.field, dup.body.error.ownerId]).toEqual([409, "conflict", "memberNo", a.body.id]);
    const b = await h.staff.call("POST", "/api/v1/members", { name: "Other", memberNo: "G-1002" });
    const clash = await h.staff.call("PATCH", `/api/v1/members/${b.body.id}`, { memberNo: "G-1001" });
    expect(clash.status).toBe(409);
    // Keeping one's own number is no conflict.
    expect((await h.staff.call("PATCH", `/api/v1/members/${a.body.id}`, { memberNo: "G-1001", name: "Ada King" })).status).toBe(200);
  });

  test("update changes only the fields given; null clears; unknown fields are refused; audited with before and after", async () => {
    const h = await setup();
    const a = (await h.staff.call("POST", "/api/v1/members", ADA)).body;
    h.clock.advance(1000);
    const r = await h.staff.call("PATCH", `/api/v1/members/${a.id}`, { phone: "07700 900124", nickname: null, heightCm: 169 });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...a, phone: "07700 900124", nickname: null, heightCm: 169, updatedAt: a.updatedAt + 1000 });
    expect((await h.staff.call("PATCH", `/api/v1/members/${a.id}`, { colour: "red" })).status).toBe(422);
    expect((await h.staff.call("PATCH", `/api/v1/members/${a.id}`, { name: "" })).body.error.field).toBe("name");
    expect((await h.staff.call("PATCH", `/api/v1/members/999`, { name: "x" })).status).toBe(404);
    const audit = await h.admin.call("GET", `/api/v1/audit?entity=member&entityId=${a.id}&action=member.update`);
    expect(audit.body.total).toBe(1);
    expect(audit.body.items[0]).toMatchObject({ actor: "frontdesk", action: "member.update", before: { phone: "+44 7700 900123", nickname: "Ada" }, after: { phone: "07700 900124", nickname: null } });
    // A patch that changes nothing writes no audit row.
    await h.staff.call("PATCH", `/api/v1/members/${a.id}`, { heightCm: 169 });
    expect((await h.admin.call("GET", `/api/v1/audit?action=member.update`)).body.total).toBe(1);
  });

  test("suspend and reactivate; devices see the status", async () => {
    const h = await setup();
    const a = (await h.staff.call("POST", "/api/v1/members", ADA)).body;
    const s = await h.staff.call("POST", `/api/v1/members/${a.id}/suspend`);
    expect(s.body.status).toBe("suspended");
    expect((await h.staff.call("GET", `/api/v1/members?status=suspended`)).body.total).toBe(1);
    expect((await h.staff.call("POST", `/api/v1/members/${a.id}/reactivate`)).body.status).toBe("active");
    expect((await h.staff.call("POST", `/api/v1/members/999/suspend`)).status).toBe(404);
    const actions = (await h.admin.call("GET", `/api/v1/audit?entity=member&action=member.`)).body.items.map((i: any) => i.action);
    expect(actions).toEqual(["member.reactivate", "member.suspend", "member.create"]);
  });

  test("delete only without measurements (409 otherwise), admin only; credentials go with the member", async () => {
    const h = await setup();
    const a = (await h.staff.call("POST", "/api/v1/members", ADA)).body;
    const b = (await h.staff.call("POST", "/api/v1/members", { name: "Bob" })).body;
    await h.staff.call("POST", `/api/v1/members/${b.id}/credentials`, { kind: "card", value: "12345" });
    h.rt.db.run(
      "INSERT INTO measurements (idem_key, source, member_id, status, measured_at, received_at, weight_kg) VALUES ('k1', 'lefu-v2', ?, 'assigned', 1, 1, 60)",
      [a.id],
    );
    expect((await h.staff.call("DELETE", `/api/v1/members/${b.id}`)).status).toBe(403);
    const refused = await h.admin.call("DELETE", `/api/v1/members/${a.id}`);
    expect([refused.status, refused.body.error.code]).toEqual([409, "has_measurements"]);
    expect((await h.staff.call("GET", `/api/v1/members/${a.id}`)).body.measurementCount).toBe(1);
    expect((await h.admin.call("DELETE", `/api/v1/members/${b.id}`)).body).toEqual({ id: b.id, deleted: true });
    expect((await h.staff.call("GET", `/api/v1/members/${b.id}`)).status).toBe(404);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM credentials").get()).toEqual({ n: 0 });
    const del = (await h.admin.call("GET", `/api/v1/audit?action=member.delete`)).body.items[0];
    expect(del.before).toMatchObject({ id: b.id, name: "Bob", credentials: [{ cardDec: "12345" }] });
    expect(del.after).toBeNull();
  });
});

describe("search and paging", () => {
  async function world() {
    const h = await setup();
    const ids: Record<string, number> = {};
    const add = async (key: string, body: Record<string, unknown>) => (ids[key] = (await h.staff.call("POST", "/api/v1/members", body)).body.id);
    await add("ada", ADA);
    await add("wang", { name: "王小明", memberNo: "A-7", phone: "138 0013 8000", email: "xm@example.cn" });
    await add("li", { name: "李华", phone: "139-0000-1111" });
    await add("zoe", { name: "Zoe", nickname: "Z", email: "zoe@gym.test" });
    await h.staff.call("POST", `/api/v1/members/${ids.li}/credentials`, { kind: "card", value: "E6685962", format: "hex" });
    await h.staff.call("POST", `/api/v1/members/${ids.zoe}/credentials`, { kind: "code", value: "QR-ZOE-1" });
    const q = async (query: string) => (await h.staff.call("GET", `/api/v1/members?${query}`)).body;
    const names = async (query: string) => (await q(query)).items.map((m: any) => m.name);
    return { h, ids, q, names };
  }

  test("by name (substring, any case, Chinese), nickname, member number, phone in any spelling, e-mail, card in either form, code", async () => {
    const { names } = await world();
    expect(await names("q=love")).toEqual(["Ada Lovelace"]);
    expect(await names("q=ADA")).toEqual(["Ada Lovelace"]);
    expect(await names("q=" + encodeURIComponent("小明"))).toEqual(["王小明"]);
    expect(await names("q=a-7")).toEqual(["王小明"]);
    expect(await names("q=G-10")).toEqual(["Ada Lovelace"]);
    expect(await names("q=13800138000")).toEqual(["王小明"]);
    expect(await names("q=" + encodeURIComponent("07700 900123"))).toEqual(["Ada Lovelace"]);
    expect(await names("q=" + encodeURIComponent("+447700900123"))).toEqual(["Ada Lovelace"]);
    expect(await names("q=1111")).toEqual(["李华"]);
    expect(await names("q=ada%40example.com")).toEqual(["Ada Lovelace"]);
    expect(await names("q=GYM.TEST")).toEqual(["Zoe"]);
    expect(await names("q=E6685962")).toEqual(["李华"]);
    expect(await names("q=e6685962")).toEqual(["李华"]);
    expect(await names("q=3865598306")).toEqual(["李华"]);
    expect(await names("q=qr-zoe-1")).toEqual(["Zoe"]);
    expect(await names("q=nobody")).toEqual([]);
    // LIKE wildcards in the query are literal.
    expect(await names("q=%25")).toEqual([]);
    expect(await names("q=_")).toEqual([]);
  });

  test("Chinese names sort by pinyin, not by code point; last measured and the measured-in-N-days filters", async () => {
    const { h, q } = await world();
    for (const name of ["张伟", "阿明", "陈静"]) await h.staff.call("POST", "/api/v1/members", { name });
    const names = (await q("")).items.map((m: any) => m.name);
    // a ming, chen jing, li hua, wang xiaoming, zhang wei (code point order would put 张 first)
    expect(names.slice(0, 5)).toEqual(["阿明", "陈静", "李华", "王小明", "张伟"]);
    const li = (await q("q=李华")).items[0];
    expect(li.lastMeasuredAt).toBe(null);
    const now = h.clock.now();
    h.rt.db.run(
      "INSERT INTO measurements (idem_key, source, status, member_id, measured_at, received_at, weight_kg) VALUES ('t1', 'lefu-torre', 'assigned', ?, ?, ?, 70)",
      [li.id, now - 3 * 86400000, now],
    );
    expect((await q("q=李华")).items[0].lastMeasuredAt).toBe(now - 3 * 86400000);
    expect((await q("measuredWithinDays=7")).items.map((m: any) => m.name)).toEqual(["李华"]);
    expect((await q("measuredWithinDays=2")).items).toEqual([]);
    expect((await q("notMeasuredForDays=7")).items.map((m: any) => m.name)).not.toContain("李华");
    expect((await q("notMeasuredForDays=2")).total).toBe(7);
  });

  test("paging: limit, offset, total; sorted by name", async () => {
    const { q } = await world();
    const all = await q("");
    expect(all.total).toBe(4);
    // Chinese names by pinyin (Intl.Collator zh-u-co-pinyin: li < wang), then Latin ones
    expect(all.items.map((m: any) => m.name)).toEqual(["李华", "王小明", "Ada Lovelace", "Zoe"]);
    const page = await q("limit=2&offset=1");
    expect([page.total, page.limit, page.offset, page.items.map((m: any) => m.name)]).toEqual([4, 2, 1, ["王小明", "Ada Lovelace"]]);
    expect((await q("limit=2&offset=10")).items).toEqual([]);
    const { h } = await world();
    expect((await h.staff.call("GET", "/api/v1/members?limit=0")).status).toBe(422);
    expect((await h.staff.call("GET", "/api/v1/members?limit=501")).status).toBe(422);
  });
});

describe("credentials", () => {
  test("a card is stored as decimal and 8-digit upper-case hex; either form, any byte order the reader uses, finds it", async () => {
    const h = await setup();
    const a = (await h.staff.call("POST", "/api/v1/members", ADA)).body;
    const c = await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "card", value: "0003865598306", label: "blue fob" });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ kind: "card", cardDec: "3865598306", cardHex: "E6685962", code: null, label: "blue fob", memberId: a.id });
    const small = await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "card", value: "0xbc614e" });
    expect(small.body).toMatchObject({ cardDec: "12345678", cardHex: "00BC614E" });
    const asHex = await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "card", value: "12345679", format: "hex" });
    expect(asHex.body).toMatchObject({ cardDec: String(0x12345679), cardHex: "12345679" });
    expect((await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "card", value: "not-a-card" })).body.error.field).toBe("value");
    expect((await h.staff.call("GET", `/api/v1/members/${a.id}/credentials`)).body.length).toBe(3);
    // The Youjiu card reader finds the member by either form (a box that does not require device tokens).
    h.rt.settings.set("youjiu.requireToken", false, "test");
    const third = await h.app.handle(
      new Request("http://localhost/youjiu/third_user", { method: "POST", body: JSON.stringify({ type: "card-ed", value: { card_no_dec: "3865598306" } }) }),
    );
    expect(((await third.json()) as any).result.user_info.uid).toBe(a.id);
  });

  test("a credential belongs to one member only: 409 naming the owner, whichever form is typed", async () => {
    const h = await setup();
    const a = (await h.staff.call("POST", "/api/v1/members", ADA)).body;
    const b = (await h.staff.call("POST", "/api/v1/members", { name: "Bob" })).body;
    await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "card", value: "E6685962" });
    await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "code", value: "  ADA-QR  " });
    for (const body of [
      { kind: "card", value: "3865598306" },
      { kind: "card", value: "e6685962" },
      { kind: "code", value: "ada-qr" },
    ]) {
      const r = await h.staff.call("POST", `/api/v1/members/${b.id}/credentials`, body);
      expect([r.status, r.body.error.code, r.body.error.ownerId]).toEqual([409, "conflict", a.id]);
      expect(r.body.error.message).toContain("Ada Lovelace (G-1001)"); // people, not ids (ownerId stays for integrations)
      expect(r.body.error.owner).toBe("Ada Lovelace (G-1001)");
    }
    // The same member enrolling it twice is a conflict too (it is already theirs).
    expect((await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "code", value: "ADA-QR" })).status).toBe(409);
    expect((await h.staff.call("POST", `/api/v1/members/999/credentials`, { kind: "code", value: "x" })).status).toBe(404);
    expect((await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "pin", value: "1" })).status).toBe(422);
  });

  test("remove a credential; it must be the member's own", async () => {
    const h = await setup();
    const a = (await h.staff.call("POST", "/api/v1/members", ADA)).body;
    const b = (await h.staff.call("POST", "/api/v1/members", { name: "Bob" })).body;
    const c = (await h.staff.call("POST", `/api/v1/members/${a.id}/credentials`, { kind: "code", value: "ADA-QR" })).body;
    expect((await h.staff.call("DELETE", `/api/v1/members/${b.id}/credentials/${c.id}`)).status).toBe(404);
    expect((await h.staff.call("DELETE", `/api/v1/members/${a.id}/credentials/${c.id}`)).body).toEqual({ id: c.id, deleted: true });
    expect((await h.staff.call("POST", `/api/v1/members/${b.id}/credentials`, { kind: "code", value: "ADA-QR" })).status).toBe(201);
    const actions = (await h.admin.call("GET", `/api/v1/audit?action=credential.`)).body.items.map((i: any) => [i.action, i.entityId]);
    expect(actions).toEqual([
      ["credential.add", String(b.id)],
      ["credential.remove", String(a.id)],
      ["credential.add", String(a.id)],
    ]);
  });
});

describe("audit log", () => {
  test("who, what, when, before/after; filters and paging; admins only", async () => {
    const h = await setup();
    const a = (await h.staff.call("POST", "/api/v1/members", ADA)).body;
    h.clock.advance(60_000);
    await h.admin.call("PATCH", `/api/v1/members/${a.id}`, { notes: "VIP" });
    const all = await h.admin.call("GET", "/api/v1/audit");
    expect(all.body.total).toBe(2);
    expect(all.body.items[0]).toMatchObject({ actor: "admin", action: "member.update", entity: "member", entityId: String(a.id), at: h.rt.now(), before: { notes: "prefers mornings" }, after: { notes: "VIP" } });
    expect(all.body.items[1]).toMatchObject({ actor: "frontdesk", action: "member.create", before: null, after: { name: "Ada Lovelace" } });
    expect((await h.admin.call("GET", "/api/v1/audit?actor=frontdesk")).body.total).toBe(1);
    expect((await h.admin.call("GET", `/api/v1/audit?from=${h.rt.now()}`)).body.total).toBe(1);
    expect((await h.admin.call("GET", `/api/v1/audit?to=${h.rt.now()}`)).body.total).toBe(1);
    const page = await h.admin.call("GET", "/api/v1/audit?limit=1&offset=1");
    expect([page.body.total, page.body.items.length, page.body.items[0].action]).toEqual([2, 1, "member.create"]);
    expect((await h.staff.call("GET", "/api/v1/audit")).status).toBe(403);
  });

  test("the existing staff plugins audit with the signed-in actor", async () => {
    const h = await setup();
    h.rt.db.run("INSERT INTO devices (vendor, device_key, first_seen, last_seen) VALUES ('lefu', 'AA', 1, 1)");
    const r = await h.staff.call("PATCH", "/api/v1/devices/1", { name: "Front scale" });
    expect(r.status).toBe(200);
    expect((await h.admin.call("GET", "/api/v1/audit?entity=device")).body.items[0]).toMatchObject({ actor: "frontdesk", action: "device.update", after: { name: "Front scale" } });
  });
});
