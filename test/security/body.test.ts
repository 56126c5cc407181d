/**
 * Issue 13, point 7: request bodies. Over the staff limit while chunked is 413 and the connection
 * closes; a body that trickles in past --body-timeout is 408 and the connection closes (staff and
 * device routes); deep or huge JSON never costs a device route more than a few milliseconds.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { startServer, type RunningServer } from "../../src/server.ts";
import { memoryLogger } from "../../src/log.ts";
import { parseLenient } from "../../src/devices/common/body.ts";
import { runtimePerTest, testConfig } from "../helpers.ts";

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** A raw socket: what a client that misbehaves at the HTTP level looks like. */
async function rawClient(port: number) {
  const sock: Socket = connect(port, "127.0.0.1");
  let received = "";
  let closed = false;
  const closedP = new Promise<void>((r) => sock.on("close", () => ((closed = true), r())));
  sock.on("data", (d) => (received += d.toString()));
  sock.on("error", () => {});
  await new Promise<void>((r) => sock.on("connect", () => r()));
  return {
    write: (s: string) => (closed ? false : sock.write(s)),
    get closed() {
      return closed;
    },
    get received() {
      return received;
    },
    closedP,
    destroy: () => sock.destroy(),
  };
}

async function start(over = {}) {
  server = await startServer(testConfig({ logLevel: "warn", ...over }), { log: memoryLogger("warn") });
  return server.port;
}

describe("staff body limit on a chunked body", () => {
  test("over --body-limit: 413, Connection: close, and the socket is closed while the client is still sending", async () => {
    const port = await start({ bodyLimit: 4096 });
    const c = await rawClient(port);
    c.write(
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = "x".repeat(1000);
    // Keep sending (up to 2 MB) until the server closes; today it never answers and holds the connection.
    for (let i = 0; i < 2000 && !c.closed; i++) {
      c.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      await Bun.sleep(2);
    }
    await c.closedP;
    expect(c.received).toStartWith("HTTP/1.1 413");
    expect(c.received.toLowerCase()).toContain("connection: close");
    expect(c.received).toContain('"payload_too_large"');
  });
});

describe("device body limit on a chunked body", () => {
  for (const path of ["/wsp-mini/measurements", "/youjiu/activate", "/lefu/wifi/record"]) {
    test(`${path}: over the role's limit, 413 in the role's envelope and the socket closed while the client is still sending`, async () => {
      const port = await start();
      const c = await rawClient(port);
      c.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = "x".repeat(64 * 1024);
      // Up to 16 MB; the roles' limits are 1 MiB (Lefu, Yolanda) and 8 MiB (Youjiu).
      for (let i = 0; i < 256 && !c.closed; i++) {
        c.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        await Bun.sleep(2);
      }
      await c.closedP;
      expect(c.received).toStartWith("HTTP/1.1 413");
      expect(c.received.toLowerCase()).toContain("connection: close");
    });
  }
});

describe("body deadline (--body-timeout)", () => {
  for (const [what, path, headers] of [
    ["staff sign-in", "/api/v1/auth/login", "Origin: http://127.0.0.1\r\nContent-Type: application/json\r\n"],
    ["Lefu record (device route)", "/lefu/wifi/torre/record", ""],
    ["Youjiu third_user (device route)", "/youjiu/third_user", ""],
  ] as const) {
    test(`${what}: a body trickling in is cut off with 408 and the connection closed`, async () => {
      const port = await start({ bodyTimeout: 1 });
      const c = await rawClient(port);
      const t0 = Date.now();
      c.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Content-Length: 1000\r\n\r\n{`);
      // One byte every 100 ms: never idle long enough for an idle timeout, never finished.
      const trickle = setInterval(() => c.write(" "), 100);
      await c.closedP;
      clearInterval(trickle);
      expect(c.received).toStartWith("HTTP/1.1 408");
      expect(c.received.toLowerCase()).toContain("connection: close");
      expect(Date.now() - t0).toBeLessThan(5000);
    });
  }

  test("a body that arrives in time is served as before", async () => {
    const port = await start({ bodyTimeout: 1 });
    const res = await fetch(`http://127.0.0.1:${port}/lefu/wifi/torre/record`, { method: "POST", body: JSON.stringify({ sn: "S1", weight: 70 }) });
    expect(res.status).toBe(200);
  });
});

describe("JSON depth and size before parsing", () => {
  const fresh = runtimePerTest();
  const N = 300_000;
  const bodies: Record<string, string> = {
    "600 KB of nested arrays": "[".repeat(N) + "]".repeat(N),
    "600 KB of nested objects with a password": '{"password":"hunter2","a":' + '{"a":'.repeat(N / 5) + "1" + "}".repeat(N / 5) + "}",
    "600 KB unbalanced": '{"wifiPassword":"x","a":' + "[".repeat(2 * N),
    "600 KB wide array with a password": '{"password":"x","a":[' + "1,".repeat(N) + "1]}",
  };

  test("parseLenient refuses too deep or too large JSON without parsing it", () => {
    expect(parseLenient("[".repeat(33) + "]".repeat(33)).tooComplex).toBe("depth");
    expect(parseLenient("[".repeat(32) + "]".repeat(32)).status).toBe("ok");
    // Brackets inside strings do not count.
    expect(parseLenient(JSON.stringify({ a: "[".repeat(100) })).status).toBe("ok");
    expect(parseLenient(JSON.stringify({ a: '\\"[[[[' })).status).toBe("ok");
    expect(parseLenient("[" + "1,".repeat(200_001) + "1]").tooComplex).toBe("size");
  });

  test("staff API: a deeply nested JSON body (public sign-in) is refused with 400 before Elysia parses it", async () => {
    const h = fresh({ logLevel: "warn" });
    const login = (body: string) =>
      h.app.handle(new Request("http://localhost/api/v1/auth/login", { method: "POST", headers: { origin: "http://localhost", "content-type": "application/json" }, body }));
    await login("{}");
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const res = await login('{"username":"a","password":"b","x":' + "[".repeat(N) + "]".repeat(N) + "}");
      times.push(performance.now() - t0);
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe("json_too_complex");
    }
    expect(Math.min(...times)).toBeLessThan(50);
    // An ordinary sign-in body still gets through to validation and the password check.
    expect((await login('{"username":"nobody","password":"wrong"}')).status).toBe(401);
  });

  for (const path of ["/lefu/wifi/torre/record", "/lefu/wifi/record", "/youjiu/third_user", "/youjiu/activate", "/wsp-mini/measurements"]) {
    test(`${path}: every 600 KB crafted body answers without 5xx in under 50 ms, nothing stored in clear`, async () => {
      const h = fresh({ logLevel: "warn" });
      h.rt.settings.set("yolanda.mini.jwtSecret", "s".repeat(32), "test");
      // Warm up: the first request compiles the app.
      await h.app.handle(new Request(`http://x${path}`, { method: "POST", body: "{}" }));
      /** The best of three runs: this machine is shared, and the claim is about the work done, not the noise. */
      const best = async (name: string, body: string) => {
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          const res = await h.app.handle(new Request(`http://x${path}`, { method: "POST", body }));
          await res.text();
          times.push(performance.now() - t0);
          expect({ name, status: res.status < 500 }).toEqual({ name, status: true });
        }
        return Math.min(...times);
      };
      // The floor: 600 KB of plain text, read, captured and answered the same way.
      const floor = await best("floor", "x".repeat(2 * N));
      for (const [name, body] of Object.entries(bodies)) {
        const ms = await best(name, body);
        // Under 50 ms; on a machine so loaded that even the floor is slow, within twice the floor.
        expect({ name, ok: ms < Math.max(50, 2 * floor), ms: Math.round(ms), floor: Math.round(floor) }).toMatchObject({ name, ok: true });
      }
      const leaked = h.rt.db.query("SELECT COUNT(*) AS n FROM captures WHERE body_text LIKE '%hunter2%'").get() as { n: number };
      expect(leaked.n).toBe(0);
    });
  }
});
