/**
 * The SQL of one Lefu Torre upload alone, without HTTP: device upsert, capture insert, Lefu
 * identity upsert, measurement insert, each job in its savepoint, 32 jobs per group commit
 * (what the write queue makes of 32 concurrent scales). Prints microseconds per upload for each
 * statement and the commit. Env: SYNC=NORMAL|FULL, AC=<wal_autocheckpoint>, DROP=<index,...>.
 *
 * Usage: bun bench/lefu-sql.ts
 */
import { testRuntime } from "../test/helpers.ts";
const h = testRuntime({ logLevel: "warn" });
const db = h.rt.db;
if (process.env.SYNC) db.run(`PRAGMA synchronous = ${process.env.SYNC}`);
if (process.env.DROP) for (const ix of process.env.DROP.split(",")) db.run(`DROP INDEX ${ix}`);
if (process.env.AC) db.run(`PRAGMA wal_autocheckpoint = ${process.env.AC}`);
const { devices, captures, measurements } = h.rt.repos;
const seed = await Bun.file(new URL("../../shared/fixtures/lefu/torre-record-seed-example.json", import.meta.url).pathname).text();
const N = 320 * 30; let t: number;
const timings = { seen: 0, capture: 0, ident: 0, insert: 0, savepoint: 0, commit: 0 };
const sp = db.prepare("SAVEPOINT job"), rel = db.prepare("RELEASE job"), begin = db.prepare("BEGIN IMMEDIATE"), commit = db.prepare("COMMIT");
let seq = 0;
for (let b = 0; b < N / 32; b++) {
  begin.run();
  for (let i = 0; i < 32; i++) {
    seq++;
    t = performance.now(); sp.run(); timings.savepoint += performance.now() - t;
    t = performance.now();
    const dev = devices.seen({ vendor: "lefu", deviceKey: `CFE805080${i}`, family: "torre", sn: `CFE805080${i}`, mac: null, model: "LEFU-CF539", ip: "127.0.0.1", pathPrefix: "", versions: { firmwareVersion: "1.2" }, battery: 0.8, batteryRaw: "0.8", rssi: null, timezone: null, wifiSsid: null, approveNew: true } as any, seq);
    timings.seen += performance.now() - t; t = performance.now();
    const cid = captures.insert({ receivedAt: seq, remoteIp: "127.0.0.1", method: "POST", rawPath: "/lefu/wifi/torre/record", router: "lefu", routeKey: "torre/record", pathPrefix: "", headers: { "content-type": "application/json", host: "127.0.0.1:8080", "content-length": "900" }, bodyText: seed, bodyBytes: seed.length, parseStatus: "ok", authResult: null, responseStatus: 200, responseBody: '{"code":200,"errorCode":0,"text":"success","data":{"nowTime":1}}', deviceId: dev.id } as any);
    timings.capture += performance.now() - t; t = performance.now();
    measurements.lefuIdentitySeen("0b7c2f7e-5a41", "x@y", dev.id, seq);
    timings.ident += performance.now() - t; t = performance.now();
    measurements.insert({ idemKey: `lefu:CFE805080${i}:${seq}:0b7c2f7e-5a41`, source: "lefu-torre", deviceId: dev.id, memberId: null, status: "unassigned", claimReason: "unlinked_identity", suggestedMemberId: null, groupKey: "lefu:0b7c", candidates: [], measuredAt: 1700000000000 + seq * 1000, deviceTsRaw: "1700000000", clockSuspect: false, receivedAt: seq, weightKg: 80.1, heartRate: null, impedance: ["1","2","3","4","5","6","7","8","9","10"], scaleType: 5, eightElectrode: true, backlogTotal: null, backlogCurrent: null, rssi: null, dataType: null, lefuMemberid: "0b7c", lefuUserid: "x", captureId: cid, rawItem: { weight: 80.1, timestamp: 1700000000, data: [{ impedance: "1" }] }, indicators: null, indicatorsNote: "composition unavailable", indicatorsProfileMemberId: null } as any);
    timings.insert += performance.now() - t; t = performance.now();
    rel.run(); timings.savepoint += performance.now() - t;
  }
  t = performance.now(); commit.run(); timings.commit += performance.now() - t;
}
for (const [k, v] of Object.entries(timings)) console.log(k.padEnd(10), (v / N * 1000).toFixed(1), "us/req");
console.log("total", (Object.values(timings).reduce((a, b) => a + b) / N * 1000).toFixed(1), "us/req");
await h.dispose();
