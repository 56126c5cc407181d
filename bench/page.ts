/**
 * The staff page's weight and speed (issue 8 §13), against the compiled binary (`npm run build`):
 *  - first load: the HTML and every JS/CSS chunk the browser fetched for the first screen
 *    (resource timing), weighed as the browser gets them (gzip) and uncompressed;
 *  - time to interactive in Debian's chromium over loopback, fresh browser context each run
 *    (empty cache): navigation start → the sign-in form is rendered with its handlers after the
 *    boot calls (the app's `bodydock:ready` performance mark), and, signed in, → the dashboard's
 *    device table is rendered with data from the API (seen by a MutationObserver in the page).
 * Goal: ≤ 150 KB compressed and ≤ 500 ms. `bun bench/page.ts [runs]`.
 */
import { launchBrowser, startServer, ensureBinary } from "../test/web/harness.ts";

const runs = Number(process.argv[2] ?? 15);
await ensureBinary();
// A XONE polls without a token below (a box with requireToken off), admitted on first contact.
const server = await startServer({ BODYDOCK_SETTING_YOUJIU_REQUIRETOKEN: "false", BODYDOCK_SETTING_YOUJIU_AUTOACTIVATE: "true" });

// ---- weight: filled in below from what the browser actually fetched for each first screen ----
async function weigh(paths: string[]): Promise<{ raw: number; gz: number; rows: string[] }> {
  let raw = 0;
  let gz = 0;
  const rows: string[] = [];
  for (const a of paths) {
    const plain = await fetch(server.url + a, { headers: { "accept-encoding": "identity" } });
    const rawBytes = (await plain.arrayBuffer()).byteLength;
    const comp = await fetch(server.url + a, { headers: { "accept-encoding": "gzip" }, decompress: false } as RequestInit);
    const gzBytes = (await comp.arrayBuffer()).byteLength;
    raw += rawBytes;
    gz += gzBytes;
    rows.push(`| \`${a}\` | ${comp.headers.get("content-type")} | ${rawBytes.toLocaleString("en")} | ${gzBytes.toLocaleString("en")} |`);
  }
  return { raw, gz, rows };
}

// ---- an admin to sign in with ----
const origin = { origin: server.url, "content-type": "application/json" };
await fetch(server.url + "/api/v1/auth/setup", { method: "POST", headers: origin, body: JSON.stringify({ token: server.setupToken, username: "bench", password: "bench bench bench 1" }) });
const login = await fetch(server.url + "/api/v1/auth/login", { method: "POST", headers: origin, body: JSON.stringify({ username: "bench", password: "bench bench bench 1" }) });
const cookie = /bodydock_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")![1]!;

// a device of two roles, so the dashboard has rows to show
await fetch(server.url + "/lefu/wifi/torre/record", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ bat: "0.8", mac: "CF:E8:05:08:13:BA", scaleType: 5, sn: "CFE8050813BA", type: "LEFU-CF577", list: [{ data: [{ impedance: "500" }], memberid: "m", timestamp: Math.floor(Date.now() / 1000), weight: 70 }] }),
});
await fetch(server.url + "/youjiu/third_user", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "f-push", value: "3398182015544" }) });

// ---- time to interactive ----
const browser = await launchBrowser();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);
async function measure(signedIn: boolean): Promise<{ tti: number; dcl: number; loaded: string[] }> {
  const ctx = await browser.newContext();
  if (signedIn) await ctx.addCookies([{ name: "bodydock_session", value: cookie, url: server.url }]);
  const page = await ctx.newPage();
  await page.goto(server.url + "/", { waitUntil: "commit" });
  // Signed in: the dashboard's device table filled from /api/v1/devices (a MutationObserver notes when).
  // Not signed in: the sign-in form rendered with its handlers (the app's "bodydock:ready" mark).
  const t = await page.evaluate(
    (signedIn) =>
      new Promise<{ tti: number; dcl: number; loaded: string[] }>((resolve) => {
        const nav = () => performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
        const done = (at: number) =>
          resolve({
            tti: at - nav().startTime,
            dcl: nav().domContentLoadedEventEnd - nav().startTime,
            loaded: performance.getEntriesByType("resource").map((r) => new URL(r.name).pathname).filter((p) => /^\/chunk-/.test(p)),
          });
        const check = () => {
          if (signedIn) {
            if (document.querySelector("section.card table tbody tr")) return done(performance.now()), true;
          } else {
            const m = performance.getEntriesByName("bodydock:ready")[0];
            if (m && document.querySelector("input[name=username]")) return done(m.startTime), true;
          }
          return false;
        };
        if (check()) return;
        // DOM changes for the table; a short timer too, since the mark comes after the last change
        const obs = new MutationObserver(() => check() && (obs.disconnect(), clearInterval(timer)));
        obs.observe(document, { subtree: true, childList: true });
        const timer = setInterval(() => check() && (obs.disconnect(), clearInterval(timer)), 5);
      }),
    signedIn,
  );
  await ctx.close();
  return t;
}
for (const signedIn of [false, true]) {
  const first = await measure(signedIn); // also a warm-up of the browser process (not of the page cache: new context each run)
  const w = await weigh(["/", ...new Set(first.loaded)]);
  console.log(
    `\nfirst load, ${signedIn ? "dashboard (signed in)" : "sign-in form"}:\n| asset | type | bytes | gzip bytes |\n|---|---|---|---|\n` +
      w.rows.join("\n") +
      `\n| **total** | | **${w.raw.toLocaleString("en")}** | **${w.gz.toLocaleString("en")}** (${(w.gz / 1024).toFixed(1)} KiB) |`,
  );
  const ttis: number[] = [];
  const dcls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await measure(signedIn);
    ttis.push(m.tti);
    dcls.push(m.dcl);
  }
  console.log(
    `${signedIn ? "dashboard (signed in)" : "sign-in form"}: time to interactive median ${median(ttis).toFixed(0)} ms, max ${max(ttis).toFixed(0)} ms; DOMContentLoaded median ${median(dcls).toFixed(0)} ms (${runs} runs, cold cache)`,
  );
}
await browser.close();
await server.stop();
