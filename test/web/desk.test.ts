/**
 * Issue 16, the staff page as a real front desk uses it, in Debian's chromium against the compiled
 * binary: a card reader at the desk, Chinese Excel CSV files, complete 简体中文, people (not ids),
 * claims, history and the sheet. A box of its own, with Chinese member names.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ARTIFACTS, ensureBinary, launchBrowser, simulatedXone, startServer, type Server } from "./harness.ts";

setDefaultTimeout(30_000);
let server: Server;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const USER = "wangfang";
const PASS = "front desk password 1";

/** A JSON API call with the browser context's session (and the Origin the guard wants). */
async function apiCall<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await ctx.request.fetch(server.url + "/api/v1" + path, {
    method,
    headers: { origin: server.url, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status(), body: (text ? JSON.parse(text) : null) as T };
}

const shot = (name: string, p: Page = page) => p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Waits until the element has the keyboard focus. */
async function hasFocus(l: ReturnType<Page["locator"]>) {
  const h = await l.elementHandle();
  await l.page().waitForFunction((el) => el === document.activeElement, h, { timeout: 5000 });
}

/** What a USB card reader does: the number within a few ms per key, then Enter. */
async function readCard(p: Page, number: string) {
  await p.keyboard.type(number, { delay: 0 });
  await p.keyboard.press("Enter");
}

beforeAll(async () => {
  await ensureBinary();
  server = await startServer();
  browser = await launchBrowser();
  ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
  page = await ctx.newPage();
  const setup = await apiCall("POST", "/auth/setup", { token: server.setupToken, username: USER, password: PASS });
  expect(setup.status).toBeLessThan(300);
  const people: Array<[string, string, string]> = [
    ["王芳", "A-001", "3456789012"],
    ["李娜", "A-002", "1234567890"],
    ["张伟", "A-003", "2222333344"],
    ["陈静", "A-004", "5555666677"],
  ];
  for (const [name, memberNo, card] of people) {
    const m = await apiCall<{ id: number }>("POST", "/members", { name, memberNo, sex: "female", birthday: "1990-04-01", heightCm: 165 });
    expect(m.status).toBe(201);
    expect((await apiCall("POST", `/members/${m.body.id}/credentials`, { kind: "card", value: card })).status).toBe(201);
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("1. card reader at the desk", () => {
  test("push page from the menu: the cursor is in the search box; a scan there picks the member and puts the focus on Push", async () => {
    const xone = simulatedXone(server.url, "3398182016001");
    await xone.poll();
    xone.start(400);
    try {
      await page.goto(server.url + "/");
      await page.getByRole("navigation", { name: "main" }).getByRole("link", { name: "Push login" }).click();
      const box = page.getByLabel("Find a member");
      await hasFocus(box);
      await page.getByText("3398182016001").first().waitFor();
      await readCard(page, "1234567890");
      await page.locator("#push-member").getByText("李娜 (A-002)").waitFor();
      const push = page.getByRole("button", { name: "Push to device" });
      await hasFocus(push);
      await page.keyboard.press("Enter"); // the second Enter pushes
      await page.locator("[data-status=delivered]").waitFor({ timeout: 5000 });
      expect(xone.delivered()?.result.user_info.uid).toBeGreaterThan(0);
      // after a push the focus stays on the push controls
      expect(await page.evaluate(() => document.activeElement?.closest("form")?.getAttribute("aria-labelledby"))).toBe("push-h");
    } finally {
      xone.stop();
    }
  });

  test("a scan while no field has focus, on another view, opens the push page with that member", async () => {
    await page.getByRole("link", { name: "Members" }).click();
    await page.getByRole("heading", { name: "Members" }).waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await readCard(page, "5555666677");
    await page.waitForURL((u) => u.pathname === "/push");
    await page.locator("#push-member").getByText("陈静 (A-004)").waitFor();
  });

  test("the Down arrow moves from the search box into the results", async () => {
    await page.goto(server.url + "/push");
    const box = page.getByLabel("Find a member");
    await hasFocus(box);
    await page.keyboard.type("A-00", { delay: 120 }); // typed by hand, not a scan
    await page.getByRole("radio", { name: /王芳/ }).waitFor();
    await page.keyboard.press("ArrowDown");
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).type)).toBe("radio");
    await page.locator("#push-member").waitFor();
  });
});
