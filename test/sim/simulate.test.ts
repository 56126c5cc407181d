/**
 * `bodydock simulate` end to end: a real server from source, the simulator as a
 * child process; measurements arrive from every role, nothing fails, and no
 * secret (the Torre Wi-Fi password, the WSP Mini secret, Youjiu secrets and
 * tokens) appears in the server's logs.
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "../helpers.ts";

describe("bodydock simulate", () => {
  test("drives all three roles; the logs of the run contain no secret", async () => {
    const dir = tempDir();
    const server = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir, "--log-level", "debug"], {
      stdout: "pipe",
      stderr: "pipe",
      // A new install admits devices only while staff pair them (§0.3); this demo box admits them at once.
      env: {
        PATH: process.env.PATH ?? "",
        BODYDOCK_YOLANDA_MINI_JWT_SECRET: "sim-jwt-secret-42",
        BODYDOCK_SETTING_YOUJIU_AUTOACTIVATE: "true",
        BODYDOCK_SETTING_LEFU_AUTOAPPROVEDEVICES: "true",
      },
    });
    const reader = server.stdout.getReader();
    let out = "";
    let port = 0;
    while (!port) {
      const { value, done } = await reader.read();
      if (done) throw new Error(out);
      out += new TextDecoder().decode(value);
      const m = /"msg":"listening".*?"port":(\d+)/.exec(out);
      if (m) port = Number(m[1]);
    }
    const sim = Bun.spawn(
      [process.execPath, join(REPO_ROOT, "src/main.ts"), "simulate", "--url", `http://127.0.0.1:${port}`, "--lefu", "3", "--torre-share", "0.67", "--xone", "2", "--yolanda", "1", "--yolanda-secret", "sim-jwt-secret-42", "--rate", "240", "--duration", "3", "--seed", "7", "--ohms"],
      { stdout: "pipe", stderr: "pipe" },
    );
    const simOut = await new Response(sim.stdout).text();
    expect(await sim.exited).toBe(0);
    expect(simOut).toContain("final:");
    expect(simOut).toMatch(/lefu-torre \d+ req, 0 err/);
    expect(simOut).toMatch(/yolanda \d+ req, 0 err/);
    expect(simOut).toMatch(/youjiu \d+ req, 0 err/);
    server.kill("SIGTERM");
    // Drain the rest of the server's output.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    out += await new Response(server.stderr).text();
    expect(await server.exited).toBe(0);
    for (const secret of ["sim-wifi-password", "sim-jwt-secret-42"]) expect(out).not.toContain(secret);
    expect(out).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{20,}/); // no complete JWT
    const db = new Database(join(dir, "bodydock.sqlite"), { readonly: true });
    const sources = (db.query("SELECT DISTINCT source FROM measurements").all() as Array<{ source: string }>).map((r) => r.source).sort();
    expect(sources).toEqual(expect.arrayContaining(["lefu-torre", "lefu-v2", "yolanda-mini"]));
    const devices = (db.query("SELECT DISTINCT vendor FROM devices").all() as Array<{ vendor: string }>).map((r) => r.vendor).sort();
    expect(devices).toEqual(["lefu", "yolanda", "youjiu"]);
    const stored = JSON.stringify(db.query("SELECT * FROM captures").all());
    expect(stored).not.toContain("sim-wifi-password");
    db.close();
  }, 30_000);

  test("bad options exit 2 with a clear message", async () => {
    const p = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "simulate", "--rate", "lots"], { stdout: "pipe", stderr: "pipe" });
    expect(await p.exited).toBe(2);
    expect(await new Response(p.stderr).text()).toContain("--rate must be a number");
  });
});
