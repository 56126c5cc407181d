/**
 * Browser-test harness: the compiled binary (built once per run if any source is newer),
 * started from an unrelated working directory on a random port with a temp data dir, and
 * Debian's chromium driven by playwright-core (never a downloaded browser).
 */
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { REPO_ROOT, tempDir } from "../helpers.ts";

export const BINARY = join(REPO_ROOT, "dist", "bodydock");
export const ARTIFACTS = join(REPO_ROOT, "test-artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/bodydock unless it is newer than every file under src/. */
export async function ensureBinary(): Promise<void> {
  let built = 0;
  try {
    built = statSync(BINARY).mtimeMs;
  } catch {
    /* not built */
  }
  if (built > newest(join(REPO_ROOT, "src")) && built > statSync(join(REPO_ROOT, "package.json")).mtimeMs) return;
  const p = Bun.spawn([process.execPath, "run", "scripts/build.ts"], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  if ((await p.exited) !== 0) throw new Error("build failed: " + (await new Response(p.stderr).text()));
}

export interface Server {
  url: string;
  port: number;
  setupToken: string | null;
  dataDir: string;
  log: () => string;
  stop(): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const dataDir = tempDir("bodydock-web-");
  const cwd = tempDir("bodydock-cwd-"); // prove nothing is read from the working directory
  const proc = Bun.spawn([BINARY, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, "--log-level", "info"], {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  const reader = proc.stdout.getReader();
  let out = "";
  let port = 0;
  const deadline = Date.now() + 20000;
  while (!port) {
    if (Date.now() > deadline) throw new Error("server did not start: " + out);
    const { value, done } = await reader.read();
    if (done) throw new Error("server exited: " + out + (await new Response(proc.stderr).text()));
    out += new TextDecoder().decode(value);
    const m = /"msg":"listening".*?"port":(\d+)/.exec(out);
    if (m) port = Number(m[1]);
  }
  // keep draining stdout so the server never blocks on a full pipe
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      out += new TextDecoder().decode(value);
    }
  })();
  // The first-run link is logged just after "listening" while no admin exists.
  let token: string | null = null;
  for (let i = 0; i < 40 && !token; i++) {
    token = /setup\?token=([\w-]+)/.exec(out)?.[1] ?? null;
    if (!token) await Bun.sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setupToken: token,
    dataDir,
    log: () => out,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

const deviceTokens = new Map<string, string>();

/**
 * The headers a real XONE sends: it activates once (the test server admits new devices), gets a
 * token with its secret, and sends it as a bearer token (new installs require one, spec §0.3).
 */
export async function deviceAuth(url: string, sn: string): Promise<Record<string, string>> {
  let token = deviceTokens.get(`${url} ${sn}`);
  if (!token) {
    const act = (await (await fetch(`${url}/youjiu/activate`, { method: "POST", body: new URLSearchParams({ sn }) })).json()) as { result: { secret?: string } };
    if (!act.result.secret) throw new Error(`XONE ${sn} could not activate: ${JSON.stringify(act)}`);
    const tok = (await (await fetch(`${url}/youjiu/tokens?sn=${sn}&secret=${encodeURIComponent(act.result.secret)}`)).json()) as { result: { token: string } };
    token = tok.result.token;
    deviceTokens.set(`${url} ${sn}`, token);
  }
  return { "content-type": "application/json", authorization: `Bearer ${token}` };
}

/** A simulated XONE polling /third_user with type f-push while `waiting` is true. */
export function simulatedXone(url: string, sn: string) {
  let timer: ReturnType<typeof setInterval> | null = null;
  const answers: unknown[] = [];
  const poll = async () => {
    const r = await fetch(`${url}/youjiu/third_user`, { method: "POST", headers: await deviceAuth(url, sn), body: JSON.stringify({ type: "f-push", value: sn }) });
    const body = (await r.json()) as { result?: { waiting?: number; user_info?: unknown } };
    answers.push(body);
    if (body.result?.user_info) stop(); // logged in: the device leaves its waiting screen
    return body;
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  return {
    answers,
    poll,
    start(everyMs = 400) {
      stop();
      timer = setInterval(() => void poll().catch(() => undefined), everyMs);
    },
    stop,
    delivered: () => answers.find((a) => (a as { result?: { user_info?: unknown } }).result?.user_info) as { result: { user_info: { uid: number }; scene: string } } | undefined,
  };
}

/** The first admin ("boss"), made through the first-run link the server printed; the page is then signed in. */
export async function firstRunAdmin(page: import("playwright-core").Page, server: Server, username = "boss", password = "correct horse battery"): Promise<void> {
  await page.goto(`${server.url}/setup?token=${server.setupToken}`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Password again").fill(password);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await page.getByText(`Signed in as ${username} (admin)`).waitFor();
}
