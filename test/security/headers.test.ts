/**
 * Issue 13, point 10: API answers are never cached or sniffed; /api/docs runs no script but its
 * own (CSP by hash, no 'unsafe-inline') and cannot be framed.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { startServer, type RunningServer } from "../../src/server.ts";
import { memoryLogger } from "../../src/log.ts";
import { runtimePerTest, testConfig } from "../helpers.ts";
import { signIn } from "../staff/session.ts";
import { launchBrowser } from "../web/harness.ts";

const fresh = runtimePerTest();

describe("API answers: Cache-Control: no-store and X-Content-Type-Options: nosniff", () => {
  test("on successes, errors from the guard, the router and validation, and the API description", async () => {
    const h = fresh();
    const s = await signIn(h.rt, h.app);
    const answers: Array<[string, Request]> = [
      ["public JSON", new Request("http://localhost/api/v1/auth/status")],
      ["signed-in JSON", new Request("http://localhost/api/v1/members", { headers: s.headers })],
      ["401 from the guard", new Request("http://localhost/api/v1/members")],
      ["403 bad origin", new Request("http://localhost/api/v1/members", { method: "POST", body: "{}" })],
      ["404 unknown API route", new Request("http://localhost/api/v1/no-such-thing", { headers: s.headers })],
      ["422 validation", new Request("http://localhost/api/v1/auth/login", { method: "POST", headers: { origin: "http://localhost", "content-type": "application/json" }, body: "{}" })],
      ["413 body limit", new Request("http://localhost/api/v1/auth/login", { method: "POST", headers: { origin: "http://localhost", "content-type": "application/json" }, body: "x".repeat(2 * 1024 * 1024) })],
      ["openapi.json", new Request("http://localhost/api/docs/openapi.json")],
      ["CSV export", new Request("http://localhost/api/v1/members/export.csv", { headers: s.headers })],
    ];
    for (const [what, req] of answers) {
      const res = await h.app.handle(req);
      await res.arrayBuffer();
      expect({ what, cache: res.headers.get("cache-control"), sniff: res.headers.get("x-content-type-options") }).toEqual({ what, cache: "no-store", sniff: "nosniff" });
    }
  });
});

describe("/api/docs", () => {
  let server: RunningServer | undefined;
  afterAll(async () => server?.stop());

  test("its CSP allows no inline script or style but its own (by hash) and forbids framing", async () => {
    const h = fresh();
    const res = await h.app.handle(new Request("http://localhost/api/docs"));
    const html = await res.text();
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const hash = (s: string) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;
    expect(csp).toContain(`script-src ${hash(/<script>([\s\S]*?)<\/script>/.exec(html)![1]!)}`);
    expect(csp).toContain(`style-src ${hash(/<style>([\s\S]*?)<\/style>/.exec(html)![1]!)}`);
  });

  test("in a browser: the viewer still renders under its CSP, and a page that frames it gets nothing", async () => {
    server = await startServer(testConfig({ logLevel: "warn" }), { log: memoryLogger("warn") });
    const base = `http://127.0.0.1:${server.port}`;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on("console", (m) => {
        if (/content security policy/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(`${base}/api/docs`);
      await page.waitForSelector("details");
      expect(await page.locator("details").count()).toBeGreaterThan(10);
      // The inline style applied: the header is dark.
      expect(await page.locator("header").evaluate((e) => getComputedStyle(e).backgroundColor)).toBe("rgb(29, 35, 48)");
      // An injected inline script would not run.
      const injected = await page.evaluate(() => {
        const s = document.createElement("script");
        s.textContent = "window.__injected = true";
        document.body.appendChild(s);
        return (window as unknown as { __injected?: boolean }).__injected === true;
      });
      expect(injected).toBe(false);
      expect(violations.length).toBeGreaterThan(0); // the injected one, reported
      expect(violations.filter((v) => !/inline script/i.test(v) || /style/i.test(v))).toEqual([]);

      // Framed by another page: the browser refuses to show it.
      const framer = await browser.newPage();
      await framer.setContent(`<iframe src="${base}/api/docs"></iframe>`);
      const frame = framer.frames()[1];
      const body = await frame?.evaluate(() => document.body?.innerText ?? "").catch(() => "");
      expect(body ?? "").not.toContain("bodydock staff API");
    } finally {
      await browser.close();
    }
  }, 60_000); // starts Debian's chromium, slow on a busy machine
});
