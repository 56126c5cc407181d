/**
 * The machine's own floor for latency: a bare Bun.serve that reads the body and answers a Lefu success
 * with `Connection: close`, storing nothing. Its p99 at N closed-loop connections is the tail this machine
 * and this client give a server that does no work (issue 18, bench/README.md "Session 6").
 * Usage: bun bench/echo-server.ts <port>
 */
export {};

const answer = JSON.stringify({ code: 200, errorCode: 0, text: "success" });
const headers = { "content-type": "application/json", connection: "close" };
const server = Bun.serve({
  port: Number(process.argv[2] ?? 0),
  hostname: "127.0.0.1",
  async fetch(req) {
    if (req.method === "GET") return new Response("ok");
    await req.text();
    return new Response(answer, { headers });
  },
});
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
console.log(`listening ${server.port}`);
