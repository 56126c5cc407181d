/**
 * Webhooks from the outbox against a real receiver (issue 17 §3–§5): a second Bun server on
 * 127.0.0.1 verifies every signature. The runtime's clock runs in real time with a skew the
 * tests can move (3-day give-up, rotation grace); the sender uses short backoffs.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { WebhookSender, backoffMs } from "../../src/integrations/sender.ts";
import { runtimePerTest } from "../helpers.ts";
import { signIn, type Session } from "../staff/session.ts";
import { Receiver, until } from "./receiver.ts";

const fresh = runtimePerTest();
let stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
});

function realClock() {
  let skew = 0;
  return { now: () => Date.now() + skew, set: (ms: number) => void (skew = ms - Date.now()), advance: (ms: number) => void (skew += ms) };
}

async function setup(opts: { events?: string[]; timeoutMs?: number; sender?: boolean } = {}) {
  const clock = realClock();
  const h = fresh({}, clock);
  const receiver = new Receiver().start();
  receiver.now = clock.now;
  stops.push(() => receiver.stop());
  const admin = await signIn(h.rt, h.app);
  const created = await admin.call("POST", "/api/v1/webhooks", { url: receiver.url, events: opts.events ?? ["*"], timeoutMs: opts.timeoutMs ?? 2000 });
  expect(created.status).toBe(201);
  expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  receiver.secrets.set("current", created.body.secret);
  const sender = new WebhookSender(h.rt, { baseDelayMs: 20, maxDelayMs: 80, idleMs: 200 });
  if (opts.sender !== false) {
    sender.start();
    stops.push(() => sender.stop());
  }
  return { h, clock, receiver, admin, endpointId: created.body.id as number, secret: created.body.secret as string, sender };
}

const member = (admin: Session, name: string, memberNo?: string) => admin.call("POST", "/api/v1/members", { name, ...(memberNo ? { memberNo } : {}) });

const lefuUpload = (i: number) =>
  new Request("http://localhost/lefu/wifi/torre/record", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sn: "HOOK1", scaleType: 0, bat: "0.5", list: [{ memberid: `m-${i}`, weight: 70.5, timestamp: 1762430000 + i, data: [{ impedance: "512" }] }] }),
  });

const outboxIds = (h: { rt: { db: any } }) => (h.rt.db.query("SELECT event_id FROM outbox ORDER BY id").all() as { event_id: string }[]).map((r) => r.event_id);

describe("delivery", () => {
  test("a member change and a Lefu weighing reach the receiver, signed; the event is in the outbox when the device is answered", async () => {
    const { h, receiver, admin } = await setup();
    expect((await member(admin, "Ada", "A-1")).status).toBe(201);
    const res = await h.app.handle(lefuUpload(1));
    expect(await res.text()).toContain('"errorCode":0');
    // Acknowledged to the device: its events are on disk already.
    const types = (h.rt.db.query("SELECT type FROM outbox ORDER BY id").all() as { type: string }[]).map((r) => r.type);
    expect(types).toEqual(["member.created", "device.online", "measurement.created"]);
    await until(() => receiver.delivered.length >= 3, "three deliveries");
    const [m, online, meas] = receiver.delivered;
    expect(m!.event.type).toBe("member.created");
    expect(m!.event.data.memberNo).toBe("A-1");
    expect(m!.event.data.member.name).toBe("Ada");
    expect(online!.event.data.device.sn).toBe("HOOK1");
    expect(meas!.event.type).toBe("measurement.created");
    expect(meas!.event.data.measurement.weightKg).toBe(70.5);
    expect(meas!.event.data).toHaveProperty("report");
    for (const r of receiver.received) {
      expect(r.verifiedBy).toEqual(["current"]);
      expect(r.signatures).toHaveLength(1);
      expect(r.signatures[0]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    }
    expect(receiver.delivered.map((r) => r.id)).toEqual(outboxIds(h));
    // A success is recorded in a group commit the sender does not wait for.
    await until(() => (h.rt.db.query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'delivered'").get() as { n: number }).n === 3, "recorded");
    const list = await admin.call("GET", "/api/v1/webhooks");
    expect(list.body[0].state).toBe("active");
    expect(list.body[0].queued).toBe(0);
    expect(list.body[0].delivered).toBe(3);
    expect(list.body[0].lastSuccessAt).toBeGreaterThan(0);
  });

  test("an endpoint gets only its events; report.computed, measurement.assigned when staff claim a weighing", async () => {
    const { h, receiver, admin } = await setup({ events: ["measurement.assigned", "report.computed"] });
    const m = await admin.call("POST", "/api/v1/members", { name: "Bo", memberNo: "B-7", sex: "male", birthday: "1990-05-01", heightCm: 178 });
    await h.app.handle(lefuUpload(2));
    const pending = h.rt.db.query("SELECT id FROM measurements WHERE status = 'unassigned'").get() as { id: number };
    const claim = await admin.call("POST", `/api/v1/claims/${pending.id}/assign`, { memberId: m.body.id });
    expect(claim.status).toBe(200);
    await until(() => receiver.ofType("measurement.assigned").length === 1, "measurement.assigned");
    const a = receiver.ofType("measurement.assigned")[0]!;
    expect(a.event.data.memberNo).toBe("B-7");
    expect(a.event.data.measurement.status).toBe("assigned");
    // The claim computed the report with Bo's profile: report.computed carries it.
    await until(() => receiver.ofType("report.computed").length === 1, "report.computed");
    const r = receiver.ofType("report.computed")[0]!;
    expect(r.event.data.memberNo).toBe("B-7");
    expect(r.event.data.report).not.toBeNull();
    expect(JSON.stringify(r.event.data.report)).toContain("22.3");
    expect(receiver.received.map((r) => r.event.type).filter((t) => !["measurement.assigned", "report.computed"].includes(t))).toEqual([]);
  });

  test("a write job that fails leaves no event behind (same transaction)", async () => {
    const { h } = await setup({ sender: false });
    await expect(
      h.rt.writes.enqueue((db) => {
        h.rt.repos.outbox.add("member.updated", { x: 1 }, h.rt.now());
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(outboxIds(h)).toEqual([]);
    expect((h.rt.db.query("SELECT COUNT(*) AS n FROM webhook_deliveries").get() as { n: number }).n).toBe(0);
  });
});

describe("member events", () => {
  test("created, updated (fields, status, cards), deleted, and a CSV import's rows; each in its change's transaction", async () => {
    const { h, admin } = await setup({ sender: false });
    const m = (await member(admin, "Mei", "M-1")).body;
    await admin.call("PATCH", `/api/v1/members/${m.id}`, { heightCm: 160 });
    await admin.call("POST", `/api/v1/members/${m.id}/suspend`);
    await admin.call("POST", `/api/v1/members/${m.id}/credentials`, { kind: "card", value: "12345678" });
    await admin.call("DELETE", `/api/v1/members/${m.id}`);
    await admin.call("POST", "/api/v1/members/import", "memberNo,name\r\nM-2,Imported\r\n");
    const rows = (h.rt.db.query("SELECT type, payload_json FROM outbox ORDER BY id").all() as { type: string; payload_json: string }[]).map((r) => ({
      type: r.type,
      data: JSON.parse(r.payload_json),
    }));
    expect(rows.map((r) => r.type)).toEqual(["member.created", "member.updated", "member.updated", "member.updated", "member.deleted", "member.created"]);
    expect(rows[1]!.data.member.heightCm).toBe(160);
    expect(rows[2]!.data.member.status).toBe("suspended");
    expect(rows[3]!.data.member.cards).toEqual(["12345678"]);
    expect(rows[4]!.data.memberNo).toBe("M-1");
    expect(rows[5]!.data).toMatchObject({ memberNo: "M-2", changedBy: "admin" });
    // A change that fails writes no event.
    expect((await admin.call("PATCH", "/api/v1/members/999", { heightCm: 160 })).status).toBe(404);
    expect((h.rt.db.query("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n).toBe(6);
  });
});

describe("login.delivered", () => {
  test("a code login that reaches a Youjiu device is an event; a refused one is not", async () => {
    const { h, receiver, admin } = await setup({ events: ["login.delivered"] });
    h.rt.settings.set("youjiu.requireToken", false, "test"); // a box without device tokens
    const m = await member(admin, "Lu", "L-9");
    await admin.call("POST", `/api/v1/members/${m.body.id}/credentials`, { kind: "code", value: "QR-LOGIN-9" });
    const scan = (value: string) =>
      h.app.handle(new Request("http://localhost/youjiu/third_user", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "scan", value, sn: "XONE-9" }) }));
    expect(((await (await scan("QR-LOGIN-9")).json()) as { code: number }).code).toBe(0);
    await scan("NOBODY");
    const types = (h.rt.db.query("SELECT type FROM outbox WHERE type LIKE 'login.%'").all() as { type: string }[]).map((r) => r.type);
    expect(types).toEqual(["login.delivered"]);
    await until(() => receiver.delivered.length === 1, "login.delivered");
    expect(receiver.delivered[0]!.event.data).toMatchObject({ memberId: m.body.id, memberNo: "L-9", method: "scan" });
  });
});

describe("retention", () => {
  test("old events nobody waits for are pruned; pending ones are kept however old", async () => {
    const { h, receiver, admin, endpointId } = await setup();
    await member(admin, "Kept1");
    await until(() => receiver.delivered.length === 1, "delivered");
    await admin.call("POST", `/api/v1/webhooks/${endpointId}/pause`);
    await member(admin, "Pending");
    const pruned = await h.rt.writes.enqueue((db) => h.rt.repos.outbox.prune(h.rt.now() + 1));
    expect(pruned).toBe(1);
    const left = h.rt.db.query("SELECT o.type, d.state FROM outbox o JOIN webhook_deliveries d ON d.outbox_id = o.id").all();
    expect(left).toEqual([{ type: "member.created", state: "pending" }]);
  });
});

describe("order and concurrency", () => {
  test("events arrive in outbox order, one at a time, even when the receiver is slow and errs", async () => {
    const { h, receiver, admin } = await setup();
    receiver.behave = ({ attempt }) => ({ status: attempt === 1 && Math.random() < 0.3 ? 500 : 200, delayMs: Math.floor(Math.random() * 15) });
    await Promise.all(Array.from({ length: 25 }, (_, i) => member(admin, `Member ${i}`, `O-${i}`)));
    await until(() => receiver.delivered.length >= 25, "25 deliveries");
    expect(receiver.delivered.map((r) => r.id)).toEqual(outboxIds(h));
    expect(receiver.maxInFlight).toBe(1);
    // A retried event is retried before the next one is sent.
    const ids = receiver.received.map((r) => r.id);
    const firstSeen = [...new Set(ids)];
    expect(firstSeen).toEqual(outboxIds(h));
  });
});

describe("retries", () => {
  test("500s and a timeout are retried with backoff until delivered; the last error is shown", async () => {
    const { h, receiver, admin, endpointId } = await setup({ timeoutMs: 500 });
    receiver.behave = ({ attempt }) => (attempt <= 2 ? { status: 500, body: "database is down" } : attempt === 3 ? { status: 200, delayMs: 1500 } : 200);
    await member(admin, "Retry");
    await until(() => receiver.delivered.length >= 1 && receiver.received.length >= 4, "delivered on the 4th attempt");
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 200, 200]);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1);
    await until(() => (h.rt.db.query("SELECT state FROM webhook_deliveries").get() as { state: string }).state === "delivered", "recorded");
    const d = h.rt.db.query("SELECT attempts, state FROM webhook_deliveries").get() as { attempts: number; state: string };
    expect(d).toEqual({ attempts: 4, state: "delivered" });
    const ep = (await admin.call("GET", `/api/v1/webhooks/${endpointId}`)).body;
    expect(ep.lastError.message).toContain("timeout after 500 ms");
    const all = (await admin.call("GET", "/api/v1/webhooks")).body[0];
    expect(all.lastError).not.toBeNull();
    // The metrics count each outcome by endpoint.
    const metrics = await admin.call("GET", "/metrics");
    expect(metrics.text).toContain(`bodydock_webhook_deliveries_total{endpoint="${endpointId}",outcome="retry"} 3`);
    expect(metrics.text).toContain(`bodydock_webhook_deliveries_total{endpoint="${endpointId}",outcome="delivered"} 1`);
    expect(metrics.text).toContain("bodydock_outbox_depth 0");
  });

  test("the status and body excerpt of an error answer are kept", async () => {
    const { receiver, admin, endpointId } = await setup();
    receiver.behave = ({ attempt }) => (attempt === 1 ? { status: 503, body: "maintenance " + "x".repeat(1000) } : 200);
    await member(admin, "Excerpt");
    await until(() => receiver.delivered.length === 1, "delivered");
    const ep = (await admin.call("GET", `/api/v1/webhooks/${endpointId}`)).body;
    expect(ep.lastError.status).toBe(503);
    expect(ep.lastError.message).toStartWith("HTTP 503: maintenance x");
    expect(ep.lastError.message.length).toBeLessThan(400);
  });

  test("backoff doubles with jitter between half and all of the step, capped", () => {
    const o = { baseDelayMs: 1000, maxDelayMs: 8000 };
    expect(backoffMs(1, o, () => 0)).toBe(500);
    expect(backoffMs(1, o, () => 1)).toBe(1000);
    expect(backoffMs(3, o, () => 1)).toBe(4000);
    expect(backoffMs(10, o, () => 1)).toBe(8000);
    expect(backoffMs(10, o, () => 0)).toBe(4000);
  });

  test("after 3 days an event is marked failed, the next one goes, and the failed one stays replayable", async () => {
    const s = await setup();
    const { h, clock, receiver, endpointId } = s;
    let admin = s.admin;
    let down = true;
    receiver.behave = () => (down ? 500 : 200);
    await member(admin, "Old");
    await until(() => receiver.received.length >= 2, "two failed attempts");
    clock.advance(3 * 24 * 3600_000 + 1000);
    admin = await signIn(h.rt, h.app); // three days later the session has expired
    expect((await member(admin, "New")).status).toBe(201);
    await until(() => (h.rt.db.query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'failed'").get() as { n: number }).n === 1, "one failed");
    down = false;
    await until(() => receiver.delivered.length === 1, "the next event delivered");
    const [oldId, newId] = outboxIds(h);
    expect(receiver.delivered[0]!.id).toBe(newId!);
    const ep = (await admin.call("GET", `/api/v1/webhooks/${endpointId}`)).body;
    expect(ep.failed).toBe(1);
    expect((await admin.call("POST", `/api/v1/webhooks/${endpointId}/replay`, { eventId: oldId })).body).toEqual({ queued: 1 });
    await until(() => receiver.delivered.length === 2, "the failed one replayed");
    expect(receiver.delivered[1]!.id).toBe(oldId!);
  });
});

describe("receiver down for a while", () => {
  test("nothing is lost: every event id is delivered at least once, in order, after the receiver is back", async () => {
    const { h, receiver, admin } = await setup({ timeoutMs: 500 });
    const port = receiver.port;
    await receiver.stop();
    for (let i = 0; i < 15; i++) await member(admin, `Down ${i}`);
    await h.app.handle(lefuUpload(3));
    await until(() => (h.rt.db.query("SELECT MAX(attempts) AS n FROM webhook_deliveries").get() as { n: number }).n >= 3, "several failed attempts");
    expect(receiver.received).toHaveLength(0);
    receiver.start(port);
    const ids = outboxIds(h);
    expect(ids.length).toBe(17);
    await until(() => receiver.delivered.length >= ids.length, "all delivered after the receiver came back");
    expect([...new Set(receiver.delivered.map((r) => r.id))]).toEqual(ids);
  });
});

describe("410 Gone", () => {
  test("disables the endpoint: nothing more is sent or queued; resume sends the kept event", async () => {
    const { h, receiver, admin, endpointId } = await setup();
    let gone = true;
    receiver.behave = () => (gone ? 410 : 200);
    await member(admin, "Gone");
    await until(() => (h.rt.db.query("SELECT state FROM webhook_endpoints").get() as { state: string }).state === "disabled", "disabled");
    const ep = (await admin.call("GET", `/api/v1/webhooks/${endpointId}`)).body;
    expect(ep.state).toBe("disabled");
    expect(ep.stateReason).toContain("410");
    await member(admin, "After");
    expect(ep.queued).toBe(1);
    expect((await admin.call("GET", `/api/v1/webhooks/${endpointId}`)).body.queued).toBe(1);
    expect(receiver.received).toHaveLength(1);
    gone = false;
    expect((await admin.call("POST", `/api/v1/webhooks/${endpointId}/resume`)).body.state).toBe("active");
    await until(() => receiver.delivered.length === 1, "the kept event after resume");
    expect(receiver.delivered[0]!.event.data.member.name).toBe("Gone");
  });
});

describe("operations", () => {
  test("replay one event and a time range; the webhook-id stays the event's id", async () => {
    const { h, clock, receiver, admin, endpointId } = await setup();
    const t0 = clock.now();
    await member(admin, "R1");
    await member(admin, "R2");
    await until(() => receiver.delivered.length === 2, "two delivered");
    const ids = outboxIds(h);
    const one = await admin.call("POST", `/api/v1/webhooks/${endpointId}/replay`, { eventId: ids[0] });
    expect(one.body).toEqual({ queued: 1 });
    await until(() => receiver.delivered.length === 3, "replayed one");
    expect(receiver.delivered[2]!.id).toBe(ids[0]!);
    const range = await admin.call("POST", `/api/v1/webhooks/${endpointId}/replay`, { from: t0 - 1, to: clock.now() + 1 });
    expect(range.body).toEqual({ queued: 2 });
    await until(() => receiver.delivered.length === 5, "replayed the range");
    expect(receiver.delivered.slice(3).map((r) => r.id)).toEqual(ids);
    expect((await admin.call("POST", `/api/v1/webhooks/${endpointId}/replay`, { eventId: "evt_nope" })).status).toBe(404);
    expect((await admin.call("POST", `/api/v1/webhooks/${endpointId}/replay`, {})).status).toBe(422);
  });

  test("a replay made while an attempt is in flight is not overwritten by that attempt's outcome", async () => {
    const { h, admin, endpointId } = await setup({ sender: false });
    await member(admin, "Race");
    const repo = h.rt.repos.webhooks;
    const [head] = repo.head(endpointId);
    await h.rt.writes.enqueue(() => repo.replayOne(endpointId, head!.event_id, h.rt.now()));
    await h.rt.writes.enqueue(() => repo.delivered(head!, 200, h.rt.now()));
    expect(repo.stats(endpointId)).toMatchObject({ pending: 1, delivered: 0 });
  });

  test("pause holds deliveries (events keep queueing), resume sends them in order; test event", async () => {
    const { h, receiver, admin, endpointId } = await setup();
    expect((await admin.call("POST", `/api/v1/webhooks/${endpointId}/pause`)).body.state).toBe("paused");
    await member(admin, "P1");
    await member(admin, "P2");
    const paused = (await admin.call("GET", "/api/v1/webhooks")).body[0];
    expect(paused.queued).toBe(2);
    expect(paused.oldestPendingAt).toBeGreaterThan(0);
    expect(receiver.received).toHaveLength(0);
    await admin.call("POST", `/api/v1/webhooks/${endpointId}/resume`);
    await until(() => receiver.delivered.length === 2, "delivered after resume");
    const test_ = await admin.call("POST", `/api/v1/webhooks/${endpointId}/test`);
    await until(() => receiver.delivered.length === 3, "test event");
    expect(receiver.delivered[2]!.id).toBe(test_.body.eventId);
    expect(receiver.delivered[2]!.event.type).toBe("webhook.test");
    const actions = (h.rt.db.query("SELECT action FROM audit WHERE entity = 'webhook' ORDER BY id").all() as { action: string }[]).map((r) => r.action);
    expect(actions).toEqual(["webhook.create", "webhook.pause", "webhook.resume", "webhook.test"]);
  });

  test("secret rotation: old and new both sign during the grace period, then only the new one", async () => {
    const { clock, receiver, admin, endpointId } = await setup();
    const rot = await admin.call("POST", `/api/v1/webhooks/${endpointId}/rotate`, { graceHours: 1 });
    expect(rot.status).toBe(200);
    expect(rot.body.secret).not.toBe(receiver.secrets.get("current"));
    receiver.secrets.set("old", receiver.secrets.get("current")!);
    receiver.secrets.set("new", rot.body.secret);
    receiver.secrets.delete("current");
    await member(admin, "During");
    await until(() => receiver.delivered.length === 1, "delivered during rotation");
    expect(receiver.delivered[0]!.signatures).toHaveLength(2);
    expect(receiver.delivered[0]!.verifiedBy.sort()).toEqual(["new", "old"]);
    expect((await admin.call("GET", "/api/v1/webhooks")).body[0].rotatingUntil).toBe(rot.body.previousValidUntil);
    clock.advance(3600_000 + 1000);
    await member(admin, "After");
    await until(() => receiver.received.length === 2, "delivered after rotation");
    expect(receiver.received[1]!.signatures).toHaveLength(1);
    expect(receiver.received[1]!.verifiedBy).toEqual(["new"]);
  });
});

describe("device presence", () => {
  test("device.online on the first request, device.offline after the silent window", async () => {
    const { h, clock, receiver } = await setup({ events: ["device.online", "device.offline"] });
    await h.app.handle(lefuUpload(5));
    await h.app.handle(lefuUpload(6));
    await until(() => receiver.ofType("device.online").length === 1, "online");
    expect(await h.rt.presence.sweep()).toBe(0);
    clock.advance(11 * 60_000);
    expect(await h.rt.presence.sweep()).toBe(1);
    await until(() => receiver.received.some((r) => r.event.type === "device.offline"), "offline");
    await h.app.handle(lefuUpload(7));
    await until(() => receiver.received.filter((r) => r.event.type === "device.online").length === 2, "online again");
  });

  test("a Youjiu device that keeps polling from memory stays online; silent, it goes offline", async () => {
    const { h, clock } = await setup({ events: ["device.online", "device.offline"], sender: false });
    // A box that does not require device tokens, with the XONE paired (spec §0.3 defaults would refuse it).
    h.rt.settings.set("youjiu.requireToken", false, "test");
    h.rt.pairing.open(60, "test");
    const poll = () =>
      h.app.handle(new Request("http://localhost/youjiu/third_user", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "f-push", value: "XONE-P1" }) }));
    await poll();
    // Twelve minutes of polling every 5 s: within a poll session, answered from memory.
    for (let i = 0; i < 144; i++) {
      clock.advance(5_000);
      await poll();
    }
    const captured = (h.rt.db.query("SELECT COUNT(*) AS n FROM captures WHERE router = 'youjiu'").get() as { n: number }).n;
    expect(captured).toBeLessThan(5);
    expect(await h.rt.presence.sweep()).toBe(0);
    clock.advance(11 * 60_000);
    expect(await h.rt.presence.sweep()).toBe(1);
    expect((h.rt.db.query("SELECT type FROM outbox ORDER BY id").all() as { type: string }[]).map((r) => r.type)).toEqual(["device.online", "device.offline"]);
  });
});
