import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { phoneVariants } from "../../src/core/members.ts";
import { cardCandidates, cardFrom, qrKey, reverseBytes, userInfo } from "../../src/devices/youjiu/wire.ts";
import { seedWorld } from "../fixtures/world.ts";
import { everyStoredText } from "../fixtures/then.ts";
import { runtimePerTest, until } from "../helpers.ts";

const fresh = runtimePerTest();
const XONE = "3398182015544";
const KEY = "fixture-youjiu-signing-key-not-for-production";

function setup(config: Record<string, unknown> = {}) {
  const h = fresh();
  seedWorld(h.rt.db, h.rt.settings, h.clock.now(), config);
  const y = h.rt.youjiu;
  const third = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await h.app.handle(
      new Request("http://localhost/youjiu/third_user", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    return { status: res.status, body: (await res.json()) as { code: number; message: string; result: Record<string, any> } };
  };
  const count = (table: string, where = "1") => (h.rt.db.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
  return { ...h, y, third, count };
}

async function token(claims: Record<string, unknown>, key = KEY, alg = "HS256") {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(key));
}
const NOW_S = 1762430400;

describe("tokens on /third_user", () => {
  test("every carrier is accepted and the SN goes into extend_data", async () => {
    const h = setup();
    const t = await token({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S - 60, exp: NOW_S + 3540 });
    const carriers: Array<[Record<string, string>, string]> = [
      [{ authorization: `Bearer ${t}` }, ""],
      [{ authorization: `token ${t}` }, ""],
      [{ authorization: t }, ""],
      [{ token: t }, ""],
      [{ "x-token": t }, ""],
    ];
    for (const [headers] of carriers) {
      const r = await h.third({ type: "scan", value: "BD-M1001-7F3K" }, headers);
      expect(r.body.result.extend_data).toBe(`bd1|m=1001|sn=${XONE}|t=${NOW_S}`);
    }
    const q = await h.app.handle(new Request(`http://localhost/youjiu/third_user?token=${t}`, { method: "POST", body: JSON.stringify({ type: "scan", value: "BD-M1001-7F3K" }) }));
    expect(((await q.json()) as any).result.extend_data).toContain(XONE);
    const b = await h.third({ type: "scan", value: "BD-M1001-7F3K", token: t });
    expect(b.body.result.extend_data).toContain(XONE);
  });

  const bad: Array<[string, () => Promise<string>, string]> = [
    ["wrong key", () => token({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S, exp: NOW_S + 100 }, "another-key-entirely-xxxxxxxx"), "UNAUTHORIZED"],
    ["expired", () => token({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S - 7200, exp: NOW_S - 3600 }), "TOKEN_EXPIRED"],
    ["wrong audience", () => token({ sn: XONE, aud: "someone-else", iat: NOW_S, exp: NOW_S + 100 }), "UNAUTHORIZED"],
    ["unknown SN", () => token({ sn: "0000", aud: "bodydock-youjiu", iat: NOW_S, exp: NOW_S + 100 }), "UNAUTHORIZED"],
    ["HS512", () => token({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S, exp: NOW_S + 100 }, KEY, "HS512"), "UNAUTHORIZED"],
    [
      "alg none",
      async () => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
        return `${enc({ alg: "none", typ: "JWT" })}.${enc({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S, exp: NOW_S + 100 })}.`;
      },
      "UNAUTHORIZED",
    ],
    ["garbage", async () => "not-a-token", "UNAUTHORIZED"],
  ];
  for (const [name, make, message] of bad) {
    test(`${name}: 401 ${message}, so the device refreshes; nothing identified`, async () => {
      const h = setup();
      const r = await h.third({ type: "scan", value: "BD-M1001-7F3K" }, { authorization: `Bearer ${await make()}` });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ code: 40101, message, result: {} });
      expect(h.count("login_events")).toBe(0);
      expect(h.count("captures", "auth_failure = 1")).toBe(1);
    });
  }

  test("a revoked device's token is refused", async () => {
    const h = setup();
    h.rt.db.run(`UPDATE devices SET revoked = 1 WHERE device_key = '${XONE}'`);
    const t = await token({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S, exp: NOW_S + 100 });
    expect((await h.third({ type: "scan", value: "BD-M1001-7F3K" }, { authorization: `Bearer ${t}` })).status).toBe(401);
  });

  test("tokens are never stored in clear in captures", async () => {
    const h = setup();
    const t = await token({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S, exp: NOW_S + 100 });
    await h.third({ type: "scan", value: "BD-M1001-7F3K", token: t });
    const res = await h.app.handle(new Request(`http://localhost/youjiu/tokens?sn=${XONE}&secret=fixture-secret-xone-0001`));
    const issued = ((await res.json()) as any).result.token as string;
    const stored = everyStoredText(h.rt.db).join("\n");
    expect(stored).not.toContain(t.split(".")[2]!);
    expect(stored).not.toContain(issued.split(".")[2]!);
    expect(stored).not.toContain("fixture-secret-xone-0001\"");
  });
});

describe("/activate and /tokens", () => {
  const activate = async (h: ReturnType<typeof setup>, sn: string) => {
    const res = await h.app.handle(new Request(`http://localhost/activate?sn=${sn}`, { method: "POST" }));
    return { status: res.status, body: (await res.json()) as any };
  };
  const tokens = async (h: ReturnType<typeof setup>, sn: string, secret: string) => {
    const res = await h.app.handle(new Request(`http://localhost/youjiu/tokens?sn=${sn}&secret=${encodeURIComponent(secret)}`));
    return { status: res.status, body: (await res.json()) as any };
  };

  test("multipart form activation while pairing; the secret is never given out again; a reset gives a new one once", async () => {
    const h = setup();
    h.rt.pairing.open(10, "test");
    const form = new FormData();
    form.set("sn", "8800000000001");
    const first = (await (await h.app.handle(new Request("http://localhost/youjiu/activate", { method: "POST", body: form }))).json()) as any;
    expect(first.result.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await activate(h, "8800000000001");
    expect([again.status, again.body]).toEqual([403, { code: 40301, message: "ALREADY_ACTIVATED", result: {} }]);
    expect(JSON.stringify(again.body)).not.toContain(first.result.secret);
    await h.rt.writes.enqueue(() => h.rt.repos.youjiu.resetSecret("8800000000001"));
    const fresh = await activate(h, "8800000000001");
    expect(fresh.body.result.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh.body.result.secret).not.toBe(first.result.secret);
    expect((await activate(h, "8800000000001")).status).toBe(403); // once
  });

  test("a reset revokes the old secret at once, even with autoActivate on and before the device activates again", async () => {
    const h = setup({ "youjiu.autoActivate": true });
    expect((await tokens(h, XONE, "fixture-secret-xone-0001")).status).toBe(200);
    await h.rt.writes.enqueue(() => h.rt.repos.youjiu.resetSecret(XONE));
    const old = await tokens(h, XONE, "fixture-secret-xone-0001");
    expect([old.status, old.body.message]).toEqual([403, "INVALID_SECRET"]);
    // A new secret the device chose is trusted on first use, and is then the only one.
    expect((await tokens(h, XONE, "a-new-secret-of-the-device")).status).toBe(200);
    expect((await tokens(h, XONE, "fixture-secret-xone-0001")).status).toBe(403);
  });

  test("pairing window closed: unknown SNs are refused on /activate and /tokens and listed as asking to join, capped", async () => {
    const h = setup();
    const a = await activate(h, "9900000000001");
    expect([a.status, a.body]).toEqual([403, { code: 40301, message: "DEVICE_NOT_ALLOWED", result: {} }]);
    const t = await tokens(h, "9900000000002", "whatever");
    expect([t.status, t.body.message]).toEqual([403, "DEVICE_NOT_ALLOWED"]);
    const devicesBefore = h.rt.db.query("SELECT COUNT(*) AS n FROM devices").get();
    for (let i = 0; i < 80; i++) await activate(h, `77000000${String(i).padStart(5, "0")}`);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM devices").get()).toEqual(devicesBefore);
    const joins = h.rt.db.query("SELECT COUNT(*) AS n FROM device_join_requests").get() as { n: number };
    expect(joins.n).toBe(50);
    // Opened: the same SN joins.
    h.rt.pairing.open(10, "test");
    const ok = await activate(h, "9900000000001");
    expect(ok.status).toBe(200);
    expect(h.rt.db.query("SELECT COUNT(*) AS n FROM device_join_requests WHERE device_key = '9900000000001'").get()).toEqual({ n: 0 });
    // The window closes by itself.
    h.clock.advance(10 * 60_000 + 1);
    expect((await activate(h, "9900000000003")).status).toBe(403);
  });

  test("autoActivate off: unknown SNs are refused with 403 (never 401)", async () => {
    const h = setup({ "youjiu.autoActivate": false });
    const a = await h.app.handle(new Request("http://localhost/youjiu/activate", { method: "POST", body: "sn=123" }));
    expect([a.status, ((await a.json()) as any).message]).toEqual([403, "DEVICE_NOT_ALLOWED"]);
    const t = await h.app.handle(new Request("http://localhost/youjiu/tokens?sn=123&secret=x"));
    expect([t.status, ((await t.json()) as any).message]).toEqual([403, "DEVICE_NOT_ALLOWED"]);
  });

  test("missing parameters: 400 MISSING_PARAMETER", async () => {
    const h = setup();
    const t = await h.app.handle(new Request(`http://localhost/youjiu/tokens?sn=${XONE}`));
    expect([t.status, ((await t.json()) as any).message]).toEqual([400, "MISSING_PARAMETER"]);
  });
});

describe("lookups", () => {
  test("cards: decimal with leading zeros, hex in either byte order, a plain or JSON string", async () => {
    const h = setup();
    const values = ["0003865598306", "E6685962", "625968E6", '{"card_no_hex":"625968e6"}', { card_no_dec: "3865598306", card_no_hex: "FFFFFFFF" }];
    for (const value of values) {
      const r = await h.third({ type: "card-ed", value });
      expect(r.body.result.user_info?.uid).toBe(1001);
    }
  });
  test("an idle card reader poll (empty value) waits", async () => {
    const h = setup();
    expect((await h.third({ type: "card-ed", value: "" })).body.result).toEqual({ waiting: 1 });
    expect((await h.third({ type: "card-ed" })).body.result).toEqual({ waiting: 1 });
  });
  test("unknownCardMode=wait: waits up to 60 s for staff to enrol, then refuses", async () => {
    const h = setup({ "youjiu.unknownCardMode": "wait" });
    expect((await h.third({ type: "card-ed", value: "1111111111" })).body.result).toEqual({ waiting: 1 });
    h.clock.advance(61_000);
    expect((await h.third({ type: "card-ed", value: "1111111111" })).body.result.login_control.allow_login).toBe(0);
  });
  test("id: phone with or without the country code and leading zeros, e-mail, member number", async () => {
    const h = setup({ "youjiu.countryCallingCode": "44" });
    for (const v of ["447700900123", "+44 (0) 7700 900123", "07700 900123", "ALEX@example.com", "m1001"]) {
      expect((await h.third({ type: "id", value: v })).body.result.user_info?.uid).toBe(1001);
    }
  });
  test("scan: an ID-card style value is split into segments", async () => {
    const h = setup();
    expect((await h.third({ type: "scan", value: "ALEX MORGAN/M/BD-M1001-7F3K/2030" })).body.result.user_info?.uid).toBe(1001);
  });
  test("several active members matching is ambiguous; a suspended one is inactive", async () => {
    const h = setup();
    h.rt.db.run("UPDATE members SET phone_norm = '13900000000' WHERE id = 1003");
    expect((await h.third({ type: "id", value: "13900000000" })).body.result.login_control.message).toContain("More than one");
    expect((await h.third({ type: "scan", value: "BD-M1004-D4N4" })).body.result.login_control.message).toContain("inactive");
  });
});

describe("push login", () => {
  test("pushing to a device that is not waiting fails; the window follows the last poll", async () => {
    const h = setup();
    expect(h.y.service.push(XONE, 1001, undefined, "staff")).toBe("error:DEVICE_NOT_WAITING");
    await h.third({ type: "f-push", value: XONE });
    h.clock.advance(3001);
    expect(h.y.service.push(XONE, 1001, undefined, "staff")).toBe("error:DEVICE_NOT_WAITING");
    await h.third({ type: "f-push", value: XONE });
    expect(h.y.service.push(XONE, 1004, undefined, "staff")).toBe("error:MEMBER_INACTIVE");
    expect(h.y.service.push(XONE, 4242, undefined, "staff")).toBe("error:MEMBER_NOT_FOUND");
    expect(h.y.service.push(XONE, 1001, "meas-composition-posture", "staff")).toBe("error:INVALID_SCENE");
    expect(h.y.service.push(XONE, 1001, undefined, "staff")).toBe("ok");
  });

  test("delivered exactly once, with the default scene when none was chosen", async () => {
    const h = setup();
    await h.third({ type: "f-push", value: XONE });
    h.y.service.push(XONE, 1002, undefined, "staff");
    h.clock.advance(1000);
    const first = await h.third({ type: "f-push", value: XONE });
    expect(first.body.result.user_info.uid).toBe(1002);
    expect(first.body.result.scene).toBe("meas-composition");
    h.clock.advance(1000);
    expect((await h.third({ type: "f-push", value: XONE })).body.result).toEqual({ waiting: 1 });
    expect(h.count("login_events", "outcome = 'delivered' AND pushed_by = 'staff'")).toBe(1);
  });

  test("a push expires after pushTtlSeconds; a newer push supersedes an older one", async () => {
    const h = setup({ "youjiu.pushTtlSeconds": 5 });
    const events: string[] = [];
    h.y.service.on((e) => events.push(e.type));
    await h.third({ type: "f-push", value: XONE });
    h.y.service.push(XONE, 1001, undefined, "staff");
    h.y.service.push(XONE, 1002, "meas-girth", "staff");
    h.clock.advance(1000);
    const delivered = await h.third({ type: "f-push", value: XONE });
    expect(delivered.body.result.user_info.uid).toBe(1002);
    expect(events).toEqual(["waiting", "pushed", "superseded", "pushed", "delivered"]);
    h.y.service.push(XONE, 1001, undefined, "staff");
    h.clock.advance(6000);
    h.y.service.sweep();
    expect(events.at(-1)).toBe("expired");
    expect((await h.third({ type: "f-push", value: XONE })).body.result).toEqual({ waiting: 1 });
  });

  test("§0.3 defaults: a push is accepted only within 1.5 s of a poll and expires 5 s later, reported at once", async () => {
    const h = setup();
    const events: string[] = [];
    await h.third({ type: "f-push", value: XONE });
    h.clock.advance(1600); // the member walked away from the screen
    expect(h.y.service.push(XONE, 1001, undefined, "staff")).toBe("error:DEVICE_NOT_WAITING");
    await h.third({ type: "f-push", value: XONE });
    h.clock.advance(300);
    expect(h.y.service.push(XONE, 1001, undefined, "staff")).toBe("ok");
    h.y.service.on((e) => events.push(e.type)); // a staff page listening
    h.clock.advance(5001);
    // No sweep has run: reading the waiting devices (what the staff API does) already says expired.
    expect(h.y.service.waitingDevices().find((w) => w.sn === XONE)?.pendingPush).toBeNull();
    expect(events).toContain("expired");
    // The device that comes back 20 s later gets no stale login for whoever stands there now.
    h.clock.advance(15_000);
    expect((await h.third({ type: "f-push", value: XONE })).body.result).toEqual({ waiting: 1 });
  });

  test("a member suspended after the push is refused at delivery", async () => {
    const h = setup();
    await h.third({ type: "f-push", value: XONE });
    h.y.service.push(XONE, 1001, undefined, "staff");
    h.rt.db.run("UPDATE members SET status = 'suspended' WHERE id = 1001");
    const r = await h.third({ type: "f-push", value: XONE });
    expect(r.body.result.login_control.message).toContain("inactive");
    expect(h.count("login_events", "outcome = 'rejected_inactive'")).toBe(1);
  });

  test("waiting polls write nothing but the first capture of a session", async () => {
    const h = setup();
    for (let i = 0; i < 50; i++) {
      await h.third({ type: "f-push", value: XONE });
      h.clock.advance(1000);
    }
    expect(h.count("captures")).toBe(1);
    h.clock.advance(11_000); // a gap: a new session
    await h.third({ type: "f-push", value: XONE });
    expect(h.count("captures")).toBe(2);
    expect(h.rt.writes.stats.jobs).toBe(2);
  });
});

describe("QR", () => {
  test("bound once, re-delivered within 10 s, then gone; a URL binds by its UUID", async () => {
    const h = setup();
    const uuid = "0c376c08-a879-4caa-8262-109eff12b4ae";
    expect(h.y.service.bindQr(`https://x.example/q?id=${uuid.toUpperCase()}`, 1001)).toBe("ok");
    expect((await h.third({ type: "qr", value: uuid })).body.result.user_info.uid).toBe(1001);
    h.clock.advance(5000);
    expect((await h.third({ type: "qr", value: uuid })).body.result.user_info.uid).toBe(1001);
    h.clock.advance(6000);
    expect((await h.third({ type: "qr", value: uuid })).body.result).toEqual({ waiting: 1 });
    expect(h.count("login_events")).toBe(1);
  });
  test("a binding expires after qrBindingTtlSeconds", async () => {
    const h = setup();
    h.y.service.bindQr("abc-123", 1001);
    h.clock.advance(121_000);
    expect((await h.third({ type: "qr", value: "abc-123" })).body.result).toEqual({ waiting: 1 });
  });
});

describe("messages, scenes, limits", () => {
  test("zh-CN messages and staff overrides", async () => {
    const h = setup({ "youjiu.locale": "zh-CN" });
    expect((await h.third({ type: "id", value: "nobody" })).body.result.login_control.message).toBe("未找到会员，请联系前台。");
    h.rt.settings.set("youjiu.messages.unknownMember", "Ask at the desk", "admin");
    expect((await h.third({ type: "id", value: "nobody" })).body.result.login_control.message).toBe("Ask at the desk");
  });
  test("allowedScenes refuses other scenes; a missing scene is always served", async () => {
    const h = setup({ "youjiu.allowedScenes": ["meas-composition"] });
    expect((await h.third({ type: "scan", value: "BD-M1001-7F3K", scene: "meas-3t" })).body.result.login_control.message).toBe("This assessment is not enabled.");
    expect((await h.third({ type: "scan", value: "BD-M1001-7F3K" })).body.result.user_info.uid).toBe(1001);
  });
  test("8 MiB limit: 413 PAYLOAD_TOO_LARGE; disabled: 404 NOT_ENABLED; never a 5xx for bad input", async () => {
    const h = setup();
    const big = await h.third({ type: "face_image", value: "x".repeat(9 * 1024 * 1024) });
    expect([big.status, big.body.code, big.body.message]).toEqual([413, 41301, "PAYLOAD_TOO_LARGE"]);
    for (const body of ["", "[]", "{}", '{"type":5}', '{"type":"qr","value":{"a":1}}', "\u0000\u0001", '{"type":"id","value":"' + "9".repeat(5000) + '"}', "[".repeat(20000) + "]".repeat(20000), '{"token":"x","a":' + "[".repeat(20000) + "]".repeat(20000) + "}"]) {
      expect((await h.third(body)).status).toBeLessThan(500);
    }
    h.rt.settings.set("youjiu.enabled", false, "t");
    const off = await h.third({ type: "scan", value: "x" });
    expect([off.status, off.body.message]).toEqual([404, "NOT_ENABLED"]);
  });
  test("a face image is never stored or logged, even when the body is truncated", async () => {
    const h = setup();
    const img = "data:image/png;base64," + "QUJD".repeat(1000);
    await h.third({ type: "face_image", value: img });
    await h.third(`{"type":"face_image","value":"${img.slice(0, 2000)}`);
    await until(() => h.log.lines.filter((l) => l.msg === "request").length >= 2, "every request logged"); // then nothing is left to write
    expect(everyStoredText(h.rt.db).some((v) => v.includes("QUJDQUJD"))).toBe(false);
    expect(h.log.lines.some((l) => JSON.stringify(l).includes("QUJDQUJD"))).toBe(false);
  });
});

describe("wire helpers", () => {
  test("card candidates follow §4.6.3 order", () => {
    expect(reverseBytes("625968E6")).toBe("E6685962");
    expect(cardCandidates(cardFrom({ card_no_dec: "3865598306", card_no_hex: "e6685962" }))).toEqual([
      { by: "dec", value: "3865598306" },
      { by: "hex", value: "E6685962" },
      { by: "hex", value: "625968E6" },
      { by: "dec", value: "1650026726" },
    ]);
  });
  test("phone variants with a country code", () => {
    expect(phoneVariants("+44 7700 900123", "44").sort()).toEqual(["447700900123", "44447700900123", "7700900123"].sort());
    expect(phoneVariants("+44 (0) 7700 900123", "44")).toContain("447700900123");
    expect(phoneVariants("07700 900123", null)).toEqual(["7700900123"]);
  });
  test("qr key extracts a UUID", () => expect(qrKey("HTTPS://A/B?x=0C376C08-A879-4CAA-8262-109EFF12B4AE&y")).toBe("0c376c08-a879-4caa-8262-109eff12b4ae"));
  test("user_info bounds: age 3–99, height 90–240, china11 phones, nickname ≤ 20", () => {
    const now = Date.UTC(2025, 10, 6);
    const base = { id: 7, name: "Eli Young", nickname: null, phone: "12", sex: "unspecified" as const, birthday: "1920-01-01", heightCm: 250, athlete: false, status: "active" as const };
    expect(userInfo(base, now, "international", "UTC")).toEqual({ uid: 7, phone: "12", nick_name: "Eli" });
    // china11: exactly 11 digits go as they are; anything else (13 digits with +86) becomes the member id padded to 11.
    expect(userInfo({ ...base, phone: "+86 139 0000 0000", nickname: "A".repeat(30) }, now, "china11", "UTC")).toEqual({ uid: 7, phone: "00000000007", nick_name: "A".repeat(20) });
    expect(userInfo({ ...base, phone: "139 0000 0000" }, now, "china11", "UTC").phone).toBe("13900000000");
    expect(userInfo({ ...base, phone: "+86 139 0000 0000" }, now, "international", "UTC").phone).toBe("8613900000000");
    expect(userInfo({ ...base, heightCm: 180.5, birthday: "2022-11-07" }, now, "international", "UTC").height).toBe(181);
    expect(userInfo({ ...base, birthday: "2022-11-06" }, now, "international", "UTC").birthday).toBe("2022-11-06");
    expect(userInfo({ ...base, birthday: "2022-11-07" }, now, "international", "UTC").birthday).toBeUndefined();
  });
  test("an identified member's birthday is sent by the age on the gym's date (gym.timeZone setting)", async () => {
    const sent: Record<string, unknown> = {};
    for (const tz of ["Asia/Shanghai", "UTC"]) {
      const h = setup({ "gym.timeZone": tz });
      h.clock.set(Date.UTC(2025, 10, 6, 20)); // 7 Nov 04:00 in Shanghai
      h.rt.db.run("UPDATE members SET birthday = '2022-11-07' WHERE id = 1001"); // 3 today in Shanghai, 2 in UTC
      sent[tz] = (await h.third({ type: "scan", value: "BD-M1001-7F3K" })).body.result.user_info.birthday;
    }
    expect(sent).toEqual({ "Asia/Shanghai": "2022-11-07", UTC: undefined });
  });
  test("user_info counts the age on the gym's calendar (gym.timeZone), not the server's or UTC", () => {
    const evening = Date.UTC(2025, 10, 6, 20); // 6 Nov 20:00 UTC = 7 Nov 04:00 in Shanghai, 6 Nov 15:00 in New York
    const m = { id: 7, name: "Kid", nickname: null, phone: "12", sex: "female" as const, birthday: "2022-11-07", heightCm: 100, athlete: false, status: "active" as const };
    expect(userInfo(m, evening, "international", "Asia/Shanghai").birthday).toBe("2022-11-07"); // 3 today in the gym
    expect(userInfo(m, evening, "international", "America/New_York").birthday).toBeUndefined(); // still 2
    expect(userInfo(m, evening, "international", "UTC").birthday).toBeUndefined();
  });
});

describe("§0.3: answer shapes and devices proving who they are", () => {
  const RETRY = { code: 0, message: "SUCCESS", result: { login_control: { allow_login: 2, message: "Please try again." } } };
  test("a readable attempt that cannot be served is HTTP 200 with allow_login 2, in the device's language", async () => {
    const h = setup();
    const cases: unknown[] = ["{not json", { value: "BD-M1001-7F3K" }, { type: "", value: "x" }, { type: "scan" }, { type: "id", value: "  " }, { type: "qr" }, { type: "face_image" }, { type: "f-push" }];
    for (const body of cases) {
      const r = await h.third(body);
      expect([JSON.stringify(body), r.status, r.body]).toEqual([JSON.stringify(body), 200, RETRY]);
    }
    h.rt.settings.set("youjiu.locale", "zh-CN", "test");
    expect((await h.third({ value: "x" })).body.result.login_control.message).toBe("请重试。");
  });

  test("with a token the SN is the token's: an f-push or qr for another SN is refused, logged, and collects nothing", async () => {
    const h = setup({ "youjiu.requireToken": true });
    const other = "1104221907007";
    const mine = `Bearer ${await token({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S - 60, exp: NOW_S + 3540 })}`;
    const theirs = `Bearer ${await token({ sn: other, aud: "bodydock-youjiu", iat: NOW_S - 60, exp: NOW_S + 3540 })}`;
    // The other device waits for a push, and staff push to it.
    expect((await h.third({ type: "f-push", value: other }, { authorization: theirs })).body.result).toEqual({ waiting: 1 });
    expect(h.y.service.push(other, 1001, undefined, "desk")).toBe("ok");
    const stolen = await h.third({ type: "f-push", value: other }, { authorization: mine });
    expect([stolen.status, stolen.body]).toEqual([403, { code: 40302, message: "SN_MISMATCH", result: {} }]);
    expect(h.log.lines.some((l) => l.msg === "youjiu: request names another SN than its token")).toBe(true);
    // A token-bearing poll with no value is its own SN: it does not see the other's push either.
    expect((await h.third({ type: "f-push" }, { authorization: mine })).body.result).toEqual({ waiting: 1 });
    // The push is still there for the device it was made for.
    expect((await h.third({ type: "f-push", value: other }, { authorization: theirs })).body.result.user_info.uid).toBe(1001);
    // QR: a value another device's session shows, or one naming another SN, is refused.
    const qr = "5b0f6d4e-1f2a-4c3b-9d8e-7a6b5c4d3e2f";
    expect((await h.third({ type: "qr", value: qr }, { authorization: theirs })).body.result).toEqual({ waiting: 1 });
    expect((await h.third({ type: "qr", value: qr }, { authorization: mine })).status).toBe(403);
    expect((await h.third({ type: "qr", value: `https://x.example/q?sn=${other}&id=1` }, { authorization: mine })).status).toBe(403);
    expect((await h.third({ type: "qr", value: crypto.randomUUID() }, { authorization: mine })).status).toBe(200);
  });

  test("without a token (requireToken=false), an f-push poll for an SN nobody approved creates no waiting record", async () => {
    const h = setup();
    const r = await h.third({ type: "f-push", value: "5550000000001" });
    expect([r.status, r.body.result]).toEqual([200, { waiting: 1 }]);
    expect(h.y.service.waiting.has("5550000000001")).toBe(false);
    expect(h.count("devices", "device_key = '5550000000001'")).toBe(0);
    expect(h.count("device_join_requests", "device_key = '5550000000001'")).toBe(1);
    // It polls every second: asked again within the poll session, nothing more is written.
    const captures = h.count("captures");
    h.clock.advance(1000);
    expect((await h.third({ type: "f-push", value: "5550000000001" })).body.result).toEqual({ waiting: 1 });
    expect([h.count("captures"), h.rt.db.query("SELECT attempts FROM device_join_requests").get()]).toEqual([captures, { attempts: 1 }]);
    h.clock.advance(10_000);
    await h.third({ type: "f-push", value: "5550000000001" });
    expect(h.rt.db.query("SELECT attempts FROM device_join_requests").get()).toEqual({ attempts: 2 });
  });
});
