import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, defaultDataDir, loadConfig, type ConfigSources } from "../../src/config/config.ts";
import { DataDirError, ensureDataDir } from "../../src/store/db.ts";
import { runBodydock, tempDir } from "../helpers.ts";

const base = (over: Partial<ConfigSources> = {}): ConfigSources => ({
  flags: {},
  env: {},
  cwd: "/srv/gym",
  compiled: false,
  execPath: "/usr/local/bin/bun",
  ...over,
});

describe("config precedence: flags > BODYDOCK_* env > defaults", () => {
  test("defaults", () => {
    const c = loadConfig(base());
    expect(c).toEqual({ port: 8080, host: "0.0.0.0", dataDir: "/srv/gym/data", logLevel: "info", bodyLimit: 1048576, bodyTimeout: 30 });
  });
  test("env overrides defaults", () => {
    const c = loadConfig(base({ env: { BODYDOCK_PORT: "9000", BODYDOCK_HOST: "127.0.0.1", BODYDOCK_LOG_LEVEL: "warn", BODYDOCK_DATA_DIR: "/var/lib/bodydock" } }));
    expect(c.port).toBe(9000);
    expect(c.host).toBe("127.0.0.1");
    expect(c.logLevel).toBe("warn");
    expect(c.dataDir).toBe("/var/lib/bodydock");
  });
  test("flags override env", () => {
    const c = loadConfig(
      base({
        env: { BODYDOCK_PORT: "9000", BODYDOCK_LOG_LEVEL: "warn", BODYDOCK_DATA_DIR: "/var/lib/bodydock" },
        flags: { port: "9100", "log-level": "debug", "data-dir": "rel/dir" },
      }),
    );
    expect(c.port).toBe(9100);
    expect(c.logLevel).toBe("debug");
    expect(c.dataDir).toBe("/srv/gym/rel/dir"); // relative to the working directory
  });
  test("an empty env var counts as unset", () => {
    expect(loadConfig(base({ env: { BODYDOCK_PORT: "" } })).port).toBe(8080);
  });
});

describe("config rejection names the setting and what is allowed", () => {
  const cases: Array<[Partial<ConfigSources>, string, RegExp]> = [
    [{ flags: { port: "eighty" } }, "--port", /0 to 65535/],
    [{ flags: { port: "70000" } }, "--port", /0 to 65535/],
    [{ env: { BODYDOCK_PORT: "-1" } }, "BODYDOCK_PORT", /0 to 65535/],
    [{ env: { BODYDOCK_LOG_LEVEL: "loud" } }, "BODYDOCK_LOG_LEVEL", /debug, info, warn, error, silent/],
    [{ flags: { "log-level": true } }, "--log-level", /debug/],
    [{ flags: { "body-limit": "12" } }, "--body-limit", /1024/],
  ];
  for (const [src, setting, allowed] of cases) {
    test(`${setting} ${JSON.stringify(src)}`, () => {
      let err: unknown;
      try {
        loadConfig(base(src));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).setting).toBe(setting);
      expect((err as ConfigError).message).toMatch(allowed);
    });
  }

  test("the program exits 2 with that message", async () => {
    const r = await runBodydock(["serve", "--port", "nope"], { env: { BODYDOCK_DATA_DIR: tempDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--port");
    expect(r.stderr).toContain("0 to 65535");
  });
  test("a bad env value also exits 2", async () => {
    const r = await runBodydock(["serve"], { env: { BODYDOCK_LOG_LEVEL: "chatty", BODYDOCK_DATA_DIR: tempDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("BODYDOCK_LOG_LEVEL");
  });
});

describe("data dir rules", () => {
  test("from source: ./data under the working directory", () => {
    expect(defaultDataDir({ cwd: "/home/x/bodydock", compiled: false, execPath: "/usr/bin/bun" })).toBe("/home/x/bodydock/data");
  });
  test("compiled: data/ beside the executable, whatever the working directory", () => {
    expect(defaultDataDir({ cwd: "/tmp", compiled: true, execPath: "/opt/bodydock/bodydock" })).toBe("/opt/bodydock/data");
    expect(loadConfig(base({ compiled: true, execPath: "/opt/bodydock/bodydock" })).dataDir).toBe("/opt/bodydock/data");
  });
  test("the flag or env wins over the executable's folder", () => {
    expect(loadConfig(base({ compiled: true, execPath: "/opt/b/bodydock", env: { BODYDOCK_DATA_DIR: "/data" } })).dataDir).toBe("/data");
  });
  test("created if missing", () => {
    const dir = join(tempDir(), "a", "b");
    ensureDataDir(dir);
    expect(existsSync(dir)).toBe(true);
  });
  test("an error that says why when it cannot be created", () => {
    const parent = tempDir();
    const file = join(parent, "not-a-dir");
    Bun.write(file, "x");
    expect(() => ensureDataDir(join(file, "data"))).toThrow(DataDirError);
    expect(() => ensureDataDir(join(file, "data"))).toThrow(/cannot use data folder/);
  });
  test("unwritable folder is refused (when not root)", () => {
    if (process.getuid?.() === 0) {
      // root can write anywhere; the rule is still exercised by the previous test
      expect(() => ensureDataDir("/proc/bodydock-test")).toThrow(DataDirError);
      return;
    }
    const dir = tempDir();
    mkdirSync(join(dir, "ro"));
    chmodSync(join(dir, "ro"), 0o500);
    expect(() => ensureDataDir(join(dir, "ro"))).toThrow(/not readable and writable/);
    rmSync(dir, { recursive: true, force: true });
  });
});
