/**
 * Family bh-dual-4 (§4): BestHealth BHKeep_2023-03-30 dual-frequency foot-to-foot
 * routine (Lefu scaleType 90), as recovered by openScale's KeepS3BodyComposition.
 * Bit-exact: float32 (`Math.fround` after every operation) and integer arithmetic,
 * evaluated exactly as bracketed in §4.3.
 */
import { InputError, isNumber, isObject, missing, present, wrongType } from "../errors.ts";
import type { FamilyResult, Profile } from "../types.ts";

export interface BhDual4Input {
  /** Z50 = floor(z50 + 0.5), integer Ω (§4.1 step 5). */
  z50: number;
  /** Z100, integer Ω; a copy of Z50 when `impedance.z100` was absent (step 6). */
  z100: number;
  z100Copied: boolean;
}

const f = Math.fround;
const ftoi = Math.trunc;

function icl(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** §4.1 gates 1–6, in order. */
export function readBhDual4(doc: Record<string, unknown>, p: Profile): BhDual4Input | InputError {
  const imp = doc.impedance;
  if (!present(imp)) return missing("impedance");
  if (!isObject(imp)) return wrongType("impedance", "an object");
  const z50 = imp.z50;
  if (!present(z50)) return missing("impedance.z50");
  if (!isNumber(z50)) return wrongType("impedance.z50", "a number");
  const z100 = imp.z100;
  const hasZ100 = present(z100);
  if (hasZ100 && !isNumber(z100)) return wrongType("impedance.z100", "a number");
  if (f(p.weightKg) > 200) return new InputError("OUT_OF_RANGE", "weightKg", "bh-dual-4 accepts at most 200 kg");
  const Z50 = Math.floor(z50 + 0.5);
  if (Z50 < 200 || Z50 > 1200) return new InputError("OUT_OF_RANGE", "impedance.z50", "impedance.z50 must round to 200–1200 Ω");
  if (!hasZ100) return { z50: Z50, z100: Z50, z100Copied: true };
  const Z100 = Math.floor((z100 as number) + 0.5);
  if (Z100 < 200 || Z100 > 1200) return new InputError("OUT_OF_RANGE", "impedance.z100", "impedance.z100 must round to 200–1200 Ω");
  return { z50: Z50, z100: Z100, z100Copied: false };
}

/**
 * §4.3 B1–B21; the result table of §4.4. A literal c' = f32(c) is written `f(c)` (folded by
 * the JIT); integer literals are exact in float32 and written bare. The constants stay inline:
 * hoisting them into module-level consts made JSC's DFG exit on every call (8× slower).
 */
export function runBhDual4(p: Profile, z: BhDual4Input, warnings: string[]): FamilyResult {
  const male = p.male;
  const ath = p.athlete;
  const A = p.age;
  const Hi = Math.floor(p.heightCm + 0.5);
  const W32 = f(p.weightKg);
  if (z.z100Copied) warnings.push("Z100_COPIED");

  const Wr = icl(ftoi(f(W32 * 10)), 100, 2000); // B1
  const Zavg = ftoi((z.z50 + z.z100) / 2); // B2
  const H2 = Hi * Hi; // B3
  const BMIr = ftoi((Wr * 10000) / H2); // B4
  const SW22r = ftoi(f(H2 * f(0.022))); // B5
  // B6
  const L = f(f(f(f(f(f(H2 * f(9.058)) / 10000) + f(12.226)) + f(Wr * f(0.032))) - f(Zavg * f(0.0068))) - f(A * f(0.0542)));
  // B7
  let M = f(L - (male ? f(0.8) : A < 50 ? f(9.25) : f(7.25)));
  // B8
  if (male) {
    M = f(M * f(1.05));
    if (f(Zavg / Hi) < f(2.6)) M = f(M * f(1.03));
    else {
      M = f(M * f(0.96));
      if (Wr < 610) M = f(M * f(0.97));
      if (Hi > 170) M = f(M * f(0.98));
    }
  } else {
    M = f(M * f(1.02));
    if (Wr < 500) M = f(M * f(1.02));
    if (Wr > 600) M = f(M * f(0.96));
    if (Hi > 160) M = f(M * f(1.03));
  }
  // B9
  let Fk = f(f(Wr / 10) - M);
  if (ath) Fk = male ? f(f(Fk * f(0.778)) - f(0.93)) : f(f(Fk * f(0.992)) - f(1.5));
  // B10
  const FRr0 = ftoi(f(f(Fk * 10000) / Wr));
  const FRr = icl(FRr0, 50, 750);
  if (FRr !== FRr0) warnings.push("BODYFAT_CLAMPED");
  const FKr = ftoi((FRr * Wr) / 1000); // B11
  const FFr = Wr - FKr; // B12
  // B13
  const base = ftoi(((1000 - FRr) * 7) / 10);
  let WAr = ftoi((base * (base > 500 ? 98 : 102)) / 100);
  if (ath) WAr = ftoi(f(f(WAr * (male ? f(0.996) : f(0.985))) + (male ? 4 : 9)));
  WAr = Math.max(WAr, 350);
  // B14
  let BOr = ftoi(f(f(L * f(0.5158)) - (male ? f(1.802) : f(2.4569))));
  BOr = BOr + (BOr > 22 ? 1 : -1);
  if (ath) BOr = BOr + (BOr < 20 ? 1 : BOr < 30 ? 2 : 3);
  // B15
  const a1 = icl(ftoi(f(f(A + f(28.428)) - f(BMIr * f(0.1428)))), A - 5, A + 5);
  const a2 = icl(ftoi(f(f(f(BMIr * f(0.1724)) + A) - f(34.931))), A - 8, A + 8);
  const r = BMIr < 30 ? f(f(a1 * f(0.6)) + f(a2 * f(0.4))) : f(f(a1 * f(0.4)) + f(a2 * f(0.6)));
  const AGEb = icl(ftoi(r), 6, 99);
  // B16
  const x = male
    ? f(f(f(f(Wr * f(1.4916)) + f(877.8)) - f(Hi * f(0.726))) - f(A * f(8.976)))
    : f(f(f(f(Wr * f(1.0204)) + f(864.6)) - f(Hi * f(0.3934))) - f(A * f(6.204)));
  let BMRb = ftoi(x);
  if (ath) BMRb = ftoi(f(f(BMRb * f(1.16)) - 149));
  BMRb = Math.max(BMRb, 500);
  // B17 (w = Wr, h = Hi as float32: exact)
  const w = Wr;
  const h = Hi;
  let v: number;
  if (male) {
    v = f(f(w * f(0.16)) + 63) > h
      ? f(f(f(f(w * f(30.5)) / f(f(f(H2 * f(0.0826)) - f(h * f(0.4))) + 48)) - f(2.9)) + f(A * f(0.15)))
      : f(f(f(f(f(f(f(h * f(-0.0015)) + f(0.765)) * w) / 10) - f(h * f(0.143))) + f(A * f(0.15))) - 5);
  } else {
    v = f(f(h * 5) - 130) < w
      ? f(f(f(f(w * 50) / f(f(f(H2 * f(0.1158)) + f(h * f(1.45))) - 144)) - 6) + f(A * f(0.07)))
      : f(f(f(f(f(f(f(h * f(-0.0024)) + f(0.691)) * w) / 10) - f(h * f(0.027))) + f(A * f(0.07))) - f(10.5));
  }
  if (ath) v = v < 2 ? 1 : v < 10 ? f(v - 2) : v < 20 ? f(v * f(0.8)) : f(v * f(0.85));
  const VFb = icl(ftoi(v), 1, 50);
  // B18
  const MUr = Math.max(FFr - BOr, 0);
  const MRr = ftoi(f(f(MUr * 1000) / Wr));
  // B19
  const WKr = ftoi((WAr * Wr) / 1000);
  const SMr = Math.max(ftoi(f(f(WKr * f(0.832)) - f(27.354))), 0);
  const SMp = f(f(SMr * 100) / Wr);
  // B20
  const BRf = f(f(BOr * 1000) / Wr);
  const PRr = icl(ftoi(f(f((1000 - FRr) - f(WAr * f(1.08))) - BRf)), 20, 300);
  // B21
  let s = f(f(f(f(Zavg * f(0.031)) + f(BMIr * f(0.94))) + f(A * f(1.049))) - f(210.772));
  s = Math.min(Math.max(s, 10), 300);
  s = f(f(f(s * f(-9.4)) / 34) + FKr);
  if (ath) s = f(s * f(0.85));
  const SRr = icl(ftoi(f(f(s * 1000) / Wr)), 10, 600);
  const SKr = ftoi((SRr * Wr) / 1000);

  // §4.4
  return {
    bodyfat: FRr / 10,
    bmi: BMIr / 10,
    fatWeight: FKr / 10,
    fatFreeWeight: FFr / 10,
    water: WAr / 10,
    bone: BOr / 10,
    sinew: MUr / 10,
    protein: PRr / 10,
    skeletalMuscleMass: SMr / 10,
    muscle: SMp,
    bmr: BMRb,
    visfat: VFb,
    subfat: SRr / 10,
    bodyage: AGEb,
    standardWeight: SW22r / 10,
    subfatWeight: SKr / 10,
    muscleRate: MRr / 10,
    segments: null,
  };
}
