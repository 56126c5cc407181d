/**
 * The public vectors (computation-core §12), read at run time from the shared file and
 * checked with the spec's checker rules. A missing file or a failing vector fails the run.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { computeText } from "../../src/core/index.ts";

const FILE = fileURLToPath(new URL("../../../shared/vectors/computation-core.public.json", import.meta.url));

interface FieldExpect {
  value?: unknown;
  abs?: number;
  rel?: number;
  set?: unknown[];
}
interface Vector {
  id: string;
  description: string;
  label: string;
  input?: unknown;
  input_raw?: string;
  expect:
    | { exit: 0; fields: Record<string, FieldExpect>; absent?: string[] }
    | { exit: 2; error: { code: string; field: string | null } };
}

function load(): Vector[] {
  if (!existsSync(FILE)) throw new Error(`public vectors not found at ${FILE}`);
  const doc = JSON.parse(readFileSync(FILE, "utf8")) as { format: string; spec_version: string; vectors: Vector[] };
  if (doc.format !== "bodydock-vectors/1" || doc.spec_version !== "1.0") throw new Error(`unexpected vector file ${doc.format} ${doc.spec_version}`);
  if (!Array.isArray(doc.vectors) || doc.vectors.length === 0) throw new Error("no vectors in the file");
  return doc.vectors;
}

/** Dotted path into the output document; `undefined` when a member is missing. */
function at(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const k of path.split(".")) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** §12: the reason a field fails, or null when it passes. */
export function checkField(actual: unknown, e: FieldExpect): string | null {
  if (e.set) {
    if (!Array.isArray(actual)) return `expected an array, got ${JSON.stringify(actual)}`;
    const a = [...actual].map((x) => JSON.stringify(x)).sort();
    const b = [...e.set].map((x) => JSON.stringify(x)).sort();
    return JSON.stringify(a) === JSON.stringify(b) ? null : `expected the set ${JSON.stringify(e.set)}, got ${JSON.stringify(actual)}`;
  }
  if (typeof e.value === "number") {
    if (typeof actual !== "number") return `expected a number near ${e.value}, got ${JSON.stringify(actual)}`;
    const tol = (e.abs ?? 0) + (e.rel ?? 0) * Math.abs(e.value) + 1e-9;
    return Math.abs(actual - e.value) <= tol ? null : `expected ${e.value} ± ${tol}, got ${actual}`;
  }
  return Bun.deepEquals(actual, e.value, true) ? null : `expected ${JSON.stringify(e.value)}, got ${JSON.stringify(actual)}`;
}

const vectors = load();

describe(`public vectors (${vectors.length}) from ${FILE}`, () => {
  for (const v of vectors) {
    test(`${v.id} [${v.label}]: ${v.description}`, () => {
      const text = v.input_raw ?? JSON.stringify(v.input);
      // As the CLI does: the current time is the default measurement time (§2.2).
      const out = JSON.parse(JSON.stringify(computeText(text, Math.floor(Date.now() / 1000)))) as Record<string, unknown>;
      const failures: string[] = [];
      if (v.expect.exit === 2) {
        const err = out.error as { code?: unknown; field?: unknown; message?: unknown } | undefined;
        if (!err) failures.push(`expected an error, got a report`);
        else {
          if (err.code !== v.expect.error.code) failures.push(`error.code: expected ${v.expect.error.code}, got ${String(err.code)}`);
          if (err.field !== v.expect.error.field) failures.push(`error.field: expected ${v.expect.error.field}, got ${String(err.field)}`);
          if (typeof err.message !== "string") failures.push("error.message is not a string");
        }
      } else {
        if (out.error) failures.push(`unexpected error ${JSON.stringify(out.error)}`);
        else {
          for (const [path, e] of Object.entries(v.expect.fields)) {
            const why = checkField(at(out, path), e);
            if (why) failures.push(`${path}: ${why}`);
          }
          for (const path of v.expect.absent ?? []) if (at(out, path) !== undefined) failures.push(`${path} must be absent`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
