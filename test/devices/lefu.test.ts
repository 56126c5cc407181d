import { describe, expect, test } from "bun:test";
import { normalisePath } from "../../src/devices/common/path.ts";
import { parseLenient } from "../../src/devices/common/body.ts";
import { redactText } from "../../src/devices/common/redact.ts";
import { everyStoredText } from "../fixtures/then.ts";
import { runtimePerTest, until } from "../helpers.ts";

const fresh = runtimePerTest();
/** A runtime whose pairing window is open, as when an installer adds scales (admission is tested on its own). */
function setup() {
  const h = fresh();
  h.rt.pairing.open(60, "test");
  return h;
}

const SUCCESS = { code: 200, errorCode: 0, text: "success", data: { nowTime: 1762430400000 } };

function post(path: string, body: string | object | null, method = "POST", headers: Record<string, string> = { "content-type": "application/json" }) {
  const text = body === null ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Request("http://localhost" + path, { method, headers, body: method === "GET" ? undefined : text });
}

const count = (h: ReturnType<typeof setup>, table: string, where = "1") =>
  (h.rt.db.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;

function torreBody(n: number, start = 1762000000, sn = "CFE9FA280014") {
  return {
    sn,
    mac: "CF:E9:FA:28:00:14",
    type: "LEFU-CF539",
    bat: "0.8",
    scaleType: 0,
    list: Array.from({ length: n }, (_, i) => ({
      memberid: "0b7c2f7e-5a41-4c55-9d0e-2f1f3b8f6a10",
      userid: "frontdesk@gym.example",
      weight: 80 + (i % 10) / 10,
      timestamp: start + i * 60,
      data: [{ impedance: String(500 + i) }],
    })),
  };
}

describe("Lefu: bad input never gives a 5xx and loses nothing good", () => {
  const cases: Array<[string, string | object | null, string]> = [
    ["truncated JSON", '{"sn":"AB12","weight":"70.1","timestamp":"17624', "unparseable"],
    // §0.3: only items with no usable weight (and unparseable bodies) are quarantined.
    ["a JSON array", [1, 2, 3], "weight_out_of_range"],
    ["an empty body", null, "weight_out_of_range"],
    ["whitespace only", "   \r\n ", "weight_out_of_range"],
    ["an array with an SN in the query", [1, 2, 3], "weight_out_of_range"],
    ["wrong types", { sn: "AB12", weight: { kg: 70 }, timestamp: ["x"] }, "weight_out_of_range"],
    ["huge numbers", '{"sn":"AB12","weight":1e400,"timestamp":1e999}', "weight_out_of_range"],
    ["weight out of range", { sn: "AB12", weight: "301", timestamp: "1762255000000" }, "weight_out_of_range"],
    // Deeper than MAX_JSON_DEPTH: refused before parsing (issue 13), the body waits in quarantine.
    ["deep nesting", "[".repeat(5000) + "]".repeat(5000), "unparseable"],
  ];
  for (const [name, body, reason] of cases) {
    test(`${name}: success answer, quarantined (${reason}), no measurement`, async () => {
      const h = setup();
      const path = name.includes("in the query") ? "/lefu/wifi/record?sn=Q9" : "/lefu/wifi/record";
      const res = await h.app.handle(post(path, body));
      expect(res.status).toBe(200);
      expect(res.headers.get("connection")).toBe("close");
      expect(await res.json()).toEqual(SUCCESS);
      expect(count(h, "measurements")).toBe(0);
      expect(h.rt.db.query("SELECT reason FROM quarantine").all()).toEqual([{ reason }]);
      expect(count(h, "captures", "quarantine = 1")).toBe(1);
    });
  }

  test("§0.3: an item with a weight but no timestamp is kept at the receive time, flagged, and a replay later is not stored twice", async () => {
    const h = setup();
    for (let i = 0; i < 2; i++) {
      expect(((await (await h.app.handle(post("/lefu/wifi/record", { sn: "AB12", weight: "70.5" }))).json()) as { text: string }).text).toBe("success");
      h.clock.advance(60_000); // the replay arrives a minute later: the receive time must not be in the key
    }
    const rows = h.rt.db.query("SELECT weight_kg, measured_at, clock_suspect, device_ts_raw FROM measurements").all();
    expect(rows).toEqual([{ weight_kg: 70.5, measured_at: 1762430400000, clock_suspect: 1, device_ts_raw: null }]);
    expect(count(h, "quarantine")).toBe(0);
  });

  test("§0.3: an item with a weight but no device identity at all waits as a claim under the unknown Lefu scale", async () => {
    const h = setup();
    expect(await (await h.app.handle(post("/lefu/wifi/record", { weight: "70.5", timestamp: "1762255000000" }))).json()).toEqual(SUCCESS);
    const row = h.rt.db.query("SELECT m.status, m.claim_reason, d.device_key, d.approved FROM measurements m JOIN devices d ON d.id = m.device_id").get();
    expect(row).toEqual({ status: "unassigned", claim_reason: "no_device_identity", device_key: "UNKNOWN", approved: 0 });
    expect(count(h, "quarantine")).toBe(0);
  });

  test("a 2 MB body: 413 in the Lefu envelope, nothing stored but the capture", async () => {
    const h = setup();
    const res = await h.app.handle(post("/lefu/wifi/torre/record", JSON.stringify({ sn: "X", pad: "x".repeat(2 * 1024 * 1024) })));
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.json()).toEqual({ errorCode: 1, text: "payload too large", data: null });
    expect(count(h, "measurements")).toBe(0);
    expect(h.rt.db.query("SELECT response_status, body_text FROM captures").get()).toEqual({ response_status: 413, body_text: null });
  });

  test("one bad item in a list does not stop the good ones", async () => {
    const h = setup();
    const body = torreBody(3);
    (body.list[1] as { weight: unknown }).weight = "heavy";
    const res = await h.app.handle(post("/lefu/wifi/torre/record", body));
    expect(await res.json()).toEqual(SUCCESS);
    expect(count(h, "measurements")).toBe(2);
    expect(count(h, "quarantine", "reason = 'weight_out_of_range'")).toBe(1);
  });

  test("a real storage failure is the only 500, in the Lefu envelope", async () => {
    const h = setup();
    h.rt.db.run("DROP TABLE quarantine");
    h.rt.db.run("DROP TABLE diagnostics");
    h.rt.db.run("DROP TABLE measurements");
    const res = await h.app.handle(post("/lefu/wifi/torre/record", torreBody(1)));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ errorCode: 1, text: "server error", data: null });
    // The capture was in the same transaction, so it rolled back too: nothing half-written.
    expect(count(h, "captures")).toBe(0);
  });

  test("lefu.enabled=false answers 404 not enabled", async () => {
    const h = setup();
    h.rt.settings.set("lefu.enabled", false, "test");
    const res = await h.app.handle(post("/lefu/wifi/torre/register", { sn: "X" }));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ errorCode: 1, text: "not enabled", data: null });
  });
});

describe("Lefu: durability and idempotency", () => {
  test("an offline backlog of 100 records is one transaction, and its replay stores nothing", async () => {
    const h = setup();
    const body = torreBody(100);
    const first = await h.app.handle(post("/lefu/wifi/torre/record", body));
    expect(await first.json()).toEqual(SUCCESS);
    expect(count(h, "measurements")).toBe(100);
    expect(h.rt.writes.stats.batches).toBe(1);
    const caps = h.rt.db.query("SELECT DISTINCT capture_id FROM measurements").all();
    expect(caps.length).toBe(1);
    const replay = await h.app.handle(post("/lefu/wifi/torre/record", body));
    expect(await replay.json()).toEqual(SUCCESS); // the same answer
    expect(count(h, "measurements")).toBe(100);
    expect(h.rt.db.query("SELECT dup_count FROM devices").get()).toEqual({ dup_count: 100 });
    expect(count(h, "captures", "duplicate = 1")).toBe(1);
  });

  test("a V2 record replayed through the batch path is a duplicate (same idempotency key)", async () => {
    const h = setup();
    const item = { sn: "BW01", mac: "88:4a:18:5f:f6:c5", weight: "72.80", impedance: "4702211", timestamp: "1762170000000" };
    await h.app.handle(post("/lefu/wifi/record", item));
    await h.app.handle(post("/lefu/wifi/batchUpload", { sn: "BW01", list: [{ weight: "72.80", timestamp: "1762170000000" }] }));
    expect(count(h, "measurements")).toBe(1);
  });

  test("a replay with a different weight keeps the first and writes a conflicting_duplicate diagnostic", async () => {
    const h = setup();
    await h.app.handle(post("/lefu/wifi/record", { sn: "BW01", weight: "72.80", timestamp: "1762170000000" }));
    await h.app.handle(post("/lefu/wifi/record", { sn: "BW01", weight: "75.00", timestamp: "1762170000000" }));
    expect(h.rt.db.query("SELECT weight_kg FROM measurements").all()).toEqual([{ weight_kg: 72.8 }]);
    expect(count(h, "diagnostics", "kind = 'conflicting_duplicate'")).toBe(1);
  });

  test("concurrent uploads from many scales are group-committed and all stored", async () => {
    const h = setup();
    const reqs = Array.from({ length: 32 }, (_, i) => h.app.handle(post("/lefu/wifi/torre/record", torreBody(1, 1762000000 + i, `SCALE${i}`))));
    const res = await Promise.all(reqs);
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(count(h, "measurements")).toBe(32);
    expect(h.rt.writes.stats.batches).toBeLessThan(32);
  });
});

describe("Lefu: routing, devices, redaction", () => {
  test("any prefix, any method, doubled slashes and case", async () => {
    const h = setup();
    const res = await h.app.handle(post("//Gym//LEFU/WiFi//Torre/Register/", { sn: "cfe8050813ba", type: "LEFU-CF577" }, "PUT"));
    expect(((await res.json()) as { text: string }).text).toBe("Register success");
    expect(h.rt.db.query("SELECT device_key, family, path_prefix FROM devices").get()).toEqual({
      device_key: "CFE8050813BA",
      family: "torre",
      path_prefix: "/Gym",
    });
    const get = await h.app.handle(post("/x/lefu/wifi/record?sn=Q1&weight=70.2&timestamp=1762170000000", null, "GET", {}));
    expect(await get.json()).toEqual(SUCCESS);
    expect(count(h, "measurements")).toBe(1); // query parameters are fields too
  });

  test("a scale without an SN is keyed by its MAC, then found again by MAC", async () => {
    const h = setup();
    await h.app.handle(post("/lefu/wifi/register", { mac: "24-6f-28-39-ba-9d", type: "CF516" }));
    await h.app.handle(post("/lefu/wifi/checkForUpdate", { mac: "24:6F:28:39:BA:9D", charge: "0.5" }));
    expect(h.rt.db.query("SELECT device_key, battery FROM devices").all()).toEqual([{ device_key: "MAC:24:6F:28:39:BA:9D", battery: 0.5 }]);
  });

  test("new devices need approval when autoApprove is off: register succeeds, records wait in the claim queue", async () => {
    const h = setup();
    h.rt.settings.set("lefu.autoApproveDevices", false, "test");
    h.rt.pairing.close();
    const reg = await h.app.handle(post("/lefu/wifi/torre/register", { sn: "NEW1" }));
    expect(((await reg.json()) as { text: string }).text).toBe("Register success");
    await h.app.handle(post("/lefu/wifi/torre/record", torreBody(1, 1762000000, "NEW1")));
    expect(h.rt.db.query("SELECT status, claim_reason FROM measurements").get()).toEqual({ status: "unassigned", claim_reason: "unapproved_device" });
  });

  test("no scale is ever offered firmware", async () => {
    const h = setup();
    for (const p of ["/lefu/wifi/checkForUpdate", "/lefu/wifi/v2/checkForUpdate", "/lefu/wifi/torre/checkForUpdate"]) {
      const res = await h.app.handle(post(p, { sn: "X1", firmwareVersion: "0.0.1" }));
      expect(await res.json()).toEqual({ code: 200, errorCode: 0, text: "checkForUpdate success", data: [] });
    }
  });

  test("a Wi-Fi password appears in no table and no log line, even in a truncated body", async () => {
    const h = setup();
    await h.app.handle(post("/lefu/wifi/torre/register", { sn: "W1", wifiSsid: "Gym", wifiPassword: "hunter2-full" }));
    await h.app.handle(post("/lefu/wifi/torre/register", '{"sn":"W2","wifi_password":"hunter2-trunc'));
    await h.app.handle(post("/lefu/wifi/record", { sn: "W3", weight: "70", timestamp: "1762170000000", password: "hunter2-item" }));
    await until(() => h.log.lines.filter((l) => l.msg === "request").length >= 3, "every request logged"); // then nothing is left to write
    const stored = everyStoredText(h.rt.db).join("\n");
    const logs = h.log.lines.map((l) => JSON.stringify(l)).join("\n");
    expect(stored).not.toContain("hunter2");
    expect(logs).not.toContain("hunter2");
    expect(stored).toContain("[redacted]");
  });

  test("the per-device display unit overrides the configured one in register and config", async () => {
    const h = setup();
    await h.app.handle(post("/lefu/wifi/torre/register", { sn: "U1" }));
    h.rt.db.run("UPDATE devices SET unit_override = 1");
    const res = await h.app.handle(post("/lefu/wifi/torre/config", { sn: "U1" }));
    expect(((await res.json()) as { data: { unit: number } }).data.unit).toBe(1);
  });

  test("Content-Length is set and Connection: close is sent over a real socket", async () => {
    const h = setup();
    h.app.listen({ port: 0, hostname: "127.0.0.1" });
    try {
      const res = await fetch(`http://127.0.0.1:${h.app.server!.port}/lefu/wifi/torre/config`, { method: "POST", body: '{"sn":"S1"}' });
      const text = await res.text();
      expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
      expect(res.headers.get("connection")).toBe("close");
      expect(res.headers.get("transfer-encoding")).toBeNull();
    } finally {
      await h.app.stop();
    }
  });
});

describe("common device parsing", () => {
  test("path normalisation (§1.2), relative request targets included", () => {
    expect(normalisePath("//bodydock//lefu/wifi//torre/record/").path).toBe("/bodydock/lefu/wifi/torre/record");
    expect(normalisePath("/lefu/wifi/record").path).toBe("/lefu/wifi/record"); // HTTP/1.0 without Host
    expect(normalisePath("http://h:8080/a%20b/%zz/?x=1").path).toBe("/a b/%zz");
    expect(normalisePath("http://h/A/B?x=1&y=2").query.get("y")).toBe("2");
  });
  test("lenient JSON recovery steps (§1.4)", () => {
    expect(parseLenient('{"a":1}')).toEqual({ value: { a: 1 }, status: "ok" });
    expect(parseLenient('{"a":1, // note\n "b":"http://x", /* c */ }')).toEqual({ value: { a: 1, b: "http://x" }, status: "recovered" });
    expect(parseLenient('garbage {"a":"}"} trailing')).toEqual({ value: { a: "}" }, status: "recovered" });
    expect(parseLenient("sn=1&secret=2", true)).toEqual({ value: { sn: "1", secret: "2" }, status: "form" });
    expect(parseLenient("sn=1", false).status).toBe("unparseable");
    expect(parseLenient("")).toEqual({ value: {}, status: "empty" });
    expect(parseLenient('[1,2, // two\n]')).toEqual({ value: [1, 2], status: "recovered" });
    expect(parseLenient('{"a":"x,}", /* c */ "b":[",]",],}')).toEqual({ value: { a: "x,}", b: [",]"] }, status: "recovered" });
  });
  test("redaction of raw text", () => {
    expect(redactText('{"wifiPassword":"abc","x":1}')).toBe('{"wifiPassword":"[redacted]","x":1}');
    expect(redactText('{"sn":"1","wifi_password":"abc')).toBe('{"sn":"1","wifi_password"');
    expect(redactText("sn=1&secret=abc&x=2")).toBe("sn=1&secret=[redacted]&x=2");
  });
});

describe("capture retention", () => {
  test("prune deletes ordinary captures past retention and keeps flagged ones until dismissed", async () => {
    const h = setup();
    await h.app.handle(post("/lefu/wifi/torre/config", { sn: "R1" }));
    await h.app.handle(post("/lefu/wifi/unknownThing", { sn: "R1" }));
    const { captures } = h.rt.repos;
    captures.prune(h.clock.now() + 1);
    const left = h.rt.db.query("SELECT route_key, unknown_path FROM captures").all();
    expect(left).toEqual([{ route_key: "unknownthing", unknown_path: 1 }]);
  });
});

describe("Torre scaleType and electrodes", () => {
  test("scaleType 5 with one impedance is not marked 8-electrode; with ten it is", async () => {
    const h = fresh();
    h.rt.pairing.open(10, "test");
    const item = (ts: number, n: number) => ({ memberid: "m", userid: "u", weight: 70, timestamp: ts, data: Array.from({ length: n }, (_, i) => ({ impedance: String(500 + i) })) });
    const res = await h.app.handle(new Request("http://localhost/lefu/wifi/torre/record", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sn: "EIGHT1", scaleType: 5, list: [item(1762000000, 1), item(1762000060, 10)] }) }));
    expect(res.status).toBe(200);
    expect(h.rt.db.query("SELECT eight_electrode FROM measurements ORDER BY measured_at").all()).toEqual([{ eight_electrode: 0 }, { eight_electrode: 1 }]);
  });
});
