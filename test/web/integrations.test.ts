/**
 * Settings → integrations in chromium against the compiled binary (issue 17 §1, §4): an API key
 * created on the page works as a Bearer key; a webhook endpoint registered on the page gets a
 * signed test event at a real receiver; pause, resume, rotate; the section in 简体中文.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { Receiver, until } from "../integrations/receiver.ts";
import { ARTIFACTS, firstRunAdmin, ensureBinary, launchBrowser, startServer, type Server } from "./harness.ts";

setDefaultTimeout(30_000);
let server: Server;
let browser: Browser;
let page: Page;
const receiver = new Receiver();

beforeAll(async () => {
  await ensureBinary();
  server = await startServer();
  receiver.start();
  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" });
  page = await ctx.newPage();
  await firstRunAdmin(page, server); // "boss", through the first-run link
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await receiver.stop();
});

test("an API key made on the page is shown once, works as a Bearer key, and is revoked there", async () => {
  await page.getByRole("link", { name: "Settings" }).click();
  const keys = page.locator("section", { has: page.getByRole("heading", { name: "API keys" }) });
  await keys.getByLabel("Name").fill("crm");
  await keys.getByLabel("members:write").check();
  await keys.getByRole("button", { name: "Generate key" }).click();
  const key = (await keys.locator("code.secret").textContent())!;
  expect(key).toMatch(/^bd_/);
  const r = await fetch(`${server.url}/api/v1/members/by-number/W-1`, { method: "PUT", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ name: "From the CRM" }) });
  expect(r.status).toBe(201);
  await page.reload();
  await keys.getByRole("cell", { name: "crm", exact: true }).waitFor();
  expect(await page.content()).not.toContain(key);
  page.once("dialog", (d) => void d.accept());
  await keys.getByRole("button", { name: "Revoke" }).click();
  await keys.getByRole("cell", { name: "revoked", exact: true }).waitFor();
  expect((await fetch(`${server.url}/api/v1/members`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
});

test("a webhook endpoint: register, test event (signed), pause, resume, rotate", async () => {
  const hooks = page.locator("section", { has: page.getByRole("heading", { name: "Webhooks" }) });
  await hooks.getByLabel("Address (URL)").fill(receiver.url);
  await hooks.getByLabel("member.created").check();
  await hooks.getByRole("button", { name: "Register" }).click();
  const secret = (await hooks.locator("code.secret").textContent())!;
  expect(secret).toMatch(/^whsec_/);
  receiver.secrets.set("page", secret);
  const endpoint = hooks.locator("article.endpoint");
  await endpoint.getByText("active", { exact: true }).waitFor();
  await endpoint.getByRole("button", { name: "Send test event" }).click();
  await until(() => receiver.delivered.some((r) => r.event.type === "webhook.test"), "the test event");
  expect(receiver.delivered.find((r) => r.event.type === "webhook.test")!.verifiedBy).toEqual(["page"]);
  await page.reload();
  await endpoint.getByText("0 waiting, 0 failed, 1 delivered").waitFor();
  // The latest deliveries, each with its event id; send one again.
  await endpoint.getByText("Latest deliveries").click();
  const row = endpoint.getByRole("row", { name: /webhook\.test/ });
  await row.getByRole("cell", { name: "delivered", exact: true }).waitFor();
  const testId = receiver.delivered.find((r) => r.event.type === "webhook.test")!.id;
  await row.getByText(testId).waitFor();
  await row.getByRole("button", { name: "Send again" }).click();
  await until(() => receiver.delivered.filter((r) => r.id === testId).length === 2, "the test event sent again");
  await endpoint.getByRole("button", { name: "Pause" }).click();
  await endpoint.getByText("paused", { exact: true }).waitFor();
  await endpoint.getByRole("button", { name: "Resume" }).click();
  await endpoint.getByText("active", { exact: true }).waitFor();
  page.once("dialog", (d) => void d.accept());
  await endpoint.getByRole("button", { name: "Rotate secret" }).click();
  const rotated = (await endpoint.locator("code.secret").textContent())!;
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(secret);
  await endpoint.getByText(/the old secret also signs until/).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, "20-integrations.png"), fullPage: true });
});

test("the integrations section in 简体中文; every field has a label", async () => {
  await page.getByLabel("Language", { exact: true }).selectOption("zh");
  await page.getByRole("heading", { name: "API 密钥" }).waitFor();
  await page.getByRole("heading", { name: "Webhook" }).waitFor();
  await page.getByRole("button", { name: "发送测试事件" }).waitFor();
  const unlabelled = await page.$$eval("section input, section select", (els) =>
    els.filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute("aria-label")).map((e) => e.outerHTML),
  );
  expect(unlabelled).toEqual([]);
  await page.getByLabel("语言", { exact: true }).selectOption("en");
});
