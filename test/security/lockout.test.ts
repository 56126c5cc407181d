/**
 * Issue 13, point 8: failed sign-ins cannot be used to keep staff out. A growing delay per
 * username instead of a 15-minute lock; an address the account signed in from is not held back;
 * an admin can unlock; a new password unlocks; the staff list shows who is held back.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { request as httpRequest } from "node:http";
import { startServer, type RunningServer } from "../../src/server.ts";
import { memoryLogger } from "../../src/log.ts";
import { SignInThrottle } from "../../src/staff/rate-limit.ts";
import { runtimePerTest, testClock, testConfig } from "../helpers.ts";
import { ORIGIN, TEST_PASSWORD, send, signIn } from "../staff/session.ts";
import { launchBrowser } from "../web/harness.ts";

const fresh = runtimePerTest();

function setup() {
  const h = fresh({ logLevel: "warn" });
  const login = (username: string, password: string) => send(h.app, "POST", "/api/v1/auth/login", { username, password }, { origin: ORIGIN });
  return { ...h, login };
}

describe("the per-username delay", () => {
  test("grows 1, 2, 4 … s after the fifth failure, never past 5 minutes, and is forgotten an hour later", () => {
    const clock = testClock();
    const t = new SignInThrottle(clock.now);
    const waits: number[] = [];
    for (let i = 0; i < 20; i++) {
      const w = t.take("alice", "10.0.0.9");
      if (w > 0) {
        waits.push(w);
        clock.advance(w * 1000);
        expect(t.take("alice", "10.0.0.9")).toBe(0);
      }
    }
    expect(waits.slice(0, 10)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
    expect(Math.max(...waits)).toBe(300);
    clock.advance(SignInThrottle.FORGET_MS);
    expect(t.failures("alice")).toBe(0);
  });

  test("someone guessing cannot keep the account out for long: the correct password gets through within 5 minutes", async () => {
    const h = setup();
    await signIn(h.rt, h.app, { username: "alice" });
    // An attacker guesses again as soon as they are allowed to, for half an hour.
    const start = h.clock.now();
    while (h.clock.now() - start < 30 * 60_000) {
      const r = await h.login("alice", "guess");
      if (r.status === 429) h.clock.advance(Number(r.headers.get("retry-after")) * 1000);
      else expect(r.status).toBe(401);
    }
    // Their last guesses: until the account is held back again, right now.
    while ((await h.login("alice", "guess")).status === 401);
    // Right after the last guess, the real user waits at most 5 minutes (the old rule: a 15-minute
    // lock that the attacker renewed for as long as they liked).
    const first = await h.login("alice", TEST_PASSWORD);
    expect(first.status).toBe(429);
    const wait = Number(first.headers.get("retry-after"));
    expect(wait).toBeLessThanOrEqual(300);
    h.clock.advance(wait * 1000);
    expect((await h.login("alice", TEST_PASSWORD)).status).toBe(200);
  }, 60_000);
});

describe("admin unlock, new password, staff list", () => {
  test("the staff list shows who is held back; an admin unlocks (audited); staff may not", async () => {
    const h = setup();
    const admin = await signIn(h.rt, h.app, { username: "boss" });
    const staff = await signIn(h.rt, h.app, { username: "frontdesk", role: "staff" });
    // Eight wrong guesses, each as soon as it is allowed.
    for (let failures = 0; failures < 8; ) {
      const r = await h.login("frontdesk", "guess");
      if (r.status === 401) failures++;
      else h.clock.advance(Number(r.headers.get("retry-after")) * 1000);
    }
    expect((await h.login("frontdesk", TEST_PASSWORD)).status).toBe(429);
    const list = await admin.call("GET", "/api/v1/staff");
    const row = list.body.find((s: { username: string }) => s.username === "frontdesk");
    expect(row.failedSignIns).toBeGreaterThanOrEqual(6);
    expect(row.throttledUntil).toBeGreaterThan(h.clock.now());
    expect(list.body.find((s: { username: string }) => s.username === "boss")).toMatchObject({ failedSignIns: 0, throttledUntil: null });

    expect((await staff.call("POST", `/api/v1/staff/${staff.id}/unlock`)).status).toBe(403);
    const unlocked = await admin.call("POST", `/api/v1/staff/${staff.id}/unlock`);
    expect(unlocked.status).toBe(200);
    expect(unlocked.body).toMatchObject({ username: "frontdesk", failedSignIns: 0, throttledUntil: null });
    expect((await h.login("frontdesk", TEST_PASSWORD)).status).toBe(200);
    const audit = h.rt.db.query("SELECT actor, action FROM audit WHERE action = 'staff.unlock'").all();
    expect(audit).toEqual([{ actor: "boss", action: "staff.unlock" }]);
  }, 30_000);

  test("setting a new password ends the delay", async () => {
    const h = setup();
    const admin = await signIn(h.rt, h.app, { username: "boss" });
    const staff = await signIn(h.rt, h.app, { username: "frontdesk", role: "staff" });
    for (let i = 0; i < 6; i++) await h.login("frontdesk", "guess");
    expect((await h.login("frontdesk", TEST_PASSWORD)).status).toBe(429);
    expect((await admin.call("POST", `/api/v1/staff/${staff.id}/password`, { password: "a brand new password" })).status).toBe(200);
    expect((await h.login("frontdesk", "a brand new password")).status).toBe(200);
  }, 30_000);
});

describe("an address the account signed in from is not held back (real sockets, two loopback addresses)", () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  function loginFrom(port: number, localAddress: string, username: string, password: string): Promise<number> {
    const body = JSON.stringify({ username, password });
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port, localAddress, method: "POST", path: "/api/v1/auth/login", headers: { "content-type": "application/json", origin: `http://127.0.0.1:${port}`, "content-length": Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode!));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  test("guesses from 127.0.0.2 hold back new addresses, not the front desk at 127.0.0.1", async () => {
    server = await startServer(testConfig({ logLevel: "warn" }), { log: memoryLogger("warn") });
    const { createApp } = await import("../../src/app.ts");
    await signIn(server.runtime, createApp(server.runtime), { username: "frontdesk", role: "staff" });
    const port = server.port;
    expect(await loginFrom(port, "127.0.0.1", "frontdesk", TEST_PASSWORD)).toBe(200);
    for (let i = 0; i < 5; i++) expect(await loginFrom(port, "127.0.0.2", "frontdesk", "guess")).toBe(401);
    expect(await loginFrom(port, "127.0.0.2", "frontdesk", "guess")).toBe(429);
    expect(await loginFrom(port, "127.0.0.3", "frontdesk", TEST_PASSWORD)).toBe(429);
    // The front desk signs in at once.
    expect(await loginFrom(port, "127.0.0.1", "frontdesk", TEST_PASSWORD)).toBe(200);
  }, 30_000);
});

describe("the staff list on the Settings page", () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  for (const [lang, held, ok, unlock] of [
    ["en", "5 failed sign-ins: new computers must wait until", "OK", "Unlock"],
    ["zh", "登录失败 5 次：新电脑需等到", "正常", "解除限制"],
  ] as const) {
    test(`(${lang}) shows who is held back and an admin unlocks them with one click`, async () => {
      // A pinned clock: the delay must not run out while the page loads.
      server = await startServer(testConfig({ logLevel: "warn" }), { log: memoryLogger("warn"), now: testClock().now });
      const { createApp } = await import("../../src/app.ts");
      const app = createApp(server.runtime);
      const admin = await signIn(server.runtime, app, { username: "boss" });
      await signIn(server.runtime, app, { username: "frontdesk", role: "staff" });
      const base = `http://127.0.0.1:${server.port}`;
      for (let i = 0; i < 6; i++) {
        await fetch(`${base}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json", origin: base }, body: JSON.stringify({ username: "frontdesk", password: "guess" }) });
      }
      const browser = await launchBrowser();
      try {
        const context = await browser.newContext();
        await context.addCookies([{ name: "bodydock_session", value: admin.cookie.split("=").slice(1).join("="), url: base }]);
        await context.addInitScript((l) => localStorage.setItem("bodydock.lang", l), lang);
        const page = await context.newPage();
        await page.goto(`${base}/settings`);
        const cell = page.getByTestId("signins-frontdesk");
        await cell.getByText(held).waitFor();
        await page.getByTestId("signins-boss").getByText(ok).waitFor();
        await cell.getByRole("button", { name: unlock }).click();
        await cell.getByText(ok).waitFor();
        expect(await cell.getByRole("button").count()).toBe(0);
      } finally {
        await browser.close();
      }
    }, 60_000);
  }
});
