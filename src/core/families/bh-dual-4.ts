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

// Literals c' = f32(c) (§4.2).
const F10 = f(10);
const F10000 = f(10000);
const F1000 = f(1000);
const F100 = f(100);
const C = {
  sw22: f(0.022),
  l1: f(9.058), l2: f(12.226), l3: f(0.032), l4: f(0.0068), l5: f(0.0542),
  cMale: f(0.8), cFemaleYoung: f(9.25), cFemaleOld: f(7.25),
  m105: f(1.05), m103: f(1.03), m096: f(0.96), m097: f(0.97), m098: f(0.98), m102: f(1.02), q26: f(2.6),
  athM1: f(0.778), athM2: f(0.93), athF1: f(0.992), athF2: f(1.5),
  waM1: f(0.996), waF1: f(0.985), waM2: f(4), waF2: f(9),
  bo1: f(0.5158), boM: f(1.802), boF: f(2.4569),
  ag1: f(28.428), ag2: f(0.1428), ag3: f(0.1724), ag4: f(34.931), ag6: f(0.6), ag4w: f(0.4),
  bmM1: f(1.4916), bmM2: f(877.8), bmM3: f(0.726), bmM4: f(8.976),
  bmF1: f(1.0204), bmF2: f(864.6), bmF3: f(0.3934), bmF4: f(6.204),
  bmAth1: f(1.16), bmAth2: f(149),
  vM1: f(0.16), vM2: f(63), vM3: f(30.5), vM4: f(0.0826), vM5: f(0.4), vM6: f(48), vM7: f(2.9), vM8: f(0.15),
  vM9: f(-0.0015), vM10: f(0.765), vM11: f(0.143), vM12: f(5),
  vF1: f(5), vF2: f(130), vF3: f(50), vF4: f(0.1158), vF5: f(1.45), vF6: f(144), vF7: f(6), vF8: f(0.07),
  vF9: f(-0.0024), vF10: f(0.691), vF11: f(0.027), vF12: f(10.5),
  vA2: f(2), vA10: f(10), vA20: f(20), vA08: f(0.8), vA085: f(0.85), vOne: f(1),
  sm1: f(0.832), sm2: f(27.354),
  pr1: f(1.08),
  s1: f(0.031), s2: f(0.94), s3: f(1.049), s4: f(210.772), s10: f(10), s300: f(300), s5: f(-9.4), s6: f(34), sAth: f(0.85),
} as const;

/** §4.3 B1–B21; the result table of §4.4. */
export function runBhDual4(p: Profile, z: BhDual4Input, warnings: string[]): FamilyResult {
  const male = p.male;
  const ath = p.athlete;
  const A = p.age;
  const Hi = Math.floor(p.heightCm + 0.5);
  const W32 = f(p.weightKg);
  if (z.z100Copied) warnings.push("Z100_COPIED");

  const Wr = icl(ftoi(f(W32 * F10)), 100, 2000); // B1
  const Zavg = ftoi((z.z50 + z.z100) / 2); // B2
  const H2 = Hi * Hi; // B3
  const BMIr = ftoi((Wr * 10000) / H2); // B4
  const SW22r = ftoi(f(H2 * C.sw22)); // B5
  // B6
  const L = f(f(f(f(f(f(H2 * C.l1) / F10000) + C.l2) + f(Wr * C.l3)) - f(Zavg * C.l4)) - f(A * C.l5));
  // B7
  let M = f(L - (male ? C.cMale : A < 50 ? C.cFemaleYoung : C.cFemaleOld));
  // B8
  if (male) {
    M = f(M * C.m105);
    if (f(Zavg / Hi) < C.q26) M = f(M * C.m103);
    else {
      M = f(M * C.m096);
      if (Wr < 610) M = f(M * C.m097);
      if (Hi > 170) M = f(M * C.m098);
    }
  } else {
    M = f(M * C.m102);
    if (Wr < 500) M = f(M * C.m102);
    if (Wr > 600) M = f(M * C.m096);
    if (Hi > 160) M = f(M * C.m103);
  }
  // B9
  let Fk = f(f(Wr / F10) - M);
  if (ath) Fk = male ? f(f(Fk * C.athM1) - C.athM2) : f(f(Fk * C.athF1) - C.athF2);
  // B10
  const FRr0 = ftoi(f(f(Fk * F10000) / Wr));
  const FRr = icl(FRr0, 50, 750);
  if (FRr !== FRr0) warnings.push("BODYFAT_CLAMPED");
  const FKr = ftoi((FRr * Wr) / 1000); // B11
  const FFr = Wr - FKr; // B12
  // B13
  const base = ftoi(((1000 - FRr) * 7) / 10);
  let WAr = ftoi((base * (base > 500 ? 98 : 102)) / 100);
  if (ath) WAr = ftoi(f(f(WAr * (male ? C.waM1 : C.waF1)) + (male ? C.waM2 : C.waF2)));
  WAr = Math.max(WAr, 350);
  // B14
  let BOr = ftoi(f(f(L * C.bo1) - (male ? C.boM : C.boF)));
  BOr = BOr + (BOr > 22 ? 1 : -1);
  if (ath) BOr = BOr + (BOr < 20 ? 1 : BOr < 30 ? 2 : 3);
  // B15
  const a1 = icl(ftoi(f(f(A + C.ag1) - f(BMIr * C.ag2))), A - 5, A + 5);
  const a2 = icl(ftoi(f(f(f(BMIr * C.ag3) + A) - C.ag4)), A - 8, A + 8);
  const r = BMIr < 30 ? f(f(a1 * C.ag6) + f(a2 * C.ag4w)) : f(f(a1 * C.ag4w) + f(a2 * C.ag6));
  const AGEb = icl(ftoi(r), 6, 99);
  // B16
  const x = male
    ? f(f(f(f(Wr * C.bmM1) + C.bmM2) - f(Hi * C.bmM3)) - f(A * C.bmM4))
    : f(f(f(f(Wr * C.bmF1) + C.bmF2) - f(Hi * C.bmF3)) - f(A * C.bmF4));
  let BMRb = ftoi(x);
  if (ath) BMRb = ftoi(f(f(BMRb * C.bmAth1) - C.bmAth2));
  BMRb = Math.max(BMRb, 500);
  // B17 (w = Wr, h = Hi as float32: exact)
  const w = Wr;
  const h = Hi;
  let v: number;
  if (male) {
    v = f(f(w * C.vM1) + C.vM2) > h
      ? f(f(f(f(w * C.vM3) / f(f(f(H2 * C.vM4) - f(h * C.vM5)) + C.vM6)) - C.vM7) + f(A * C.vM8))
      : f(f(f(f(f(f(f(h * C.vM9) + C.vM10) * w) / F10) - f(h * C.vM11)) + f(A * C.vM8)) - C.vM12);
  } else {
    v = f(f(h * C.vF1) - C.vF2) < w
      ? f(f(f(f(w * C.vF3) / f(f(f(H2 * C.vF4) + f(h * C.vF5)) - C.vF6)) - C.vF7) + f(A * C.vF8))
      : f(f(f(f(f(f(f(h * C.vF9) + C.vF10) * w) / F10) - f(h * C.vF11)) + f(A * C.vF8)) - C.vF12);
  }
  if (ath) v = v < C.vA2 ? C.vOne : v < C.vA10 ? f(v - C.vA2) : v < C.vA20 ? f(v * C.vA08) : f(v * C.vA085);
  const VFb = icl(ftoi(v), 1, 50);
  // B18
  const MUr = Math.max(FFr - BOr, 0);
  const MRr = ftoi(f(f(MUr * F1000) / Wr));
  // B19
  const WKr = ftoi((WAr * Wr) / 1000);
  const SMr = Math.max(ftoi(f(f(WKr * C.sm1) - C.sm2)), 0);
  const SMp = f(f(SMr * F100) / Wr);
  // B20
  const BRf = f(f(BOr * F1000) / Wr);
  const PRr = icl(ftoi(f(f((1000 - FRr) - f(WAr * C.pr1)) - BRf)), 20, 300);
  // B21
  let s = f(f(f(f(Zavg * C.s1) + f(BMIr * C.s2)) + f(A * C.s3)) - C.s4);
  s = Math.min(Math.max(s, C.s10), C.s300);
  s = f(f(f(s * C.s5) / C.s6) + FKr);
  if (ath) s = f(s * C.sAth);
  const SRr = icl(ftoi(f(f(s * F1000) / Wr)), 10, 600);
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
