/**
 * Codemod (issue 14 point 4): settings reads are typed by their key now, so the type argument
 * callers used to spell out goes away:
 *   deps.settings.get<boolean>("youjiu.requireToken")  →  deps.settings.get("youjiu.requireToken")
 *   this.setting<number>("youjiu.pushTtlSeconds")      →  this.setting("youjiu.pushTtlSeconds")
 * Only `.get<…>(` / `.setting<…>(` calls whose first argument is a string literal naming a key in
 * SETTING_DEFS are touched, so Map.get<…> and the like stay as they are. Idempotent; re-run it after
 * merging a branch that still spells the old form.
 *
 *   bun scripts/codemods/settings-get.ts [dir…]   (default: src test)
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SETTING_DEFS } from "../../src/config/settings.ts";

const keys = new Set<string>(SETTING_DEFS.map((d) => d.key));
// .get<T>("key"  with T allowing one level of nested <…> (Array<string>, Record<string, number>)
const call = /\.(get|setting)<(?:[^<>()]|<[^<>()]*>)*>\((["'`])([A-Za-z0-9._-]+)\2/g;

export function rewrite(text: string): { text: string; count: number } {
  let count = 0;
  const out = text.replace(call, (whole, fn: string, q: string, key: string) => {
    if (!keys.has(key)) return whole;
    count++;
    return `.${fn}(${q}${key}${q}`;
  });
  return { text: out, count };
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.tsx?$/.test(name)) yield p;
  }
}

if (import.meta.main) {
  const dirs = process.argv.slice(2);
  let total = 0;
  for (const dir of dirs.length ? dirs : ["src", "test"]) {
    for (const f of files(dir)) {
      const before = readFileSync(f, "utf8");
      const { text, count } = rewrite(before);
      if (count > 0) {
        writeFileSync(f, text);
        console.log(`${f}: ${count}`);
        total += count;
      }
    }
  }
  console.log(`${total} call(s) rewritten`);
}
