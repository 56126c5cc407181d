/**
 * Builds the single binary dist/bodydock with `bun build --compile`.
 * Minified (whitespace + syntax + identifiers), with a linked sourcemap, and
 * without autoloading .env / bunfig.toml from wherever the binary is started.
 */
import { $ } from "bun";
import { mkdirSync, statSync } from "node:fs";

const outfile = process.argv[2] ?? "dist/bodydock";
mkdirSync("dist", { recursive: true });
const t0 = performance.now();
// --splitting: the staff page's lazily imported modules (uPlot) become chunks of their own.
// The face worker (src/face/worker.ts, the binary's `face-worker` command) is main.ts's lazily imported chunk.
await $`bun build ./src/main.ts --compile --minify --splitting --sourcemap --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile ${outfile}`;
const mb = statSync(outfile).size / 1024 / 1024;
console.log(`built ${outfile} (${mb.toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
