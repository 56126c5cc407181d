/**
 * The computation core (computation-core spec v1.0): pure functions from one
 * input document to a report document or an error document. No Elysia, SQL,
 * clock or I/O; the caller supplies "now" when it wants the §2.2 default.
 */
import { InputError, isObject } from "./errors.ts";
import { readBhDual4, runBhDual4 } from "./families/bh-dual-4.ts";
import { readBia8, runBia8 } from "./families/bia-8.ts";
import { readBodyfatOnly, runBodyfatOnly } from "./families/bodyfat-only.ts";
import { readHt4, runHt4 } from "./families/ht-4.ts";
import { readStandardWb, wholeBody } from "./families/standard-wb.ts";
import { buildReport } from "./report.ts";
import type { ErrorDocument, FamilyResult, ReportDocument } from "./types.ts";
import { validateCommon } from "./validate.ts";

export * from "./types.ts";
export { buildReport } from "./report.ts";
export { downstream, downstreamIndices, downstreamScore, type Downstream, type DownstreamIndices } from "./downstream.ts";
export { STANDARDS, compile, levelsOf, rangeLabel, select, type BySex, type Cmp, type Range, type Select } from "./standards.ts";
export { readBhDual4, runBhDual4, type BhDual4Input } from "./families/bh-dual-4.ts";
export { readHt4, runHt4, type Ht4Input } from "./families/ht-4.ts";
export { readStandardWb, wholeBody } from "./families/standard-wb.ts";
export { readBia8, runBia8, type Bia8Input } from "./families/bia-8.ts";
export { readBodyfatOnly, runBodyfatOnly } from "./families/bodyfat-only.ts";
export { R1, R2, clamp } from "./math.ts";
export { weightOnlyReport, type WeightOnlyInput, type WeightOnlyReport } from "./weight-only.ts";

/**
 * §2: validate (V1–V14, first failure wins), run the resolved family, build the report.
 * `nowSeconds` (Unix seconds) is the measurement time when `measuredAt` is absent and the
 * age comes from `birthday`; without either, that input is refused (MISSING_FIELD measuredAt).
 * Usable directly as the Yolanda deriver's `Compute`.
 */
export function compute(input: unknown, nowSeconds?: number): ReportDocument | ErrorDocument {
  const r = run(input, nowSeconds);
  return r instanceof InputError ? r.document() : r;
}

function run(input: unknown, nowSeconds: number | undefined): ReportDocument | InputError {
  // V1
  if (!isObject(input)) return new InputError("INVALID_JSON", null, "the input must be a JSON object");
  const v = validateCommon(input, nowSeconds);
  if (v instanceof InputError) return v;
  const { family, profile } = v;
  const warnings: string[] = [];
  if (profile.age < 18) warnings.push("AGE_UNDER_18"); // §11, first in order
  // V14 and the family (§4–§8)
  let fr: FamilyResult;
  switch (family) {
    case "bh-dual-4": {
      const z = readBhDual4(input, profile);
      if (z instanceof InputError) return z;
      fr = runBhDual4(profile, z, warnings);
      break;
    }
    case "ht-4": {
      const z = readHt4(input);
      if (z instanceof InputError) return z;
      fr = runHt4(profile, z, warnings);
      break;
    }
    case "standard-wb": {
      const R = readStandardWb(input);
      if (R instanceof InputError) return R;
      fr = wholeBody(profile, R, warnings);
      break;
    }
    case "bia-8": {
      const z = readBia8(input);
      if (z instanceof InputError) return z;
      fr = runBia8(profile, z, warnings);
      break;
    }
    case "bodyfat-only": {
      const bf = readBodyfatOnly(input);
      if (bf instanceof InputError) return bf;
      fr = runBodyfatOnly(profile, bf);
      break;
    }
  }
  return buildReport(family, profile, fr, warnings);
}

/**
 * The CLI contract on text (§2.1 V1): UTF-8 bytes or a string → the document to print.
 * Invalid UTF-8, unparsable JSON or a non-object → INVALID_JSON.
 */
export function computeText(text: Uint8Array | string, nowSeconds?: number): ReportDocument | ErrorDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof text === "string" ? text : new TextDecoder("utf-8", { fatal: true }).decode(text));
  } catch {
    return new InputError("INVALID_JSON", null, "the input is not valid UTF-8 JSON").document();
  }
  return compute(parsed, nowSeconds);
}

/** A document is an error document. */
export function isError(doc: ReportDocument | ErrorDocument): doc is ErrorDocument {
  return "error" in doc;
}
