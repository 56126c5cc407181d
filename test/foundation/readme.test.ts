/** The README's command table lists every subcommand the CLI has (issue 14 point 7: simulate and compute were missing). */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS } from "../../src/cli/index.ts";
import { REPO_ROOT } from "../helpers.ts";

test("README command table: one row per CLI command", () => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const table = readme.slice(readme.indexOf("| command | what it does |"));
  const rows = table.slice(0, table.indexOf("\n\n")).split("\n").slice(2);
  const named = rows.map((r) => /^\| `([a-z-]+)/.exec(r)?.[1]);
  expect(named.sort()).toEqual(COMMANDS.map((c) => c.name).sort());
});
