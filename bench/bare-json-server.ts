/** A bare Bun.serve answering the Youjiu `waiting:1` JSON, for comparison. Usage: bun bench/bare-json-server.ts <port> */
const answer = JSON.stringify({ code: 0, message: "SUCCESS", result: { waiting: 1 } });
const server = Bun.serve({
  port: Number(process.argv[2] ?? 0),
  hostname: "127.0.0.1",
  async fetch(req) {
    await req.text();
    return new Response(answer, { headers: { "content-type": "application/json; charset=utf-8" } });
  },
});
console.log(`listening ${server.port}`);
process.on("SIGTERM", () => {
  server.stop();
  process.exit(0);
});
