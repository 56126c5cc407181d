/**
 * The floor for ingest benchmarks: a bare Bun.serve + bun:sqlite doing the
 * minimal insert per request with synchronous=NORMAL (not durable per answer).
 * Usage: bun bench/floor-server.ts <port> <dbfile>
 */
import { Database } from "bun:sqlite";

const port = Number(process.argv[2] ?? 0);
const db = new Database(process.argv[3] ?? ":memory:", { create: true });
db.run("PRAGMA journal_mode = WAL");
db.run("PRAGMA synchronous = NORMAL");
db.run("CREATE TABLE IF NOT EXISTS m (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
const ins = db.query("INSERT INTO m (body) VALUES (?)");
const answer = JSON.stringify({ code: 200, errorCode: 0, text: "success" });

const server = Bun.serve({
  port,
  hostname: "127.0.0.1",
  async fetch(req) {
    ins.run(await req.text());
    return new Response(answer, { headers: { "content-type": "application/json; charset=utf-8", connection: "close" } });
  },
});
console.log(`listening ${server.port}`);
process.on("SIGTERM", () => {
  server.stop();
  db.close();
  process.exit(0);
});
