/**
 * Fuzzing every device endpoint: no 5xx, no crash, no change to data already
 * stored (members, credentials, earlier measurements, slots), memory flat.
 * Requests that still carry usable data (a valid weight and time among junk)
 * may add new rows: a device's good data is never lost. FUZZ_COUNT per endpoint (default 200 here; the full
 * run is `FUZZ_COUNT=10000 bun test test/fuzz`).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { seedWorld } from "../fixtures/world.ts";
import { testRuntime } from "../helpers.ts";
import { fuzzRequest, rng } from "./generate.ts";

const COUNT = Number(process.env.FUZZ_COUNT ?? 200);

const ENDPOINTS: Array<[string, Record<string, unknown>]> = [
  ["/lefu/wifi/register", { sn: "S1", mac: "24:6F:28:39:BA:9D", type: "CF516", WifiVersion: "1", charge: "0.9", timezone: 8 }],
  ["/lefu/wifi/config", { sn: "S1", mac: "24:6F:28:39:BA:9D" }],
  ["/lefu/wifi/checkForUpdate", { sn: "S1", firmwareVersion: "1" }],
  ["/lefu/wifi/record", { sn: "S1", weight: "70.5", timestamp: "1762255000000", impedance: "500" }],
  ["/lefu/wifi/v2/checkForUpdate", { sn: "S1", bat: "35" }],
  ["/lefu/wifi/torre/register", { sn: "T1", wifiPassword: "p", wifiSsid: "s" }],
  ["/lefu/wifi/torre/config", { sn: "T1" }],
  ["/lefu/wifi/torre/checkForUpdate", { sn: "T1", bat: "0.5" }],
  ["/lefu/wifi/torre/record", { sn: "T1", scaleType: 5, list: [{ memberid: "m", userid: "u", weight: 70, timestamp: 1762000000, data: [{ impedance: "1" }] }] }],
  ["/lefu/wifi/batchUpload", { sn: "T1", list: [{ weight: "70", timestamp: "1762000000000" }] }],
  ["/wsp-mini/users", { mac: "A8:48:FA:35:14:56" }],
  ["/wsp-mini/measurements", { mac: "A8:48:FA:35:14:56", measurements: [{ user_index: 1, timestamp: 1762000000, weight: 70, hmac: "x", definite_flag: true }] }],
  ["/wsp/read_scale_users", { mac: "A8:48:FA:35:14:56" }],
  ["/youjiu/activate", { sn: "3398182015544" }],
  ["/youjiu/tokens", { sn: "3398182015544", secret: "x" }],
  ["/youjiu/third_user", { type: "scan", value: "BD-M1001-7F3K", scene: "meas-composition" }],
];

// warn: the test's memory logger would otherwise keep a request line for each of the fuzzed requests,
// and that, not the server, is what the memory check would measure.
const h = testRuntime({ logLevel: "warn" });
seedWorld(h.rt.db, h.rt.settings, h.clock.now());
// Data that exists before the fuzzing starts, which no request may change.
for (let i = 0; i < 5; i++) {
  await h.app.handle(
    new Request("http://localhost/lefu/wifi/torre/record", {
      method: "POST",
      body: JSON.stringify({ sn: "KEEP", scaleType: 0, list: [{ memberid: "9216776f-2a35-4ca1-8427-668087a47ed8", weight: 70 + i, timestamp: 1760000000 + i, data: [{ impedance: "500" }] }] }),
    }),
  );
}
const keptIds = (h.rt.db.query("SELECT id FROM measurements").all() as Array<{ id: number }>).map((r) => r.id);
const snapshot = () =>
  JSON.stringify({
    members: h.rt.db.query("SELECT * FROM members ORDER BY id").all(),
    credentials: h.rt.db.query("SELECT * FROM credentials ORDER BY id").all(),
    kept: h.rt.db.query(`SELECT * FROM measurements WHERE id IN (${keptIds.join(",")}) ORDER BY id`).all(),
    identities: h.rt.db.query("SELECT memberid, member_id FROM lefu_identities WHERE member_id IS NOT NULL").all(),
  });
afterAll(() => h.dispose());

describe(`fuzzing device endpoints (${COUNT} requests each)`, () => {
  const before = snapshot();
  let rssStart = 0;
  for (const [i, [path, template]] of ENDPOINTS.entries()) {
    test(`${path}: never a 5xx, never a crash`, async () => {
      const next = rng(1000 + i);
      const statuses = new Map<number, number>();
      for (let n = 0; n < COUNT; n++) {
        const f = fuzzRequest(next, path, template);
        const res = await h.app.handle(new Request("http://localhost" + f.path, { method: f.method, headers: f.headers, body: f.body as BodyInit | undefined }));
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) throw new Error(`${f.method} ${f.path} → ${res.status} with body ${String(f.body).slice(0, 200)}`);
      }
      expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
      if (i === 0) {
        Bun.gc(true);
        rssStart = process.memoryUsage().rss;
      }
    }, 120_000);
  }
  test("no stored data changed, nothing polluted", () => {
    expect(keptIds.length).toBe(5);
    expect(snapshot()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  test("memory stays flat", () => {
    Bun.gc(true);
    const grown = process.memoryUsage().rss - rssStart;
    // Bound: far below what retaining the fuzzed bodies would cost (hundreds of MiB at full count).
    expect(grown).toBeLessThan(96 * 1024 * 1024);
  });
});
