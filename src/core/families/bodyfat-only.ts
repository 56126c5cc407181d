/**
 * Family bodyfat-only (§8.1): a body fat measured elsewhere (e.g. a Yolanda relay);
 * every other field comes from downstream D (§8.2).
 */
import { InputError, requiredNumber } from "../errors.ts";
import type { FamilyResult } from "../types.ts";

/** §8.1 check 1: bodyfat in 1–80 %. */
export function readBodyfatOnly(doc: Record<string, unknown>): number | InputError {
  return requiredNumber(doc.bodyfat, "bodyfat", 1, 80);
}

/** bf = `bodyfat`, not clamped; nothing else is owned. */
export function runBodyfatOnly(bodyfat: number): FamilyResult {
  return {
    bodyfat,
    bmi: null,
    fatWeight: null,
    fatFreeWeight: null,
    water: null,
    bone: null,
    sinew: null,
    protein: null,
    skeletalMuscleMass: null,
    muscle: null,
    bmr: null,
    visfat: null,
    subfat: null,
    bodyage: null,
    standardWeight: null,
    subfatWeight: null,
    muscleRate: null,
    segments: null,
  };
}
