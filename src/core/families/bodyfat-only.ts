/**
 * Family bodyfat-only (§8.1): a body fat measured elsewhere (e.g. a Yolanda relay);
 * every other field comes from downstream D (§8.2).
 */
import { InputError, requiredNumber } from "../errors.ts";
import { downstream } from "../downstream.ts";
import type { FamilyResult, Profile } from "../types.ts";

/** §8.1 check 1: bodyfat in 1–80 %. */
export function readBodyfatOnly(doc: Record<string, unknown>): number | InputError {
  return requiredNumber(doc.bodyfat, "bodyfat", 1, 80);
}

/** bf = `bodyfat`, not clamped; every other field is D's. */
export function runBodyfatOnly(p: Profile, bodyfat: number): FamilyResult {
  const d = downstream(p, bodyfat);
  return {
    bodyfat,
    bmi: d.bmi,
    fatWeight: d.fatWeight,
    fatFreeWeight: d.fatFreeWeight,
    water: d.water,
    bone: d.bone,
    sinew: d.sinew,
    protein: d.protein,
    skeletalMuscleMass: d.skeletalMuscleMass,
    muscle: d.muscle,
    bmr: d.bmr,
    visfat: d.visfat,
    subfat: d.subfat,
    bodyage: d.bodyage,
    standardWeight: d.standardWeight,
    subfatWeight: null,
    muscleRate: null,
    segments: null,
  };
}
