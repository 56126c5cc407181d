/** `bodydock compute` from source (spec §2.1): stdout is exactly one JSON document and a newline. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBodydock, tempDir } from "../helpers.ts";
import { BH } from "./fixtures.ts";

describe("bodydock compute", () => {
  test("a valid input on stdin: the report, exit 0", async () => {
    const r = await runBodydock(["compute"], { stdin: JSON.stringify(BH), cwd: tempDir() });
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(r.stdout.indexOf("\n")).toBe(r.stdout.length - 1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ spec_version: "1.0", algorithm: "bh-dual-4", age: 30 });
  });

  test("invalid input: the error document, exit 2", async () => {
    const r = await runBodydock(["compute"], { stdin: JSON.stringify({ ...BH, weightKg: 300 }) });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "OUT_OF_RANGE", message: expect.any(String), field: "weightKg" } });
  });

  test("unparsable and empty stdin: INVALID_JSON with field null", async () => {
    for (const stdin of ['{"sex": "male",', ""]) {
      const r = await runBodydock(["compute"], { stdin });
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout).error).toMatchObject({ code: "INVALID_JSON", field: null });
    }
  });

  test("--file PATH instead of stdin; an unreadable file is a usage error (stdout empty)", async () => {
    const dir = tempDir();
    const file = join(dir, "in.json");
    writeFileSync(file, JSON.stringify(BH));
    const r = await runBodydock(["compute", "--file", file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).algorithm).toBe("bh-dual-4");
    const missing = await runBodydock(["compute", "--file", join(dir, "nope.json")]);
    expect([missing.code, missing.stdout]).toEqual([2, ""]);
    expect(missing.stderr).toContain("cannot read");
  });

  test("--help, and unknown options", async () => {
    const help = await runBodydock(["compute", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: bodydock compute [--file PATH]");
    const bad = await runBodydock(["compute", "--fiel", "x"]);
    expect([bad.code, bad.stdout]).toEqual([2, ""]);
  });

  test("listed in bodydock --help", async () => {
    expect((await runBodydock(["--help"])).stdout).toMatch(/compute\s+compute a body-composition report/);
  });
});
