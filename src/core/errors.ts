/** A rejected input (§2.3): the first failing check's code and field. */
import type { ErrorCode, ErrorDocument } from "./types.ts";

export class InputError {
  constructor(
    readonly code: ErrorCode,
    readonly field: string | null,
    readonly message: string,
  ) {}

  document(): ErrorDocument {
    return { error: { code: this.code, message: this.message, field: this.field } };
  }
}

/** "present": the key exists and its value is not null (§2.2). */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** "number": a JSON number whose double is finite (§2.2). */
export function isNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** "integer": `Number.isInteger` (so 26.0 is one) (§2.2). */
export function isInteger(v: unknown): v is number {
  return Number.isInteger(v);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function missing(field: string): InputError {
  return new InputError("MISSING_FIELD", field, `${field} is required`);
}

export function wrongType(field: string, what: string): InputError {
  return new InputError("INVALID_TYPE", field, `${field} must be ${what}`);
}

export function outOfRange(field: string, lo: number, hi: number): InputError {
  return new InputError("OUT_OF_RANGE", field, `${field} must be between ${lo} and ${hi}`);
}

/**
 * A required number in [lo, hi]: absent → MISSING_FIELD, not a finite number →
 * INVALID_TYPE, outside → OUT_OF_RANGE (the "present / number / range" rows).
 */
export function requiredNumber(v: unknown, field: string, lo: number, hi: number): number | InputError {
  if (!present(v)) return missing(field);
  if (!isNumber(v)) return wrongType(field, "a number");
  if (v < lo || v > hi) return outOfRange(field, lo, hi);
  return v;
}
