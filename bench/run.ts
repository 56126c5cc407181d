/**
 * `npm run bench [name-prefix ...]`: runs the benchmark scripts in this folder, one after another
 * (the binary ones need `npm run build` first).
 * Each prints its own figures; bench/README.md holds the written-down results.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dir;
const only = process.argv.slice(2);
const scripts: Array<[string, string[]]> = [
  ["core.ts", [process.execPath, join(here, "core.ts")]],
  ["startup.sh", ["bash", join(here, "startup.sh")]],
  ["lefu-ingest.ts", [process.execPath, join(here, "lefu-ingest.ts")]],
  // Builds .bench-data/gym-5000m-3y with dataset.ts first when it is missing (~35 s).
  ["ingest-size.ts", [process.execPath, join(here, "ingest-size.ts")]],
  ["youjiu-poll.ts", [process.execPath, join(here, "youjiu-poll.ts")]],
  ["yolanda-mini.ts", [process.execPath, join(here, "yolanda-mini.ts")]],
  ["page.ts", [process.execPath, join(here, "page.ts")]],
  ["face.ts", [process.execPath, join(here, "face.ts")]],
];
let failed = 0;
for (const [name, cmd] of scripts) {
  if (only.length && !only.some((o) => name.startsWith(o))) continue;
  if (!existsSync(join(here, name))) continue;
  console.log(`\n=== ${name}`);
  const p = Bun.spawn(cmd, { stdout: "inherit", stderr: "inherit", cwd: join(here, "..") });
  if ((await p.exited) !== 0) failed++;
}
process.exit(failed ? 1 : 0);
