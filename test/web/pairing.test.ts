/**
 * The Devices page's admission controls against the compiled binary with its embedded defaults (a new
 * install: device tokens required, new devices admitted only while staff pair them): a XONE asks to
 * join and an admin approves it; the pairing window admits the next one on first contact.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, firstRunAdmin, ensureBinary, launchBrowser, startServer, type Server } from "./harness.ts";

setDefaultTimeout(30_000);
let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await ensureBinary();
  server = await startServer();
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" })).newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const activate = async (sn: string) => {
  const r = await fetch(`${server.url}/youjiu/activate`, { method: "POST", body: new URLSearchParams({ sn }) });
  return { status: r.status, body: (await r.json()) as { message: string; result: { secret?: string } } };
};

describe("adding devices", () => {
  test("asking to join → approved by an admin; then the pairing window admits a new XONE at once", async () => {
    await firstRunAdmin(page, server); // "boss", through the first-run link

    // A new box: a XONE that calls is refused and asks to join.
    expect((await activate("6600000000001")).body.message).toBe("DEVICE_NOT_ALLOWED");
    await page.getByRole("link", { name: "Devices" }).click();
    await page.getByText("Not accepting new devices").waitFor();
    const row = page.locator("tr", { hasText: "6600000000001" });
    await row.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "pairing-asking.png"), fullPage: true });
    await row.getByRole("button", { name: "Approve" }).click();
    await row.waitFor({ state: "detached" });
    const first = await activate("6600000000001");
    expect(first.body.result.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The pairing window.
    await page.getByRole("button", { name: "Accept new devices for 10 minutes" }).click();
    await page.getByText(/Accepting new devices for 10 more min \(opened by boss\)/).waitFor();
    expect((await activate("6600000000002")).status).toBe(200);
    await page.screenshot({ path: join(ARTIFACTS, "pairing-open.png"), fullPage: true });
    await page.getByRole("button", { name: "Stop accepting new devices" }).click();
    await page.getByText("Not accepting new devices").waitFor();
    expect((await activate("6600000000003")).status).toBe(403);
  });

  test("one state per device: a new Lefu scale waits for approval; staff allow it with one control", async () => {
    const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await post("/lefu/wifi/torre/register", { sn: "STATE0001", mac: "AA:BB:CC:DD:EE:01" });
    await page.reload();
    const card = page.locator("section.card", { hasText: "STATE0001" });
    const state = card.getByLabel("State");
    expect(await state.inputValue()).toBe("pending");
    expect(await card.getByRole("checkbox").count()).toBe(0); // no two boxes that can both be ticked
    await state.selectOption("allowed");
    await card.getByRole("button", { name: "Save" }).click();
    await card.getByText("Saved.").waitFor();
    const devices = (await (await page.request.get(`${server.url}/api/v1/devices?vendor=lefu`)).json()) as Array<{ sn: string; approved: boolean; blocked: boolean }>;
    expect(devices.find((d) => d.sn === "STATE0001")).toMatchObject({ approved: true, blocked: false });
    await state.selectOption("blocked");
    await card.getByRole("button", { name: "Save" }).click();
    await card.getByText("Saved.").waitFor();
    const after = (await (await page.request.get(`${server.url}/api/v1/devices?vendor=lefu`)).json()) as Array<{ sn: string; approved: boolean; blocked: boolean }>;
    expect(after.find((d) => d.sn === "STATE0001")).toMatchObject({ approved: false, blocked: true });
    await page.screenshot({ path: join(ARTIFACTS, "device-state.png"), fullPage: true });
  });
});
