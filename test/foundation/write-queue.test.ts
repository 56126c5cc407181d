import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import { WriteQueue } from "../../src/store/write-queue.ts";
import { REPO_ROOT, tempDir } from "../helpers.ts";

function setup() {
  const { db } = openDatabase(join(tempDir(), "q.sqlite"));
  db.run("CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (length(v) > 0))");
  const insert = db.query("INSERT INTO items (v) VALUES (?) RETURNING id");
  const q = new WriteQueue(db);
  const add = (v: string) =>
    q.enqueue(() => {
      if (v === "") throw new Error("validation: empty value");
      return (insert.get(v) as { id: number }).id;
    });
  return { db, q, add };
}

describe("write queue with group commit", () => {
  test("concurrent writes are committed together in one transaction", async () => {
    const { db, q, add } = setup();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => add(`v${i}`)));
    expect(new Set(results).size).toBe(50);
    expect(q.stats.batches).toBe(1);
    expect(q.stats.largestBatch).toBe(50);
    expect((db.query("SELECT COUNT(*) AS n FROM items").get() as { n: number }).n).toBe(50);
    db.close();
  });

  test("one write that fails validation is rolled back alone; the others still commit", async () => {
    const { db, q, add } = setup();
    const outcomes = await Promise.allSettled([add("a"), add(""), add("c"), add("d")]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain("validation");
    expect(db.query("SELECT v FROM items ORDER BY id").all()).toEqual([{ v: "a" }, { v: "c" }, { v: "d" }]);
    expect(q.stats.batches).toBe(1);
    db.close();
  });

  test("a job's partial writes are undone when it throws (savepoint)", async () => {
    const { db, q } = setup();
    const ins = db.query("INSERT INTO items (v) VALUES (?)");
    const bad = q.enqueue(() => {
      ins.run("first-half");
      throw new Error("second half failed");
    });
    const good = q.enqueue(() => ins.run("ok"));
    await expect(bad).rejects.toThrow("second half failed");
    await good;
    expect(db.query("SELECT v FROM items").all()).toEqual([{ v: "ok" }]);
    db.close();
  });

  test("a write is not acknowledged before its commit: callers resolve only after COMMIT", async () => {
    const { db, q, add } = setup();
    const file = db.filename;
    let resolved = false;
    let seenByAnotherConnection = -1;
    const p = add("x").then(() => {
      resolved = true;
      // At the moment the caller is answered, the row is committed: another connection sees it.
      const other = new Database(file, { readonly: true });
      seenByAnotherConnection = (other.query("SELECT COUNT(*) AS n FROM items").get() as { n: number }).n;
      other.close();
    });
    // Let every pending microtask run (a queue that acknowledged at enqueue would have resolved by now),
    // but not the scheduled flush (setImmediate): nothing is committed and nobody is answered.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(q.depth).toBe(1);
    expect((db.query("SELECT COUNT(*) AS n FROM items").get() as { n: number }).n).toBe(0);
    expect(resolved).toBe(false);
    await p;
    expect(resolved).toBe(true);
    expect(seenByAnotherConnection).toBe(1);
    db.close();
  });

  test("writes arriving during a commit go into the next batch", async () => {
    const { db, q, add } = setup();
    const first = Promise.all([add("a"), add("b")]);
    await first;
    const second = Promise.all([add("c"), add("d"), add("e")]);
    await second;
    expect(q.stats.batches).toBe(2);
    expect(q.stats.jobs).toBe(5);
    db.close();
  });

  test("a failed COMMIT rejects every caller of that batch", async () => {
    const { db } = setup();
    const q = new WriteQueue(db);
    db.run("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    db.run("CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
    // A deferred foreign key violation only fails at COMMIT.
    const a = q.enqueue((d) => d.run("INSERT INTO child (pid) VALUES (42)"));
    const b = q.enqueue((d) => d.run("INSERT INTO items (v) VALUES ('innocent')"));
    const [ra, rb] = await Promise.allSettled([a, b]);
    expect(ra.status).toBe("rejected");
    expect(rb.status).toBe("rejected");
    expect(String((rb as PromiseRejectedResult).reason)).toContain("FOREIGN KEY");
    expect((db.query("SELECT COUNT(*) AS n FROM items").get() as { n: number }).n).toBe(0);
    // The queue keeps working afterwards.
    await q.enqueue((d) => d.run("INSERT INTO items (v) VALUES ('after')"));
    expect((db.query("SELECT COUNT(*) AS n FROM items").get() as { n: number }).n).toBe(1);
    db.close();
  });

  test("a crash between enqueue and commit loses only unacknowledged writes", async () => {
    // A child process acknowledges writes (prints their ids after commit), then
    // enqueues more and is SIGKILLed before they can commit.
    const dir = tempDir();
    const script = join(dir, "crash.ts");
    await Bun.write(
      script,
      `import { openDatabase } from ${JSON.stringify(join(REPO_ROOT, "src/store/db.ts"))};
import { WriteQueue } from ${JSON.stringify(join(REPO_ROOT, "src/store/write-queue.ts"))};
const { db } = openDatabase(${JSON.stringify(join(dir, "c.sqlite"))});
db.run("CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)");
const q = new WriteQueue(db);
const ins = db.query("INSERT INTO items (v) VALUES (?) RETURNING id");
for (let round = 0; round < 5; round++) {
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => q.enqueue(() => (ins.get("r" + round + "-" + i) as any).id)));
  process.stdout.write("ACK " + ids.join(",") + "\\n");
}
// Enqueued but never committed: the process dies before the scheduled flush.
for (let i = 0; i < 20; i++) q.enqueue(() => ins.get("lost-" + i));
process.kill(process.pid, "SIGKILL");
`,
    );
    const proc = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "pipe" });
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    expect(proc.signalCode).toBe("SIGKILL");
    const acked = out
      .split("\n")
      .filter((l) => l.startsWith("ACK "))
      .flatMap((l) => l.slice(4).split(",").map(Number));
    expect(acked.length).toBe(100);
    const db = new Database(join(dir, "c.sqlite"));
    const stored = (db.query("SELECT id, v FROM items").all() as Array<{ id: number; v: string }>);
    const ids = new Set(stored.map((r) => r.id));
    for (const id of acked) expect(ids.has(id)).toBe(true);
    expect(stored.filter((r) => r.v.startsWith("lost-")).length).toBe(0);
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    db.close();
  });

  test("drain() commits what is queued; after close() new writes are refused", async () => {
    const { db, q, add } = setup();
    const p = add("queued");
    await q.close();
    await p;
    expect((db.query("SELECT COUNT(*) AS n FROM items").get() as { n: number }).n).toBe(1);
    await expect(add("late")).rejects.toThrow("closed");
    db.close();
  });
});
