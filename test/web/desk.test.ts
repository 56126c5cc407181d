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

/** GBK bytes, as Excel's "CSV" on Chinese Windows writes them (the table is TextDecoder's, inverted). */
function gbk(s: string): Buffer {
  const dec = new TextDecoder("gb18030");
  const table = new Map<string, number[]>();
  for (let a = 0x81; a <= 0xfe; a++) for (let b = 0x40; b <= 0xfe; b++) table.set(dec.decode(new Uint8Array([a, b])), [a, b]);
  const out: number[] = [];
  for (const c of s) out.push(...(c.charCodeAt(0) < 0x80 ? [c.charCodeAt(0)] : table.get(c)!));
  return Buffer.from(out);
}

describe("2. member CSV files from Chinese Excel", () => {
  const count = async () => (await apiCall<{ total: number }>("GET", "/members?limit=1")).body.total;

  test("a GBK file: previewed first with the detected encoding (changeable) and counts; nothing written until confirmed", async () => {
    const before = await count();
    await page.goto(server.url + "/members");
    const file = "姓名,会员号,手机,性别,生日,身高\r\n赵敏,B-001,13800000001,女,1991/5/6,163\r\n周杰,B-002,13800000002,男,1985/1/2,178\r\n王芳,A-001,,女,1990-04-01,165\r\n";
    await page.getByLabel("CSV file").setInputFiles({ name: "会员.csv", mimeType: "text/csv", buffer: gbk(file) });
    const preview = page.locator("#import-preview");
    await preview.waitFor();
    expect(await page.getByLabel("Text encoding").inputValue()).toBe("gb18030");
    expect(await preview.locator("[data-count=create]").innerText()).toBe("2");
    expect(await preview.locator("[data-count=skip]").innerText()).toBe("1"); // 王芳 is there already, unchanged
    expect(await preview.locator("[data-count=bad]").innerText()).toBe("0");
    expect(await count()).toBe(before); // the preview wrote nothing
    // the wrong encoding says so; back to the detected one
    await page.getByLabel("Text encoding").selectOption("utf-8");
    await preview.getByText(/characters could not be read in this encoding/).waitFor();
    await page.getByLabel("Text encoding").selectOption("gb18030");
    await preview.getByText(/characters could not be read/).waitFor({ state: "detached" });
    await shot("desk-csv-preview");
    expect(await page.getByRole("button", { name: "Import the good rows" }).count()).toBe(0); // no bad rows: a plain import
    await page.getByRole("button", { name: "Import 2 members" }).click();
    await page.getByText("2 created, 0 updated, 0 rows left out").waitFor();
    const zm = (await apiCall<{ items: Array<{ name: string; birthday: string; sex: string }> }>("GET", "/members?q=B-001")).body.items[0]!;
    expect(zm).toMatchObject({ name: "赵敏", birthday: "1991-05-06", sex: "female" });
  });

  test("bad rows: every problem of a row, in plain words, naming the member by name and number; good rows offered only when there are some", async () => {
    await page.goto(server.url + "/members");
    const file = "memberNo,name,birthday,heightCm,sex,cards\nC-001,孙丽,1990-02-31,999,robot,\nC-002,钱多,1990-01-01,170,male,1234567890\n";
    await page.getByLabel("CSV file").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(file) });
    const rows = page.locator("#import-preview tr.bad-row");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    const first = await rows.nth(0).innerText();
    expect(first).toContain("孙丽 (C-001)");
    expect(first).toContain("Sex: “robot” is not male or female");
    expect(first).toContain("Birthday: “1990-02-31” is not a real date");
    expect(first).toContain("Height (cm): must be between 40 and 250");
    expect(await rows.nth(1).innerText()).toContain("Card 1234567890 belongs to 李娜 (A-002)"); // the owner by name, not id
    expect(await page.getByRole("button", { name: "Import the good rows" }).count()).toBe(0); // no good row
    await page.getByText("No row can be imported.").waitFor();
    // in 中文 the same problems are Chinese
    await page.getByLabel("Language").selectOption("zh");
    await page.getByRole("heading", { name: "导入 CSV" }).waitFor();
    expect(await rows.nth(1).innerText()).toContain("卡号 1234567890 已属于 李娜 (A-002)");
    await shot("desk-csv-bad-zh");
    await page.getByLabel("语言").selectOption("en");
    // one good row and one bad: now the good rows are offered
    const mixed = "memberNo,name,birthday\nD-001,吴好,1990-01-01\nD-002,郑坏,1990-13-01\n";
    await page.getByLabel("CSV file").setInputFiles({ name: "mixed.csv", mimeType: "text/csv", buffer: Buffer.from(mixed) });
    await page.getByRole("button", { name: "Import the good rows" }).click();
    await page.getByText("1 created, 0 updated, 1 rows left out").waitFor();
  });
});
