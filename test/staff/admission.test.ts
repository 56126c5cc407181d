/**
 * Device admission from the staff side (security issue, points 4 and 5; spec §0.3): the pairing
 * window, join requests an admin approves, Lefu scales impersonated on register, member look-ups
 * throttled per device and address, and waiting records of silent devices pruned.
 */
import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { LOOKUPS_PER_MINUTE_PER_ADDRESS, LOOKUPS_PER_MINUTE_PER_DEVICE } from "../../src/devices/youjiu/throttle.ts";
import { runtimePerTest } from "../helpers.ts";
import { seedWorld } from "../fixtures/world.ts";
import { signIn } from "./session.ts";

const fresh = runtimePerTest();
const XONE = "3398182015544";

const device = (h: ReturnType<typeof fresh>, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  h.app
    .handle(new Request(`http://localhost${path}`, { method: body === undefined ? "GET" : "POST", headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }))
    .then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe("the pairing window and join requests", () => {
  test("staff open it for N minutes, read it, close it; it closes by itself; every change is audited", async () => {
    const h = fresh();
    const s = await signIn(h.rt, h.app, { role: "staff" });
    expect((await s.call("GET", "/api/v1/devices/pairing")).body).toEqual({ open: false, until: null, openedBy: null });
    const opened = await s.call("POST", "/api/v1/devices/pairing", { minutes: 10 });
    expect(opened.body).toEqual({ open: true, until: h.clock.now() + 600_000, openedBy: "frontdesk" });
    expect((await s.call("POST", "/api/v1/devices/pairing", { minutes: 0 })).status).toBe(422);
    expect((await s.call("POST", "/api/v1/devices/pairing", { minutes: 61 })).status).toBe(422);
    h.clock.advance(600_001);
    expect((await s.call("GET", "/api/v1/devices/pairing")).body.open).toBe(false);
    await s.call("POST", "/api/v1/devices/pairing", {});
    expect((await s.call("DELETE", "/api/v1/devices/pairing")).body.open).toBe(false);
    const actions = h.rt.db.query("SELECT action FROM audit WHERE action LIKE 'devices.pairing%' ORDER BY id").all();
    expect(actions).toEqual([{ action: "devices.pairing_open" }, { action: "devices.pairing_open" }, { action: "devices.pairing_close" }]);
    // Without a session: refused like every staff route.
    expect((await h.app.handle(new Request("http://localhost/api/v1/devices/pairing", { method: "POST", headers: { origin: "http://localhost" } }))).status).toBe(401);
  });

  test("an unknown XONE asks to join; an admin approves it; it then activates once and gets member data", async () => {
    const h = fresh();
    seedWorld(h.rt.db, h.rt.settings, h.clock.now(), { "youjiu.requireToken": true });
    const admin = await signIn(h.rt, h.app);
    const staff = await signIn(h.rt, h.app, { role: "staff" });
    const sn = "4400000000001";
    expect((await device(h, `/youjiu/activate?sn=${sn}`, {})).status).toBe(403);
    const joins = (await staff.call("GET", "/api/v1/device-join-requests")).body;
    expect(joins).toMatchObject([{ vendor: "youjiu", key: sn, attempts: 1 }]);
    expect((await staff.call("POST", `/api/v1/device-join-requests/${joins[0].id}/approve`)).status).toBe(403); // admins only
    const approved = await admin.call("POST", `/api/v1/device-join-requests/${joins[0].id}/approve`);
    expect(approved.status).toBe(200);
    expect((await staff.call("GET", "/api/v1/device-join-requests")).body).toEqual([]);
    const act = await device(h, `/youjiu/activate?sn=${sn}`, {});
    expect(act.body.result.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const tok = await device(h, `/youjiu/tokens?sn=${sn}&secret=${act.body.result.secret}`);
    const card = await device(h, "/youjiu/third_user", { type: "card-ed", value: { card_no_dec: "3865598306" } }, { authorization: `Bearer ${tok.body.result.token}` });
    expect(card.body.result.user_info.uid).toBe(1001);
    // Dismissing another request removes it.
    await device(h, "/youjiu/activate?sn=4400000000002", {});
    const other = (await staff.call("GET", "/api/v1/device-join-requests")).body[0];
    expect((await staff.call("DELETE", `/api/v1/device-join-requests/${other.id}`)).status).toBe(200);
    expect((await staff.call("GET", "/api/v1/device-join-requests")).body).toEqual([]);
  });
});

describe("Lefu scales cannot be impersonated into members' histories", () => {
  const torre = (sn: string, mac: string, memberid: string, ts: number) => ({
    sn, mac, scaleType: 0, list: [{ memberid, userid: "u", weight: 70.5, timestamp: ts, data: [{ impedance: "500" }] }],
  });
  const post = (h: ReturnType<typeof fresh>, path: string, body: unknown, ip: string) =>
    h.app.handle(new Request(`http://localhost${path}`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": ip }, body: JSON.stringify(body) }));

  test("pairing closed: an unknown scale's uploads are stored and acknowledged but wait as claims until approved", async () => {
    const h = fresh();
    const res = await post(h, "/lefu/wifi/torre/record", torre("NEWSCALE01", "AA:BB:CC:00:00:01", "m1", 1762400000), "10.0.0.7");
    expect(((await res.json()) as any).text).toBe("success");
    expect(h.rt.db.query("SELECT status, claim_reason FROM measurements").all()).toEqual([{ status: "unassigned", claim_reason: "unapproved_device" }]);
    expect(h.rt.db.query("SELECT approved FROM devices WHERE device_key = 'NEWSCALE01'").get()).toEqual({ approved: 0 });
    // Opened: the next new scale is approved on first contact.
    h.rt.pairing.open(10, "test");
    await post(h, "/lefu/wifi/torre/register", { sn: "NEWSCALE02", mac: "AA:BB:CC:00:00:02" }, "10.0.0.8");
    expect(h.rt.db.query("SELECT approved FROM devices WHERE device_key = 'NEWSCALE02'").get()).toEqual({ approved: 1 });
  });

  test("a memberid link belongs to its scale; the same memberid on another scale is a claim with the member suggested", async () => {
    const h = fresh();
    seedWorld(h.rt.db, h.rt.settings, h.clock.now());
    h.rt.pairing.open(10, "test");
    // The world's link: memberid 9216776f… → 1001 on scale CFE8050813BA.
    const memberid = "9216776f-2a35-4ca1-8427-668087a47ed8";
    await post(h, "/lefu/wifi/torre/record", torre("CFE8050813BA", "CF:E8:05:08:13:BA", memberid, 1762400000), "10.0.0.5");
    await post(h, "/lefu/wifi/torre/record", torre("OTHERSCALE1", "CF:E8:05:08:99:99", memberid, 1762400060), "10.0.0.6");
    const rows = h.rt.db.query("SELECT d.device_key, m.member_id, m.status, m.claim_reason, m.suggested_member_id FROM measurements m JOIN devices d ON d.id = m.device_id ORDER BY m.id").all();
    expect(rows).toEqual([
      { device_key: "CFE8050813BA", member_id: 1001, status: "assigned", claim_reason: null, suggested_member_id: null },
      { device_key: "OTHERSCALE1", member_id: null, status: "unassigned", claim_reason: "identity_other_scale", suggested_member_id: 1001 },
    ]);
  });

  test("a register call from another MAC or address does not rewrite an approved scale; it is a diagnostic staff see", async () => {
    const h = fresh();
    h.rt.pairing.open(10, "test");
    const s = await signIn(h.rt, h.app, { role: "staff" });
    // Served over a socket so the remote address is real; the impostor differs by MAC.
    await post(h, "/lefu/wifi/torre/register", { sn: "SCALE00001", mac: "AA:AA:AA:AA:AA:01" }, "10.0.0.5");
    const before = h.rt.db.query("SELECT mac, last_ip FROM devices WHERE device_key = 'SCALE00001'").get();
    await post(h, "/lefu/wifi/torre/register", { sn: "SCALE00001", mac: "EE:EE:EE:EE:EE:66" }, "10.0.0.66");
    expect(h.rt.db.query("SELECT mac, last_ip FROM devices WHERE device_key = 'SCALE00001'").get()).toEqual(before);
    const diags = (await s.call("GET", "/api/v1/device-diagnostics")).body;
    expect(diags).toMatchObject([{ kind: "register_mismatch", device: { key: "SCALE00001" }, detail: { mac: "EE:EE:EE:EE:EE:66", storedMac: "AA:AA:AA:AA:AA:01" } }]);
  });
});

describe("member look-ups are throttled per device and per address", () => {
  test("over the limit: a retry answer, counted on /metrics; other devices go on", async () => {
    const h = fresh();
    seedWorld(h.rt.db, h.rt.settings, h.clock.now());
    const admin = await signIn(h.rt, h.app);
    // Over a real socket, so the address is known; devices without tokens (requireToken=false in the world).
    const server = h.app.listen({ port: 0, hostname: "127.0.0.1", reusePort: false });
    try {
      const id = async (value: string, headers: Record<string, string> = {}) => {
        const r = await fetch(`http://127.0.0.1:${server.server!.port}/youjiu/third_user`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ type: "id", value }) });
        return { status: r.status, body: (await r.json()) as any };
      };
      for (let i = 0; i < LOOKUPS_PER_MINUTE_PER_ADDRESS; i++) expect((await id(`M9${i}`)).body.result.login_control.allow_login).toBe(0);
      const over = await id("M1001");
      expect([over.status, over.body.result]).toEqual([200, { login_control: { allow_login: 2, message: "Too many attempts. Please wait a minute and try again." } }]);
      const metrics = await admin.call("GET", "/metrics");
      expect(metrics.text).toContain('bodydock_youjiu_lookups_throttled_total{by="address"} 1');
      // A minute later the window is new.
      h.clock.advance(60_000);
      expect((await id("M1001")).body.result.user_info.uid).toBe(1001);
      // Per device (by its token's SN): a lower limit.
      h.clock.advance(60_000);
      h.rt.settings.set("youjiu.requireToken", true, "test");
      const key = new TextEncoder().encode("fixture-youjiu-signing-key-not-for-production");
      const nowS = Math.floor(h.clock.now() / 1000);
      const token = await new SignJWT({ sn: XONE }).setProtectedHeader({ alg: "HS256" }).setAudience("bodydock-youjiu").setIssuedAt(nowS).setExpirationTime(nowS + 600).sign(key);
      const auth = { authorization: `Bearer ${token}` };
      for (let i = 0; i < LOOKUPS_PER_MINUTE_PER_DEVICE; i++) await id(`M8${i}`, auth);
      expect((await id("M1001", auth)).body.result.login_control.allow_login).toBe(2);
      expect((await admin.call("GET", "/metrics")).text).toContain('bodydock_youjiu_lookups_throttled_total{by="device"} 1');
    } finally {
      server.stop(true);
    }
  });
});

describe("waiting records of devices that stopped polling are pruned", () => {
  test("after 10 minutes of silence, unless a push is still pending", async () => {
    const h = fresh();
    seedWorld(h.rt.db, h.rt.settings, h.clock.now());
    const y = h.rt.youjiu;
    await device(h, "/youjiu/third_user", { type: "f-push", value: XONE });
    await device(h, "/youjiu/third_user", { type: "f-push", value: "1104221907007" });
    expect(y.service.waiting.size).toBe(2);
    h.clock.advance(11 * 60_000);
    await device(h, "/youjiu/third_user", { type: "f-push", value: "1104221907007" });
    expect([...y.service.waiting.keys()]).toEqual(["1104221907007"]);
  });
});
