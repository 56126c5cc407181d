import { describe, expect, test } from "bun:test";
import { StaffRepo } from "../../src/store/staff-repo.ts";
import { SESSION_COOKIE, signSession } from "../../src/staff/guard.ts";
import { runtimePerTest, until } from "../helpers.ts";

const fresh = runtimePerTest();
function setup() {
  const h = fresh();
  return h;
}

const TOKEN = "scrape-token-0123456789";
const torre = JSON.stringify({
  sn: "CFE9FA280014",
  mac: "CF:E9:FA:28:00:14",
  type: "LEFU-CF539",
  scaleType: 0,
  list: [{ memberid: "m-1", weight: 80.1, timestamp: 1762000000, impedance: ["500"] }],
});

async function scrape(h: ReturnType<typeof setup>, headers: Record<string, string>) {
  const res = await h.app.handle(new Request("http://localhost/metrics", { headers }));
  return { status: res.status, text: await res.text(), type: res.headers.get("content-type") };
}

describe("GET /metrics (Prometheus)", () => {
  test("refused without the token or an admin session; no token configured means token auth is off", async () => {
    const h = setup();
    expect((await scrape(h, {})).status).toBe(401);
    expect((await scrape(h, { authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    h.rt.settings.set("metrics.token", TOKEN, "test");
    expect((await scrape(h, { authorization: "Bearer wrong-token-000000000" })).status).toBe(401);
    const ok = await scrape(h, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.type).toStartWith("text/plain; version=0.0.4");
  });

  test("an admin session may scrape, a staff session may not", async () => {
    const h = setup();
    const repo = h.rt.repos.staff;
    const admin = repo.insert("boss", "x", "admin", h.clock.now());
    const desk = repo.insert("desk", "x", "staff", h.clock.now());
    const cookie = async (row: typeof admin) => `${SESSION_COOKIE}=${await signSession(h.rt, row)}`;
    expect((await scrape(h, { cookie: await cookie(admin) })).status).toBe(200);
    expect((await scrape(h, { cookie: await cookie(desk) })).status).toBe(401);
  });

  test("requests by route label and status, latency histogram, measurements by source, queue depth, devices online", async () => {
    const h = setup();
    h.rt.settings.set("metrics.token", TOKEN, "test");
    for (const path of ["/lefu/wifi/torre/record", "/some/prefix/lefu/wifi/torre/record"]) {
      const res = await h.app.handle(new Request("http://localhost" + path, { method: "POST", body: torre.replace("1762000000", String(1762000000 + path.length)) }));
      expect(res.status).toBe(200);
    }
    await h.app.handle(new Request("http://localhost/healthz"));
    await h.app.handle(new Request("http://localhost/no/such/thing/0001"));
    // Requests are counted after the response is handed back: wait until all four are logged (observe() logs and counts together).
    await until(() => h.log.lines.filter((l) => l.msg === "request").length >= 4, "four requests observed");
    const { status, text } = await scrape(h, { authorization: `Bearer ${TOKEN}` });
    expect(status).toBe(200);
    // Both spellings of the Lefu path share one label; raw paths never become labels.
    expect(text).toContain('bodydock_http_requests_total{route="lefu.torre.record",status="200"} 2');
    expect(text).toContain('bodydock_http_requests_total{route="/healthz",status="200"} 1');
    expect(text).toContain('route="unmatched",status="404"} 1');
    expect(text).not.toContain("/no/such/thing");
    expect(text).toContain('bodydock_http_request_duration_seconds_count{route="lefu.torre.record"} 2');
    expect(text).toMatch(/bodydock_http_request_duration_seconds_bucket\{route="lefu.torre.record",le="\+Inf"\} 2/);
    expect(text).toContain('bodydock_measurements_stored{source="lefu-torre",status="unassigned"} 2');
    expect(text).toContain('bodydock_devices_online{vendor="lefu"} 1');
    expect(text).toContain('bodydock_devices_online{vendor="youjiu"} 0');
    expect(text).toMatch(/^bodydock_write_queue_depth 0$/m);
    expect(text).toMatch(/^bodydock_write_jobs_total [1-9]\d*$/m);
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
    // Every sample line is "name{labels} value" or "name value".
    for (const line of text.trim().split("\n").filter((l) => !l.startsWith("#"))) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/);
  });

  test("device requests, answered before Elysia's routing, get their request log line too", async () => {
    const h = setup();
    const res = await h.app.handle(new Request("http://localhost/x/lefu/wifi/torre/record", { method: "POST", body: torre }));
    expect(res.status).toBe(200);
    const lines = h.log.lines.filter((l) => l.msg === "request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: "POST", path: "/x/lefu/wifi/torre/record", status: 200 });
    expect(typeof lines[0]!.ms).toBe("number");
  });

  test("requests the staff guard refuses are logged and counted too", async () => {
    const h = setup();
    h.rt.settings.set("metrics.token", TOKEN, "test");
    expect((await h.app.handle(new Request("http://localhost/api/v1/members"))).status).toBe(401);
    expect((await h.app.handle(new Request("http://localhost/api/v1/members", { method: "POST", body: "{}" }))).status).toBe(403);
    // The guard hangs on the route, so a refusal is counted under the route it refused, with its status.
    const statuses = () => h.log.lines.filter((l) => l.msg === "request" && l.path === "/api/v1/members").map((l) => l.status);
    await until(() => statuses().length >= 2, "both refusals logged"); // after-response hooks run after the answer
    expect(statuses()).toEqual([401, 403]);
    const { text } = await scrape(h, { authorization: `Bearer ${TOKEN}` });
    expect(text).toContain('bodydock_http_requests_total{route="/api/v1/members",status="401"} 1');
    expect(text).toContain('bodydock_http_requests_total{route="/api/v1/members",status="403"} 1');
  });
});
