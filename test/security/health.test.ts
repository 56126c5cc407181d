/**
 * Issue 13, point 11: /healthz reports a store that cannot take writes. The disk is made "full" for
 * real: SQLite's max_page_count caps the file at its current size, so the next write that needs a
 * page fails with SQLITE_FULL, as it would on a full disk.
 */
import { describe, expect, test } from "bun:test";
import { runtimePerTest } from "../helpers.ts";

const fresh = runtimePerTest();

describe("GET /healthz while writes fail", () => {
  test("503 with the reason after a failed write (disk full), 200 again once a write succeeds", async () => {
    const h = fresh({ logLevel: "warn" });
    const health = async () => {
      const res = await h.app.handle(new Request("http://localhost/healthz"));
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    expect((await health()).status).toBe(200);

    const { page_count } = h.rt.db.query("PRAGMA page_count").get() as { page_count: number };
    h.rt.db.run(`PRAGMA max_page_count = ${page_count}`);
    const reading = (ts: number, pad = 200_000) =>
      h.app.handle(new Request("http://scale/lefu/wifi/record", { method: "POST", body: JSON.stringify({ sn: "S1", weight: 70, timestamp: ts, note: "x".repeat(pad) }) }));
    // The scale is told the write failed (the only 5xx a device ever gets) ...
    expect((await reading(1762430000)).status).toBe(500);
    // ... and so is the health check, with the reason, even though reads still work.
    const bad = await health();
    expect(bad.status).toBe(503);
    expect(bad.body).toMatchObject({ status: "error", db: "write_failing", write: { code: "SQLITE_FULL" } });
    expect(bad.body.reason).toContain("full");
    // It stays red while nothing has been written ...
    expect((await health()).status).toBe(503);

    // ... and turns green after the next write that succeeds.
    h.rt.db.run("PRAGMA max_page_count = 1073741823");
    expect((await reading(1762430001)).status).toBe(200);
    expect(await health()).toMatchObject({ status: 200, body: { status: "ok", db: "ok" } });
  });

  test("a job's own error (not the store's) does not make the store unhealthy", async () => {
    const h = fresh({ logLevel: "warn" });
    await expect(h.rt.writes.enqueue((db) => db.run("INSERT INTO no_such_table VALUES (1)"))).rejects.toThrow();
    await expect(h.rt.writes.enqueue(() => { throw new Error("validation"); })).rejects.toThrow();
    expect((await h.app.handle(new Request("http://localhost/healthz"))).status).toBe(200);
  });
});
