/**
 * Over a socket, device requests are answered by the device roles before Elysia sees them
 * (server.ts): the bookkeeping app.ts does for every other request must hold for them too.
 */
import { afterEach, expect, test } from "bun:test";
import { startServer, type RunningServer } from "../../src/server.ts";
import { memoryLogger } from "../../src/log.ts";
import { testConfig } from "../helpers.ts";

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start() {
  const log = memoryLogger("info");
  server = await startServer(testConfig({ logLevel: "info" }), { log });
  return { base: `http://127.0.0.1:${server.port}`, log };
}

const upload = (sn: string) => JSON.stringify({ sn, list: [{ weight: 71.2, timestamp: 1762430000, memberid: "m-1", impedance: 500 }] });

test("a Lefu upload over a socket: answered, stored with the client's address, logged and counted", async () => {
  const { base, log } = await start();
  const res = await fetch(`${base}/lefu/wifi/torre/record`, { method: "POST", body: upload("FAST0001") });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ errorCode: 0 });
  const rt = server!.runtime;
  const device = rt.repos.devices.byKey("lefu", "FAST0001");
  expect(device?.last_ip).toBe("127.0.0.1");
  const line = log.lines.find((l) => l.msg === "request" && l.path === "/lefu/wifi/torre/record");
  expect(line).toMatchObject({ method: "POST", status: 200, remote: "127.0.0.1" });
  expect(typeof line!.ms).toBe("number");
  expect(rt.metrics.renderRequests().join("\n")).toContain('route="lefu.torre.record",status="200"');
});

test("a device path under /api (an installer typed http://box/api) gets the /api headers over a socket too", async () => {
  const { base } = await start();
  const res = await fetch(`${base}/api/lefu/wifi/torre/record`, { method: "POST", body: upload("FAST0002") });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ errorCode: 0 });
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("connection")).toBe("close");
});

test("staff routes still go through Elysia over the socket, with the client's address (sign-in lockout counts it)", async () => {
  const { base } = await start();
  const status = await fetch(`${base}/api/v1/auth/status`);
  expect(status.status).toBe(200);
  expect(status.headers.get("cache-control")).toBe("no-store");
  const page = await fetch(`${base}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
  const odd = await fetch(`${base}/api/v1/auth/status`, { headers: { host: "evil.example" } });
  expect(odd.status).toBe(421);
});
