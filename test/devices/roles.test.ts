/**
 * What every device role owes the pipeline (issue 14 points 2 and 6): replays are idempotent even when
 * they arrive later (a receive time leaking into an idempotency key is caught), a Youjiu push survives a
 * failed delivery write, ages are taken on the gym's calendar, and a member's extend data reaches the device.
 */
import { signIn } from "../staff/session.ts";
import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { seedWorld } from "../fixtures/world.ts";
import { runtimePerTest } from "../helpers.ts";

const fresh = runtimePerTest();
const NOW = 1762430400000;
const SCALE = "A8:48:FA:35:14:56";
const RELAY_AUTH = "Basic Zml4dHVyZTpub3QtYS1yZWFsLXNlY3JldA==";
const XONE = "3398182015544";

function setup(config: Record<string, unknown> = {}) {
  const h = fresh();
  seedWorld(h.rt.db, h.rt.settings, NOW, config);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    h.app.handle(new Request(`http://localhost${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }));
  const q = (sql: string) => h.rt.db.query(sql).all() as Array<Record<string, unknown>>;
  const n = (sql: string) => (h.rt.db.query(sql).get() as { n: number }).n;
  return { ...h, post, q, n };
}
type H = ReturnType<typeof setup>;

async function miniToken(): Promise<string> {
  const secret = new TextEncoder().encode("test-secret-not-for-production");
  return new SignJWT({ iss: "wsp-mini", appid: "wx00fixture0000000", iat: NOW / 1000 - 30 }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
}

/** Sends the same request twice, the replay a minute (and a bit) later; returns the two answers' texts. */
async function twice(h: H, send: () => Promise<Response>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await send();
    expect(res.status).toBe(200);
    out.push(await res.text());
    h.clock.advance(61_000);
  }
  return out;
}

describe("a replay that arrives later is still the same measurement", () => {
  test("Lefu Torre: one row, the duplicate counted, the same answer shape", async () => {
    const h = setup();
    h.rt.pairing.open(60, "test");
    const body = { sn: "CFE9FA280014", mac: "CF:E9:FA:28:00:14", scaleType: 5, list: [{ memberid: "m-1", weight: 70.2, timestamp: 1762429000000 }] };
    await twice(h, () => h.post("/lefu/wifi/torre/record", body));
    expect(h.n("SELECT COUNT(*) AS n FROM measurements")).toBe(1);
    expect(h.q("SELECT dup_count FROM devices WHERE device_key = 'CFE9FA280014'")).toEqual([{ dup_count: 1 }]);
    expect(h.n("SELECT COUNT(*) AS n FROM diagnostics WHERE kind = 'conflicting_duplicate'")).toBe(0);
  });

  test("Yolanda WSP Mini: one row and one duplicate", async () => {
    const h = setup();
    const auth = `Bearer ${await miniToken()}`;
    const body = { mac: SCALE, measurements: [{ user_index: 1, timestamp: 1762429000, hmac: "E8B40DEE51140E284782FDFC52E04962", definite_flag: true, weight: 78.5, bodyfat: 18.8 }] };
    expect(await twice(h, () => h.post("/wsp-mini/measurements", body, { authorization: auth }))).toEqual(["success", "success"]);
    expect(h.n("SELECT COUNT(*) AS n FROM measurements WHERE source = 'yolanda-mini'")).toBe(1);
    expect(h.q(`SELECT dup_count FROM devices WHERE device_key = '${SCALE}'`)).toEqual([{ dup_count: 1 }]);
  });

  test("Yolanda relays (Lite, Docker, Full with several candidates): one row each", async () => {
    const h = setup();
    await twice(h, () => h.post("/wsp/measurements", { mac: SCALE, timestamp: 1762429320, weight: 54.9, hmac: "9AF9" }));
    await twice(h, () => h.post("/wsp/create_measurement", { mac: SCALE, user_index: 2, timestamp: 1762429400, weight: 54.1, bodyfat: 22, hmac: "D0" }, { authorization: RELAY_AUTH }));
    const records = [1, 2].map((slot) => ({ mac: SCALE, user_index: slot, timestamp: 1762429500, weight: 60, bodyfat: 20, hmac: `F${slot}` }));
    await twice(h, () => h.post("/wsp/create_measurements", { records }));
    expect(h.q("SELECT source, COUNT(*) AS n FROM measurements GROUP BY source ORDER BY source")).toEqual([
      { source: "yolanda-docker", n: 1 },
      { source: "yolanda-full", n: 1 },
      { source: "yolanda-lite", n: 1 },
    ]);
    expect(h.n("SELECT COUNT(*) AS n FROM diagnostics WHERE kind = 'conflicting_duplicate'")).toBe(0);
  });

  test("a replay with another weight is kept out and noted as a conflicting duplicate (Lefu and Yolanda alike)", async () => {
    const h = setup();
    h.rt.pairing.open(60, "test");
    for (const weight of [70.2, 71.2]) {
      await h.post("/lefu/wifi/torre/record", { sn: "CFE9FA280014", list: [{ memberid: "m-1", weight, timestamp: 1762429000000 }] });
      await h.post("/wsp/measurements", { mac: SCALE, timestamp: 1762429320, weight: weight - 15, hmac: "9AF9" });
      h.clock.advance(61_000);
    }
    expect(h.n("SELECT COUNT(*) AS n FROM measurements")).toBe(2);
    const diags = h.q("SELECT detail_json FROM diagnostics WHERE kind = 'conflicting_duplicate' ORDER BY id").map((r) => JSON.parse(r.detail_json as string));
    expect(diags).toEqual([
      { idemKey: expect.stringContaining("CFE9FA280014"), firstWeightKg: 70.2, replayWeightKg: 71.2 },
      { idemKey: expect.stringContaining(SCALE), firstWeightKg: 55.2, replayWeightKg: 56.2, hmacDiffers: false },
    ]);
  });

  test("Youjiu QR: a repeated poll after a lost answer gets the same answer, and one login event", async () => {
    const h = setup();
    h.rt.youjiu.service.bindQr("qr-replay-1", 1001);
    const third = async () => (await (await h.post("/youjiu/third_user", { type: "qr", value: "qr-replay-1" })).json()) as { result: Record<string, unknown> };
    const first = await third();
    h.clock.advance(5000);
    expect(await third()).toEqual(first);
    expect(h.n("SELECT COUNT(*) AS n FROM login_events WHERE outcome = 'delivered'")).toBe(1);
  });
});

describe("Youjiu push login", () => {
  test("a push is kept for the next poll when writing its delivery fails", async () => {
    const h = setup();
    const poll = async () => {
      const res = await h.post("/youjiu/third_user", { type: "f-push", value: XONE });
      return { status: res.status, body: (await res.json()) as { code: number; result?: Record<string, any> } };
    };
    expect((await poll()).body.result).toEqual({ waiting: 1 });
    expect(h.rt.youjiu.service.push(XONE, 1002, undefined, "staff")).toBe("ok");
    h.clock.advance(500);
    // The write job that records the delivery fails (a full disk, say): the device is told so, not the member.
    const events = h.rt.repos.youjiu;
    const event = events.event.bind(events);
    events.event = () => {
      throw new Error("disk I/O error");
    };
    const failed = await poll();
    events.event = event;
    expect(failed.status).toBe(500);
    expect(failed.body.result?.user_info).toBeUndefined();
    h.clock.advance(500);
    const next = await poll();
    expect(next.status).toBe(200);
    expect(next.body.result?.user_info.uid).toBe(1002);
    expect(h.q("SELECT outcome, member_id, pushed_by FROM login_events")).toEqual([{ outcome: "delivered", member_id: 1002, pushed_by: "staff" }]);
  });
});

describe("ages on the gym's calendar", () => {
  // Bea (born 1994-02-28) weighs on 27 Feb 2025 at 20:00 UTC: 28 Feb 04:00 in Shanghai (31), still 27 Feb in UTC (30).
  const AT = Date.UTC(2025, 1, 27, 20);
  const EIGHT = ["520", "500", "525", "505", "25", "23", "260", "250", "262", "251"];

  for (const [tz, age] of [["Asia/Shanghai", 31], ["UTC", 30]] as const) {
    test(`Lefu report at ingest and at claim: ${tz} → ${age}`, async () => {
      const h = setup({ "gym.timeZone": tz });
      h.rt.pairing.open(60, "test");
      const upload = () => h.post("/lefu/wifi/torre/record", { sn: "S1", scaleType: 5, list: [{ weight: 54.2, timestamp: AT, data: EIGHT.map((impedance) => ({ impedance })) }] });
      await upload(); // the scale's first contact: its row, and a claim
      const scale = h.q("SELECT id FROM devices WHERE device_key = 'S1'")[0]!.id as number;
      await h.rt.writes.enqueue(() => {
        h.rt.repos.devices.setImpedanceMode(scale, "ohms");
        h.rt.db.run("UPDATE devices SET default_member_id = 1002 WHERE id = ?", [scale]);
        h.rt.db.run("DELETE FROM measurements");
      });
      await upload(); // now Bea's, with the full report
      const stored = h.q("SELECT indicators_json FROM measurements")[0]!;
      expect(JSON.parse(stored.indicators_json as string).age).toBe(age);
      // A claim is computed again for its member, on the same calendar.
      const row = h.rt.repos.measurements.byId(h.q("SELECT id FROM measurements")[0]!.id as number)!;
      const claimed = h.rt.roles.map((r) => r.claimReport?.(row, 1002)).find((r) => r) as { indicators: { age: number } };
      expect(claimed.indicators.age).toBe(age);
      // The result sheet's age (GET /measurements/:id) is the same calendar's, not the browser's.
      const staff = await signIn(h.rt, h.app, { role: "staff" });
      const sheet = (await staff.call("GET", `/api/v1/measurements/${row.id}`)).body as { ageAtMeasurement: number | null };
      expect(sheet.ageAtMeasurement).toBe(age);
    });

    test(`Yolanda derived fields: ${tz} → ${age}`, async () => {
      const h = setup({ "gym.timeZone": tz });
      const core = await import("../../src/core/index.ts");
      // The relay's body fat with Bea's slot (2): the derived fields come from the core with her age.
      await h.post("/wsp/create_measurement", { mac: SCALE, user_index: 2, timestamp: AT / 1000, weight: 54.9, bodyfat: 27.1, hmac: "TZ" }, { authorization: RELAY_AUTH });
      const ind = JSON.parse(h.q("SELECT indicators_json FROM measurements")[0]!.indicators_json as string) as Record<string, unknown>;
      const expected = core.compute({ algorithm: "bodyfat-only", sex: "female", age, heightCm: 168.5, weightKg: 54.9, heartRate: 0, bodyfat: 27.1, measuredAt: AT / 1000 }) as unknown as Record<string, unknown>;
      expect(ind.derived).toContain("bodyage"); // the one derived field that depends on the age
      expect(ind.bodyage).toBe(expected.bodyage!);
      for (const f of ind.derived as string[]) expect(ind[f]).toEqual(expected[f]);
    });
  }
});

describe("extend_data", () => {
  test("a member's own extend data is what the device gets; without one, bodydock's login reference", async () => {
    const h = setup();
    h.rt.db.run(`UPDATE members SET extend_data = '{"plan":"gold"}' WHERE id = 1001`);
    const id = async (value: string) =>
      ((await (await h.post("/youjiu/third_user", { type: "id", value })).json()) as { result: Record<string, unknown> }).result.extend_data;
    expect(await id("M1001")).toBe('{"plan":"gold"}');
    expect(await id("M1002")).toBe(`bd1|m=1002|sn=-|t=${NOW / 1000}`);
    expect(h.q("SELECT member_id, extend_data FROM login_events ORDER BY id")).toEqual([
      { member_id: 1001, extend_data: '{"plan":"gold"}' },
      { member_id: 1002, extend_data: `bd1|m=1002|sn=-|t=${NOW / 1000}` },
    ]);
    h.rt.settings.set("youjiu.extendData", false, "test");
    expect(await id("M1001")).toBeUndefined();
  });
});
