/**
 * Properties over many inputs inside the gates: finite numbers, no negatives where a
 * quantity cannot be negative, monotonicity of fat-free mass in impedance and of BMI in
 * weight, and bia-8 left/right symmetry.
 */
import { describe, expect, test } from "bun:test";
import { compute, SEGMENT_NAMES, type ReportDocument, type SegmentName } from "../../src/core/index.ts";

/** mulberry32: a small seeded generator, so failures are reproducible. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20261201);
const uni = (lo: number, hi: number) => lo + (hi - lo) * rand();
const int = (lo: number, hi: number) => Math.floor(uni(lo, hi + 1));

function ok(input: unknown): ReportDocument {
  const out = compute(input, 0);
  if ("error" in out) throw new Error(`${JSON.stringify(out.error)} for ${JSON.stringify(input)}`);
  return out;
}

function profile() {
  return { sex: rand() < 0.5 ? "male" : "female", age: int(6, 99), heightCm: uni(90, 220), weightKg: uni(10, 200), heartRate: rand() < 0.3 ? 0 : int(0, 250), athlete: rand() < 0.2 };
}
function segments() {
  const limb = () => ({ z20: uni(100, 700), z100: uni(100, 700) });
  return { rightArm: limb(), leftArm: limb(), trunk: { z20: uni(5, 100), z100: uni(5, 100) }, rightLeg: limb(), leftLeg: limb() };
}
const GEN: Record<string, () => Record<string, unknown>> = {
  "bh-dual-4": () => ({ ...profile(), algorithm: "bh-dual-4", impedance: rand() < 0.2 ? { z50: uni(199.5, 1200.4) } : { z50: uni(199.5, 1200.4), z100: uni(199.5, 1200.4) } }),
  "ht-4": () => ({ ...profile(), algorithm: "ht-4", impedance: { z50: uni(200, 1200) }, options: { ht4Subtraction: rand() < 0.5 } }),
  "standard-wb": () => ({ ...profile(), algorithm: "standard-wb", impedance: { z50: uni(200, 1500) } }),
  "bia-8": () => ({ ...profile(), algorithm: "bia-8", impedance: { segments: segments() } }),
  "bodyfat-only": () => ({ ...profile(), algorithm: "bodyfat-only", bodyfat: uni(1, 80) }),
};

/**
 * Members that are signed by definition (§9.2: below the standard weight, lose/gain fat).
 * Two more can be negative by the spec's formulas, which have no clamp (reported to the lead):
 * `ideal_visual_weight` = 0.9 / 0.8 × (H − 100) below 100 cm, and D11's
 * `subfat` = 0.965 × bf − 0.22 × VF (female 0.983 / 0.303) for a low bf with a high BMI.
 */
const SIGNED = new Set(["obesity", "weight_control", "fat_control"]);

function numbers(doc: unknown, path: string, out: Array<[string, number]>) {
  if (typeof doc === "number") out.push([path, doc]);
  else if (doc && typeof doc === "object") for (const [k, v] of Object.entries(doc)) numbers(v, path ? `${path}.${k}` : k, out);
  return out;
}

describe("finite, and non-negative unless signed, for any input inside the gates", () => {
  for (const [family, gen] of Object.entries(GEN)) {
    test(family, () => {
      for (let i = 0; i < 3000; i++) {
        const input = gen();
        const r = ok(input);
        for (const [path, v] of numbers(r, "", [])) {
          if (!Number.isFinite(v)) throw new Error(`${path} = ${v} for ${JSON.stringify(input)}`);
          const formulaSigned =
            (path === "ideal_visual_weight" && (input.heightCm as number) < 100) ||
            ((path === "subfat" || path === "subfat_weight") && family !== "bh-dual-4");
          if (v < 0 && !SIGNED.has(path) && !formulaSigned) {
            throw new Error(`${path} = ${v} < 0 for ${JSON.stringify(input)}`);
          }
        }
        expect(r.bodyfat).toBeGreaterThan(0);
        expect(r.fat_free_weight).toBeLessThanOrEqual(r.weight);
      }
    });
  }
});

describe("more impedance never raises fat-free mass", () => {
  const steps = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  test("ht-4 and bh-dual-4 over the whole Ω gate", () => {
    for (let i = 0; i < 300; i++) {
      const p = profile();
      let prevHt = Infinity;
      let prevBh = Infinity;
      for (const z of steps(200, 1200, 101)) {
        const ht = ok({ ...p, algorithm: "ht-4", impedance: { z50: z } }).fat_free_weight;
        const bh = ok({ ...p, weightKg: Math.min(p.weightKg, 200), algorithm: "bh-dual-4", impedance: { z50: z, z100: z } }).fat_free_weight;
        expect(ht).toBeLessThanOrEqual(prevHt);
        expect(bh).toBeLessThanOrEqual(prevBh);
        prevHt = ht;
        prevBh = bh;
      }
    }
  });
  test("standard-wb while R < 5.7 × H (Sun 2003's +0.02·R term wins above; see docs/computation.md)", () => {
    for (let i = 0; i < 300; i++) {
      const p = profile();
      let prev = Infinity;
      for (const z of steps(200, Math.min(1500, 5.7 * p.heightCm), 101)) {
        const ffm = ok({ ...p, algorithm: "standard-wb", impedance: { z50: z } }).fat_free_weight;
        expect(ffm).toBeLessThanOrEqual(prev);
        prev = ffm;
      }
    }
  });
  test("bia-8: every segment, both frequencies, while the whole-body R stays below 5.7 × H", () => {
    for (let i = 0; i < 200; i++) {
      const p = { ...profile(), heightCm: uni(150, 220) };
      const base = { rightArm: { z20: 300, z100: 270 }, leftArm: { z20: 300, z100: 270 }, trunk: { z20: 25, z100: 20 }, rightLeg: { z20: 250, z100: 230 }, leftLeg: { z20: 250, z100: 230 } };
      const seg = SEGMENT_NAMES[i % 5]!;
      const key = i % 2 ? "z20" : "z100";
      const hi = seg === "trunk" ? 100 : 400;
      let prev = Infinity;
      for (const z of steps(seg === "trunk" ? 5 : 100, hi, 41)) {
        const imp = structuredClone(base);
        imp[seg][key] = z;
        const ffm = ok({ ...p, algorithm: "bia-8", impedance: { segments: imp } }).fat_free_weight;
        expect(ffm).toBeLessThanOrEqual(prev);
        prev = ffm;
      }
    }
  });
});

describe("more weight at the same height never lowers BMI", () => {
  for (const [family, gen] of Object.entries(GEN)) {
    test(family, () => {
      for (let i = 0; i < 200; i++) {
        const input = gen();
        let prev = -Infinity;
        for (let w = 10; w <= (family === "bh-dual-4" ? 200 : 250); w += 2.5) {
          const bmi = ok({ ...input, weightKg: w }).bmi;
          expect(bmi).toBeGreaterThanOrEqual(prev);
          prev = bmi;
        }
      }
    });
  }
});

describe("bia-8: swapping arms or legs swaps only their segments", () => {
  const swap = (s: Record<SegmentName, unknown>, a: SegmentName, b: SegmentName) => ({ ...s, [a]: s[b], [b]: s[a] });
  const rename = (w: string, a: string, b: string) => w.replace(`:${a}`, "\0").replace(`:${b}`, `:${a}`).replace("\0", `:${b}`);
  for (const [a, b] of [["rightArm", "leftArm"], ["rightLeg", "leftLeg"]] as const) {
    test(`${a} ↔ ${b}`, () => {
      for (let i = 0; i < 500; i++) {
        const input = GEN["bia-8"]!() as { impedance: { segments: Record<SegmentName, unknown> } };
        const r = ok(input);
        const s = ok({ ...input, impedance: { segments: swap(input.impedance.segments, a, b) } });
        expect(s.segments![a]).toEqual(r.segments![b]);
        expect(s.segments![b]).toEqual(r.segments![a]);
        const { segments: rs, warnings: rw, ...rest } = r;
        const { segments: ss, warnings: sw, ...sRest } = s;
        expect(sRest).toEqual(rest);
        for (const k of SEGMENT_NAMES) if (k !== a && k !== b) expect(ss![k]).toEqual(rs![k]);
        expect(new Set(sw)).toEqual(new Set(rw.map((w) => rename(w, a, b))));
      }
    });
  }
});
