/**
 * Issue 18 §6: `bodydock backup` copies pages under SQLite's read-mark-0 lock (store/backup.ts) while
 * another process keeps writing and checkpointing. The copy must be a consistent database holding every
 * write committed before the backup started.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import { checkBackup } from "../../src/store/backup.ts";
import { REPO_ROOT, runBodydock, tempDir } from "../helpers.ts";

/** Runs backupTo in another process (the page copy is for a process with no other connection to the file). */
async function backupInChild(file: string, target: string, opts: object) {
  const script = `const { backupTo } = await import(${JSON.stringify(join(REPO_ROOT, "src/store/backup.ts"))});
    console.log(JSON.stringify(backupTo(${JSON.stringify(file)}, ${JSON.stringify(target)}, ${JSON.stringify(opts)})));`;
  const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  return proc;
}

test("a page copy taken while another process writes and checkpoints is consistent and holds every earlier commit", async () => {
  const dir = tempDir();
  const file = join(dir, "bodydock.sqlite");
  const { db } = openDatabase(file);
  // Checkpoints after almost every commit: a copy of the main file without the lock would catch them half-written.
  db.run("PRAGMA wal_autocheckpoint = 4");
  db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  db.run("CREATE INDEX t_v ON t(v)");
  const ins = db.prepare("INSERT INTO t (v) VALUES (?)");
  const batch = (n: number) => db.transaction(() => { for (let i = 0; i < n; i++) ins.run(crypto.randomUUID().repeat(8)); })();
  for (let i = 0; i < 40; i++) batch(100);
  const before = (db.query("SELECT MAX(id) AS n FROM t").get() as { n: number }).n;

  const target = join(dir, "copy.sqlite");
  // Small chunks with pauses: the copy lasts while the writes below go on.
  const child = await backupInChild(file, target, { pages: true, chunkBytes: 16384, pauseMs: 2, syncBytes: 1 << 20 });
  let writes = 0;
  const exited = child.exited;
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    batch(50);
    writes++;
    await Bun.sleep(1);
  }
  const out = await new Response(child.stdout).text();
  expect(await new Response(child.stderr).text()).toBe("");
  expect(await exited).toBe(0);
  const report = JSON.parse(out);
  expect(report.method).toBe("pages");
  expect(writes).toBeGreaterThan(5);
  // The server went on writing into the WAL (its checkpoints were held off), and its data is intact.
  expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  const after = (db.query("SELECT MAX(id) AS n FROM t").get() as { n: number }).n;
  db.close();

  const copy = new Database(target, { readonly: true });
  expect(copy.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
  const { n, max } = copy.query("SELECT COUNT(*) AS n, MAX(id) AS max FROM t").get() as { n: number; max: number };
  // A snapshot: ids 1..max with no gap, everything committed before the backup, nothing after the writes ended.
  expect(n).toBe(max);
  expect(max).toBeGreaterThanOrEqual(before);
  expect(max).toBeLessThanOrEqual(after);
  expect(copy.query("PRAGMA auto_vacuum").get()).toEqual({ auto_vacuum: 2 });
  copy.close();
  expect(checkBackup(target).schemaVersion).toBeGreaterThan(0);
}, 60_000);

test("bodydock backup copies pages and says so; the copy restores", async () => {
  const dir = tempDir();
  openDatabase(join(dir, "bodydock.sqlite")).db.close();
  const target = join(tempDir(), "b.sqlite");
  const b = await runBodydock(["backup", target, "--data-dir", dir]);
  expect(b.code).toBe(0);
  expect(b.stdout).toMatch(/backup written to .* pages copied/);
  const r = await runBodydock(["restore", target, "--data-dir", dir]);
  expect(r.code).toBe(0);
});
