/** Issue 18 §5: capture retention in small batches that let device writes through, then space given back. */
import { expect, test } from "bun:test";
import { MAX_BATCH, pruneCaptures } from "../../src/store/retention.ts";
import { runtimePerTest } from "../helpers.ts";

const fresh = runtimePerTest();
const DAY = 86_400_000;

/** 3,000 captures of 3 KB each, 40 days old: past a 30-day retention, and enough pages to give back in many steps. */
function oldCaptures(h: ReturnType<typeof fresh>, now: number): void {
  const { captures } = h.rt.repos;
  h.rt.db.transaction(() => {
    for (let i = 0; i < 3000; i++)
      captures.insert({ receivedAt: now - 40 * DAY + i, remoteIp: null, method: "POST", rawPath: "/lefu/wifi/record", router: "lefu", routeKey: "record", pathPrefix: null, headers: { a: "b" }, bodyText: "x".repeat(3000), bodyBytes: 3000, parseStatus: "ok", authResult: null, responseStatus: 200, responseBody: "{}", deviceId: null });
  })();
}

test("old ordinary captures go in batches, flagged and recent ones stay, measurements keep their rows; device writes interleave; pages are freed", async () => {
  const h = fresh();
  const db = h.rt.db;
  const { captures } = h.rt.repos;
  const now = h.clock.now();
  const cap = (receivedAt: number, flags: { unknownPath?: boolean; quarantine?: boolean } = {}) =>
    captures.insert({ receivedAt, remoteIp: null, method: "POST", rawPath: "/lefu/wifi/record", router: "lefu", routeKey: "record", pathPrefix: null, headers: { a: "b" }, bodyText: "x".repeat(2000), bodyBytes: 2000, parseStatus: "ok", authResult: null, responseStatus: 200, responseBody: "{}", deviceId: null, ...flags });
  db.transaction(() => {
    for (let i = 0; i < 5000; i++) {
      const id = cap(now - 40 * DAY + i);
      if (i % 10 === 0) db.query("INSERT INTO measurements (idem_key, source, status, measured_at, received_at, weight_kg, capture_id) VALUES (?, 't', 'unassigned', 0, 0, 70, ?)").run(`k${i}`, id);
    }
    cap(now - 40 * DAY, { unknownPath: true });
    cap(now - 40 * DAY, { quarantine: true });
    for (let i = 0; i < 10; i++) cap(now - DAY);
  })();
  expect(db.query("PRAGMA auto_vacuum").get()).toEqual({ auto_vacuum: 2 });

  const order: string[] = [];
  const prune = pruneCaptures(db, h.rt.writes, now - 30 * DAY).then((r) => (order.push("prune done"), r));
  // A device write enqueued while the prune runs is committed between two batches, not after all of them.
  await h.rt.writes.drain(); // the prune's first batch is committed (its next one is being queued)
  await h.rt.writes.enqueue(() => order.push("device write"));
  const r = await prune;
  expect(order).toEqual(["device write", "prune done"]);
  expect(r.deleted).toBe(5000);
  expect(r.batches).toBeGreaterThan(2);
  expect(r.batches).toBeGreaterThanOrEqual(Math.ceil(5000 / MAX_BATCH));
  const left = db.query("SELECT unknown_path, quarantine, COUNT(*) AS n FROM captures GROUP BY 1, 2 ORDER BY 1, 2").all();
  expect(left).toEqual([
    { unknown_path: 0, quarantine: 0, n: 10 },
    { unknown_path: 0, quarantine: 1, n: 1 },
    { unknown_path: 1, quarantine: 0, n: 1 },
  ]);
  expect(db.query("SELECT COUNT(*) AS n, COUNT(capture_id) AS linked FROM measurements").get()).toEqual({ n: 500, linked: 0 });
  expect(r.pagesFreed).toBeGreaterThan(1000);
  expect(db.query("PRAGMA freelist_count").get()).toEqual({ freelist_count: 0 });
});

test("a backup of an older database (auto_vacuum off) is written with auto_vacuum=INCREMENTAL; the source is unchanged", async () => {
  const { Database } = await import("bun:sqlite");
  const { backupTo } = await import("../../src/store/backup.ts");
  const { tempDir } = await import("../helpers.ts");
  const dir = tempDir();
  const src = `${dir}/old.sqlite`;
  const old = new Database(src, { create: true });
  old.run("PRAGMA journal_mode = WAL");
  old.run("CREATE TABLE t (x)");
  old.run("INSERT INTO t VALUES (1)");
  expect(old.query("PRAGMA auto_vacuum").get()).toEqual({ auto_vacuum: 0 });
  backupTo(src, `${dir}/copy.sqlite`);
  expect(old.query("PRAGMA auto_vacuum").get()).toEqual({ auto_vacuum: 0 });
  old.close();
  const copy = new Database(`${dir}/copy.sqlite`, { readonly: true });
  expect(copy.query("PRAGMA auto_vacuum").get()).toEqual({ auto_vacuum: 2 });
  expect(copy.query("SELECT x FROM t").all()).toEqual([{ x: 1 }]);
  copy.close();
});

test("old outbox events go in batches (not one job), oldest first; events still pending for an endpoint and recent ones stay; deliveries go with their events; pages are freed", async () => {
  const h = fresh();
  const db = h.rt.db;
  const outbox = h.rt.repos.outbox;
  const retention = h.rt.repos.retention;
  const now = h.clock.now();
  db.query("INSERT INTO webhook_endpoints (id, url, events_json, secret, created_at, updated_at) VALUES (1, 'http://127.0.0.1:9/x', '[\"*\"]', 's', 0, 0)").run();
  const payload = { text: "x".repeat(1500) };
  let pendingId = 0;
  db.transaction(() => {
    for (let i = 0; i < 5000; i++) {
      const { id } = outbox.add("member.updated", payload, now - 40 * DAY + i);
      // Every event got a pending delivery (the endpoint wants all); the old ones were delivered, but one.
      if (i === 2500) pendingId = id;
      else db.query("UPDATE webhook_deliveries SET state = 'delivered' WHERE outbox_id = ?").run(id);
    }
    for (let i = 0; i < 10; i++) outbox.add("member.updated", payload, now - DAY);
  })();
  expect(db.query("SELECT COUNT(*) AS n FROM webhook_deliveries").get()).toEqual({ n: 5010 });

  const order: string[] = [];
  const prune = retention.pruneOutbox(h.rt.writes, now - 30 * DAY).then((r) => (order.push("prune done"), r));
  await h.rt.writes.drain(); // the first batch is committed (the next one is being queued)
  await h.rt.writes.enqueue(() => order.push("device write"));
  const r = await prune;
  expect(order).toEqual(["device write", "prune done"]);
  expect(r.deleted).toBe(4999);
  expect(r.batches).toBeGreaterThanOrEqual(Math.ceil(4999 / MAX_BATCH));
  expect(r.batches).toBeGreaterThan(2);
  const left = db.query("SELECT o.id, o.created_at < ? AS old, d.state FROM outbox o LEFT JOIN webhook_deliveries d ON d.outbox_id = o.id ORDER BY o.id").all(now - 30 * DAY) as Array<{ id: number; old: number; state: string }>;
  expect(left.length).toBe(11);
  expect(left[0]).toEqual({ id: pendingId, old: 1, state: "pending" });
  expect(left.slice(1).every((x) => x.old === 0 && x.state === "pending")).toBe(true);
  expect(db.query("SELECT COUNT(*) AS n FROM webhook_deliveries").get()).toEqual({ n: 11 });
  expect(r.pagesFreed).toBeGreaterThan(1000);
  expect(db.query("PRAGMA freelist_count").get()).toEqual({ freelist_count: 0 });
  // A second run finds nothing more to do, in one batch.
  const again = await retention.pruneOutbox(h.rt.writes, now - 30 * DAY);
  expect({ deleted: again.deleted, batches: again.batches }).toEqual({ deleted: 0, batches: 1 });
});

test("freed pages go back in steps that stay short: no step moves more than VACUUM_PAGES, and small steps come first", async () => {
  const { VACUUM_PAGES } = await import("../../src/store/retention.ts");
  const h = fresh();
  const db = h.rt.db;
  const now = h.clock.now();
  oldCaptures(h, now);
  const report = await pruneCaptures(db, h.rt.writes, now - 30 * DAY, { pauseMs: 0 });
  expect(report.pagesFreed).toBeGreaterThan(2000);
  expect(db.query("PRAGMA freelist_count").get()).toEqual({ freelist_count: 0 });
  expect(report.firstStepPages).toBeGreaterThan(0);
  expect(report.firstStepPages).toBeLessThanOrEqual(32);
  expect(report.largestStepPages).toBeLessThanOrEqual(VACUUM_PAGES);
  expect(report.vacuumSteps).toBeGreaterThan(report.pagesFreed / VACUUM_PAGES);
});

test("a server stopping in the middle of giving pages back ends the prune quietly (no use of the closed database)", async () => {
  const { until } = await import("../helpers.ts");
  const h = fresh();
  const db = h.rt.db;
  const now = h.clock.now();
  oldCaptures(h, now);
  const free = db.query("PRAGMA freelist_count");
  let most = 0;
  const prune = pruneCaptures(db, h.rt.writes, now - 30 * DAY).then(
    (r) => ({ ok: true as const, r }),
    (e: Error) => ({ ok: false as const, message: e.message }),
  );
  // The deletes are done and the vacuum has begun: the free list grew and is shrinking.
  await until(() => {
    const n = (free.get() as { freelist_count: number }).freelist_count;
    most = Math.max(most, n);
    return most > 500 && n < most;
  }, "a vacuum step", 20_000);
  await h.rt.close();
  const end = await prune;
  if (!end.ok) expect(end.message).toMatch(/write queue is closed/);
  else expect(end.r.pagesFreed).toBeGreaterThan(0);
}, 30_000);
