/**
 * A webhook receiver for benchmarks, in its own process: verifies every Standard Webhooks
 * signature, answers 200 (after `delayMs` when given), counts. GET /stats → {received, verified,
 * unique, bytes, firstAt, lastAt}.
 *
 * Usage: bun bench/webhook-receiver.ts PORT SECRET [delayMs=0]
 */
import { verify } from "../src/integrations/signature.ts";

const [port, secret, delay] = [Number(process.argv[2]), process.argv[3]!, Number(process.argv[4] ?? 0)];
const ids = new Set<string>();
const s = { received: 0, verified: 0, unique: 0, bytes: 0, firstAt: 0, lastAt: 0, maxBody: 0 };
Bun.serve({
  hostname: "127.0.0.1",
  port,
  async fetch(req) {
    if (req.method === "GET") return Response.json({ ...s, unique: ids.size });
    const body = await req.text();
    s.received++;
    s.bytes += body.length;
    s.maxBody = Math.max(s.maxBody, body.length);
    if (verify(secret, req.headers, body, Math.floor(Date.now() / 1000))) s.verified++;
    ids.add(req.headers.get("webhook-id") ?? "");
    s.firstAt ||= Date.now();
    s.lastAt = Date.now();
    if (delay > 0) await Bun.sleep(delay);
    return new Response(null, { status: 204 });
  },
});
console.log("ready");
