/**
 * Face login from the compiled binary, offline (loopback only): an admin turns face login on,
 * enrols a member from a photo on the member page in Debian's chromium (file input + consent
 * tick), and a XONE's face_image of a transformed crop of the same face is answered with that
 * member's user_info. The models and the WASM backend come from inside dist/bodydock.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, firstRunAdmin, ensureBinary, launchBrowser, startServer, type Server } from "./harness.ts";
import { allFaces, dataUrl, faceImage } from "../face/photos.ts";
import { tempDir } from "../helpers.ts";

setDefaultTimeout(120_000);
let server: Server;
let browser: Browser;
let page: Page;
const external: string[] = [];

beforeAll(async () => {
  await ensureBinary();
  server = await startServer({ BODYDOCK_SETTING_YOUJIU_AUTOACTIVATE: "true" }); // the test XONE joins on first contact
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" })).newPage();
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) external.push(r.url());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

test("enrol from a photo on the member page; the XONE's face_image then logs that member in", async () => {
  const face = (await allFaces()).find((f) => f.id === "s1f0")!;
  const photo = join(tempDir("bodydock-face-"), "member.png");
  await Bun.write(photo, await faceImage(face, "crop"));

  // Set up the admin through the first-run link, turn face login on, make a member.
  await firstRunAdmin(page, server); // "boss", through the first-run link
  const api = (method: string, path: string, body?: unknown) =>
    page.evaluate(
      async ([m, p, b]) => {
        const r = await fetch(p as string, { method: m as string, headers: { "content-type": "application/json" }, body: b === undefined ? undefined : JSON.stringify(b) });
        return { status: r.status, body: await r.json() };
      },
      [method, path, body] as const,
    );
  expect((await api("PUT", "/api/v1/settings/face.enabled", { value: true })).status).toBe(200);
  const member = (await api("POST", "/api/v1/members", { name: "Face Person" })).body as { id: number };

  await page.goto(`${server.url}/members/${member.id}`);
  await page.getByRole("heading", { name: "Face login" }).waitFor();
  await page.getByText("No face enrolled.").waitFor();
  await page.getByLabel("Photo of the member's face").setInputFiles(photo);
  // Without the consent tick nothing is sent.
  await page.getByRole("button", { name: "Enrol face" }).click();
  await page.getByText('Tick "Member agreed to face login" first.').waitFor();
  await page.getByLabel("Member agreed to face login").check();
  await page.getByRole("button", { name: "Enrol face" }).click();
  await page.getByText("Face enrolled.").waitFor({ timeout: 60_000 });
  const thumb = page.getByRole("img", { name: "Enrolled face 1" });
  await thumb.waitFor();
  expect(await thumb.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(96);
  await expect(page.getByText("Consent recorded by boss").isVisible()).resolves.toBe(true);
  await page.screenshot({ path: join(ARTIFACTS, "faces-member.png"), fullPage: true });

  // The device: a token (trust on first use) and a mirrored crop of the same face.
  const tok = (await (await fetch(`${server.url}/youjiu/tokens`, { method: "POST", body: JSON.stringify({ sn: "XONE-FACE-1", secret: "s3cret-s3cret" }) })).json()) as { result: { token: string } };
  const res = await fetch(`${server.url}/youjiu/third_user`, {
    method: "POST",
    headers: { authorization: `Bearer ${tok.result.token}` },
    body: JSON.stringify({ type: "face_image", value: dataUrl(await faceImage(face, "mirror")) }),
  });
  const body = (await res.json()) as { result: { recognizing_faces: number; user_info: { uid: number } } };
  expect(res.status).toBe(200);
  expect(body.result.recognizing_faces).toBe(1);
  expect(body.result.user_info.uid).toBe(member.id);
  expect(external).toEqual([]);
  // The image is in no log line.
  expect(server.log()).not.toContain(dataUrl(await faceImage(face, "mirror")).slice(100, 160));
});
