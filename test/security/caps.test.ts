/**
 * Issue 13, point 7: per-address caps. Live event streams (GET /api/v1/youjiu/events) and the
 * volume of captures that unauthenticated device requests may write.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { startServer, type RunningServer } from "../../src/server.ts";
import { memoryLogger } from "../../src/log.ts";
import { CAPTURE_CAP } from "../../src/devices/common/capture-budget.ts";
import { MAX_EVENT_STREAMS_PER_ADDRESS } from "../../src/staff/youjiu.ts";
import { runtimePerTest, testConfig } from "../helpers.ts";
import { signIn } from "../staff/session.ts";

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe("live event streams per address", () => {
  test(`at most ${MAX_EVENT_STREAMS_PER_ADDRESS} open at once; a closed one frees its place`, async () => {
    server = await startServer(testConfig({ logLevel: "warn" }), { log: memoryLogger("warn") });
    const { app } = await import("../../src/app.ts").then((m) => ({ app: m.createApp(server!.runtime) }));
    const s = await signIn(server.runtime, app);
    const url = `http://127.0.0.1:${server.port}/api/v1/youjiu/events`;
    const open: AbortController[] = [];
    for (let i = 0; i < MAX_EVENT_STREAMS_PER_ADDRESS; i++) {
      const ac = new AbortController();
      const res = await fetch(url, { headers: { cookie: s.cookie }, signal: ac.signal });
      expect(res.status).toBe(200);
      // The stream is live: its first event has arrived.
      const first = await res.body!.getReader().read();
      expect(new TextDecoder().decode(first.value)).toContain("event: hello");
      open.push(ac);
    }
    const over = await fetch(url, { headers: { cookie: s.cookie } });
    expect(over.status).toBe(429);
    expect((await over.json()).error.code).toBe("too_many_streams");
    open.shift()!.abort();
    // The server notices the closed stream; then one more may open.
    let status = 429;
    while (status === 429) {
      const res = await fetch(url, { headers: { cookie: s.cookie }, signal: AbortSignal.timeout(2000) });
      status = res.status;
      if (status === 200) open.push({ abort: () => res.body?.cancel() } as AbortController);
      else await res.text();
    }
    expect(status).toBe(200);
    for (const ac of open) ac.abort();
  });
});

describe("unauthenticated capture volume per address", () => {
  const fresh = runtimePerTest();
  const count = (h: ReturnType<typeof fresh>, where = "1") => (h.rt.db.query(`SELECT COUNT(*) AS n FROM captures WHERE ${where}`).get() as { n: number }).n;

  test(`past ${CAPTURE_CAP.rows} requests a minute, one address's captures share one row; every request is still answered and its data kept`, async () => {
    const h = fresh({ logLevel: "warn" });
    const n = CAPTURE_CAP.rows + 50;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        h.app.handle(new Request(`http://x/lefu/wifi/record`, { method: "POST", body: JSON.stringify({ sn: "FLOOD", weight: 70, timestamp: 1762430000 + i }) })),
      ),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(count(h)).toBe(CAPTURE_CAP.rows + 1);
    expect(count(h, "body_text LIKE '[capture volume limit%'")).toBe(1);
    // Nothing the scale sent is lost: every reading is stored (and points at a capture).
    const m = h.rt.db.query("SELECT COUNT(*) AS n, COUNT(capture_id) AS c FROM measurements").get() as { n: number; c: number };
    expect(m).toEqual({ n: n, c: n });
    // A minute later the address has its budget back.
    h.clock.advance(CAPTURE_CAP.windowMs);
    await h.app.handle(new Request(`http://x/lefu/wifi/record`, { method: "POST", body: JSON.stringify({ sn: "FLOOD", weight: 70, timestamp: 1762439999 }) }));
    expect(count(h)).toBe(CAPTURE_CAP.rows + 2);
  });

  test(`past ${CAPTURE_CAP.bytes} bytes of bodies a minute, captures keep their metadata but not the body`, async () => {
    const h = fresh({ logLevel: "warn" });
    const big = JSON.stringify({ sn: "BIG", weight: 70, pad: "x".repeat(900 * 1024) });
    for (let i = 0; i < 6; i++) expect((await h.app.handle(new Request(`http://x/lefu/wifi/torre/record`, { method: "POST", body: big }))).status).toBe(200);
    expect(count(h)).toBe(6);
    expect(count(h, "body_text LIKE '[body not kept: capture volume limit%'")).toBe(2);
    expect(count(h, "body_bytes > 900 * 1024")).toBe(6);
  });
});
