/** §2.3 validation order and error codes, §2.4 resolution, and the family gates (V14). */
import { describe, expect, test } from "bun:test";
import { compute, computeText, type ErrorDocument, type ReportDocument } from "../../src/core/index.ts";
import { B8, BH, BODYFAT, HT, SEGMENTS, WB, withField } from "./fixtures.ts";

/** 2026-12-01T12:00:00Z */
const NOW = 1764590400;

function err(input: unknown): ErrorDocument["error"] {
  const out = compute(input, NOW);
  if (!("error" in out)) throw new Error(`expected an error for ${JSON.stringify(input)}`);
  expect(typeof out.error.message).toBe("string");
  return out.error;
}

function ok(input: unknown): ReportDocument {
  const out = compute(input, NOW);
  if ("error" in out) throw new Error(`unexpected ${JSON.stringify(out.error)} for ${JSON.stringify(input)}`);
  return out;
}

type Case = [name: string, input: unknown, code: string, field: string | null];

const cases: Case[] = [
  // V2, V2b
  ["algorithm not a string", withField(BODYFAT, "algorithm", 4), "INVALID_TYPE", "algorithm"],
  ["unknown algorithm", withField(BODYFAT, "algorithm", "bia-4"), "INVALID_VALUE", "algorithm"],
  // V3
  ["scaleType not an integer", withField(BH, "scaleType", 90.5), "INVALID_TYPE", "scaleType"],
  ["scaleType a string", withField(BH, "scaleType", "90"), "INVALID_TYPE", "scaleType"],
  ["scaleType checked even when algorithm is named", withField(BODYFAT, "scaleType", true), "INVALID_TYPE", "scaleType"],
  // V4
  ["sex absent", withField(BODYFAT, "sex", undefined), "MISSING_FIELD", "sex"],
  ["sex null counts as absent", withField(BODYFAT, "sex", null), "MISSING_FIELD", "sex"],
  ["sex not a string", withField(BODYFAT, "sex", 1), "INVALID_TYPE", "sex"],
  ["sex not male/female", withField(BODYFAT, "sex", "Male"), "INVALID_VALUE", "sex"],
  // V5
  ["age a string", withField(BODYFAT, "age", "30"), "INVALID_TYPE", "age"],
  ["age fractional", withField(BODYFAT, "age", 30.5), "INVALID_TYPE", "age"],
  ["age 5", withField(BODYFAT, "age", 5), "OUT_OF_RANGE", "age"],
  ["age 100", withField(BODYFAT, "age", 100), "OUT_OF_RANGE", "age"],
  // V6 (checked even when age is present)
  ["birthday not a string", withField(BODYFAT, "birthday", 19900101), "INVALID_TYPE", "birthday"],
  ["birthday format", withField(BODYFAT, "birthday", "1990-1-01"), "INVALID_VALUE", "birthday"],
  ["birthday 30 February", withField(BODYFAT, "birthday", "1990-02-30"), "INVALID_VALUE", "birthday"],
  ["birthday 29 February of a non-leap year", withField(BODYFAT, "birthday", "1900-02-29"), "INVALID_VALUE", "birthday"],
  ["birthday month 13", withField(BODYFAT, "birthday", "1990-13-01"), "INVALID_VALUE", "birthday"],
  // V7
  ["measuredAt fractional", withField(BODYFAT, "measuredAt", 1.5), "INVALID_TYPE", "measuredAt"],
  ["measuredAt negative", withField(BODYFAT, "measuredAt", -1), "OUT_OF_RANGE", "measuredAt"],
  ["measuredAt after 9999", withField(BODYFAT, "measuredAt", 253402300800), "OUT_OF_RANGE", "measuredAt"],
  // V8, V8b, V8c
  ["neither age nor birthday", withField(BODYFAT, "age", undefined), "MISSING_FIELD", "age"],
  ["birthday after the measurement", { ...withField(BODYFAT, "age", undefined), birthday: "2000-01-02", measuredAt: 946684800 }, "INVALID_VALUE", "birthday"],
  ["derived age 5", { ...withField(BODYFAT, "age", undefined), birthday: "1995-01-01", measuredAt: 946684800 }, "OUT_OF_RANGE", "birthday"],
  ["derived age 100", { ...withField(BODYFAT, "age", undefined), birthday: "1900-01-01", measuredAt: 946684800 }, "OUT_OF_RANGE", "birthday"],
  // V9
  ["height absent", withField(BODYFAT, "heightCm", undefined), "MISSING_FIELD", "heightCm"],
  ["height a string", withField(BODYFAT, "heightCm", "170"), "INVALID_TYPE", "heightCm"],
  ["height 89.9", withField(BODYFAT, "heightCm", 89.9), "OUT_OF_RANGE", "heightCm"],
  ["height 220.1", withField(BODYFAT, "heightCm", 220.1), "OUT_OF_RANGE", "heightCm"],
  // V10
  ["weight absent", withField(BODYFAT, "weightKg", undefined), "MISSING_FIELD", "weightKg"],
  ["weight a boolean", withField(BODYFAT, "weightKg", true), "INVALID_TYPE", "weightKg"],
  ["weight 9.99", withField(BODYFAT, "weightKg", 9.99), "OUT_OF_RANGE", "weightKg"],
  ["weight 250.01", withField(BODYFAT, "weightKg", 250.01), "OUT_OF_RANGE", "weightKg"],
  // V11
  ["heart rate fractional", withField(BODYFAT, "heartRate", 70.5), "INVALID_TYPE", "heartRate"],
  ["heart rate 251", withField(BODYFAT, "heartRate", 251), "OUT_OF_RANGE", "heartRate"],
  ["heart rate negative", withField(BODYFAT, "heartRate", -1), "OUT_OF_RANGE", "heartRate"],
  // V12
  ["athlete not a boolean", withField(BH, "athlete", "yes"), "INVALID_TYPE", "athlete"],
  // V13
  ["scaleType 7", withField(HT, "scaleType", 7), "UNSUPPORTED_SCALE_TYPE", "scaleType"],
  ["scaleType -1", withField(HT, "scaleType", -1), "UNSUPPORTED_SCALE_TYPE", "scaleType"],
  ["nothing to resolve a family from", withField(BODYFAT, "algorithm", undefined) && { sex: "male", age: 30, heightCm: 170, weightKg: 70 }, "MISSING_FIELD", "algorithm"],
  ["impedance without z50 resolves nothing", { sex: "male", age: 30, heightCm: 170, weightKg: 70, impedance: { z100: 400 } }, "MISSING_FIELD", "algorithm"],
  // V14 bh-dual-4 (§4.1)
  ["bh: impedance absent", withField(BH, "impedance", undefined), "MISSING_FIELD", "impedance"],
  ["bh: impedance an array", withField(BH, "impedance", [500, 470]), "INVALID_TYPE", "impedance"],
  ["bh: z50 absent", withField(BH, "impedance.z50", undefined), "MISSING_FIELD", "impedance.z50"],
  ["bh: z50 a string", withField(BH, "impedance.z50", "500"), "INVALID_TYPE", "impedance.z50"],
  ["bh: z100 not a number", withField(BH, "impedance.z100", "470"), "INVALID_TYPE", "impedance.z100"],
  ["bh: z100 type before the weight gate", withField(withField(BH, "weightKg", 210), "impedance.z100", {}), "INVALID_TYPE", "impedance.z100"],
  ["bh: f32(W) > 200", withField(BH, "weightKg", 200.1), "OUT_OF_RANGE", "weightKg"],
  ["bh: weight gate before z50 range", withField(withField(BH, "weightKg", 201), "impedance.z50", 5), "OUT_OF_RANGE", "weightKg"],
  ["bh: Z50 rounds to 199", withField(BH, "impedance.z50", 199.49), "OUT_OF_RANGE", "impedance.z50"],
  ["bh: Z50 rounds to 1201", withField(BH, "impedance.z50", 1200.5), "OUT_OF_RANGE", "impedance.z50"],
  ["bh: Z100 rounds to 1201", withField(BH, "impedance.z100", 1200.5), "OUT_OF_RANGE", "impedance.z100"],
  ["bh: Z100 rounds to 199", withField(BH, "impedance.z100", 199), "OUT_OF_RANGE", "impedance.z100"],
  // V14 ht-4 (§5.1)
  ["ht: impedance absent", withField(HT, "impedance", undefined), "MISSING_FIELD", "impedance"],
  ["ht: impedance a number", withField(HT, "impedance", 550), "INVALID_TYPE", "impedance"],
  ["ht: z50 absent", withField(HT, "impedance.z50", undefined), "MISSING_FIELD", "impedance.z50"],
  ["ht: z50 a string", withField(HT, "impedance.z50", "550"), "INVALID_TYPE", "impedance.z50"],
  ["ht: z50 199.9", withField(HT, "impedance.z50", 199.9), "OUT_OF_RANGE", "impedance.z50"],
  ["ht: z50 1200.1", withField(HT, "impedance.z50", 1200.1), "OUT_OF_RANGE", "impedance.z50"],
  ["ht: options not an object", withField(HT, "options", true), "INVALID_TYPE", "options"],
  ["ht: ht4Subtraction not a boolean", withField(HT, "options", { ht4Subtraction: 1 }), "INVALID_TYPE", "options.ht4Subtraction"],
  // V14 standard-wb (§6.1)
  ["wb: impedance absent", withField(WB, "impedance", undefined), "MISSING_FIELD", "impedance"],
  ["wb: z50 absent", withField(WB, "impedance.z50", undefined), "MISSING_FIELD", "impedance.z50"],
  ["wb: z50 a string", withField(WB, "impedance.z50", "527"), "INVALID_TYPE", "impedance.z50"],
  ["wb: z50 199", withField(WB, "impedance.z50", 199), "OUT_OF_RANGE", "impedance.z50"],
  ["wb: z50 1501", withField(WB, "impedance.z50", 1501), "OUT_OF_RANGE", "impedance.z50"],
  // V14 bia-8 (§7.1)
  ["b8: impedance absent", withField(B8, "impedance", undefined), "MISSING_FIELD", "impedance"],
  ["b8: impedance a string", withField(B8, "impedance", "x"), "INVALID_TYPE", "impedance"],
  ["b8: segments absent", withField(B8, "impedance.segments", undefined), "MISSING_FIELD", "impedance.segments"],
  ["b8: segments an array", withField(B8, "impedance.segments", []), "INVALID_TYPE", "impedance.segments"],
  ["b8: trunk absent", withField(B8, "impedance.segments.trunk", undefined), "MISSING_FIELD", "impedance.segments.trunk"],
  ["b8: leftLeg not an object", withField(B8, "impedance.segments.leftLeg", 280), "INVALID_TYPE", "impedance.segments.leftLeg"],
  ["b8: rightArm z20 absent", withField(B8, "impedance.segments.rightArm.z20", undefined), "MISSING_FIELD", "impedance.segments.rightArm.z20"],
  ["b8: rightArm z100 a string", withField(B8, "impedance.segments.rightArm.z100", "318"), "INVALID_TYPE", "impedance.segments.rightArm.z100"],
  ["b8: limb z20 99", withField(B8, "impedance.segments.leftArm.z20", 99), "OUT_OF_RANGE", "impedance.segments.leftArm.z20"],
  ["b8: limb z100 701", withField(B8, "impedance.segments.rightLeg.z100", 701), "OUT_OF_RANGE", "impedance.segments.rightLeg.z100"],
  ["b8: trunk z20 4.9", withField(B8, "impedance.segments.trunk.z20", 4.9), "OUT_OF_RANGE", "impedance.segments.trunk.z20"],
  ["b8: trunk z100 100.1", withField(B8, "impedance.segments.trunk.z100", 100.1), "OUT_OF_RANGE", "impedance.segments.trunk.z100"],
  ["b8: segments in order (rightArm before leftLeg)", withField(withField(B8, "impedance.segments.leftLeg", null), "impedance.segments.rightArm.z20", 5), "OUT_OF_RANGE", "impedance.segments.rightArm.z20"],
  // V14 bodyfat-only (§8.1)
  ["bf: bodyfat absent", withField(BODYFAT, "bodyfat", undefined), "MISSING_FIELD", "bodyfat"],
  ["bf: bodyfat a string", withField(BODYFAT, "bodyfat", "20"), "INVALID_TYPE", "bodyfat"],
  ["bf: bodyfat 0.9", withField(BODYFAT, "bodyfat", 0.9), "OUT_OF_RANGE", "bodyfat"],
  ["bf: bodyfat 80.1", withField(BODYFAT, "bodyfat", 80.1), "OUT_OF_RANGE", "bodyfat"],
  // first failure wins: V4 before V9/V10/V14
  ["sex before height, weight and family", { algorithm: "bodyfat-only", sex: 2, heightCm: 1, weightKg: "x", bodyfat: 500 }, "INVALID_TYPE", "sex"],
  ["height before weight", withField(withField(BODYFAT, "heightCm", 50), "weightKg", 5), "OUT_OF_RANGE", "heightCm"],
  ["common members before scaleType resolution", withField(withField(HT, "scaleType", 7), "heartRate", 300), "OUT_OF_RANGE", "heartRate"],
];

describe("every check of §2.3 with its code and field", () => {
  for (const [name, input, code, field] of cases) {
    test(name, () => {
      expect(err(input)).toMatchObject({ code, field });
    });
  }
});

describe("V1 INVALID_JSON (field null)", () => {
  const texts: Array<[string, string | Uint8Array]> = [
    ["truncated", '{"sex": "male",'],
    ["empty", ""],
    ["an array", "[1, 2]"],
    ["null", "null"],
    ["a number", "42"],
    ["a string", '"male"'],
    ["not UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
  ];
  for (const [name, text] of texts) {
    test(name, () => {
      const out = computeText(text, NOW);
      expect("error" in out && out.error).toMatchObject({ code: "INVALID_JSON", field: null });
    });
  }
  test("compute() on a non-object value", () => {
    expect(err([BODYFAT])).toMatchObject({ code: "INVALID_JSON", field: null });
  });
});

describe("accepted edge values and members the family does not use", () => {
  test("range ends are inclusive", () => {
    ok({ ...BODYFAT, age: 6, heightCm: 90, weightKg: 10, bodyfat: 1 });
    ok({ ...BODYFAT, age: 99, heightCm: 220, weightKg: 250, bodyfat: 80, heartRate: 250 });
    ok(withField(BH, "impedance", { z50: 199.5, z100: 1200.49 }));
    ok(withField(BH, "weightKg", 200.000001)); // f32(200.000001) = 200
    ok(withField(B8, "impedance.segments.trunk", { z20: 5, z100: 100 }));
  });
  test("26.0 is an integer; null members are absent", () => {
    expect(ok({ ...BODYFAT, age: 26.0, heartRate: null, athlete: null, scaleType: null }).age).toBe(26);
  });
  test("members of other families are not validated", () => {
    ok({ ...BODYFAT, impedance: "junk", options: 5 });
    ok({ ...HT, bodyfat: "junk" });
    ok({ ...BH, options: 5, bodyfat: -1 });
    ok({ ...B8, options: 5 });
  });
  test("unknown members are ignored", () => {
    ok({ ...BODYFAT, colour: "blue", x_anything: [1] });
  });
});

describe("§2.4 algorithm resolution", () => {
  const algo = (input: unknown) => ok(input).algorithm;
  test("scaleType dispatch: 0 ht-4, 1–6 bia-8, 90 bh-dual-4", () => {
    expect(algo({ ...HT, scaleType: 0 })).toBe("ht-4");
    for (let st = 1; st <= 6; st++) expect(algo({ ...B8, scaleType: st })).toBe("bia-8");
    expect(algo({ ...BH, scaleType: 90 })).toBe("bh-dual-4");
  });
  test("algorithm wins over scaleType (which is then only type-checked)", () => {
    expect(algo({ ...HT, algorithm: "ht-4", scaleType: 7 })).toBe("ht-4");
    expect(algo({ ...WB, scaleType: 90 })).toBe("standard-wb");
  });
  test("inferred from the members present", () => {
    const { scaleType: _a, ...bh } = BH;
    const { scaleType: _b, ...ht } = HT;
    const { scaleType: _c, ...b8 } = B8;
    const { algorithm: _d, ...bf } = BODYFAT;
    expect(algo(bh)).toBe("bh-dual-4");
    expect(algo(ht)).toBe("ht-4");
    expect(algo(b8)).toBe("bia-8");
    expect(algo(bf)).toBe("bodyfat-only");
    expect(algo({ ...ht, bodyfat: 20 })).toBe("ht-4"); // impedance first
  });
  test("standard-wb only by name", () => {
    const { algorithm: _w, ...wb } = WB;
    expect(algo(wb)).toBe("ht-4");
  });
});

describe("§2.5 age from birthday", () => {
  const ageAt = (birthday: string, measuredAt: number) => ok({ ...withField(BODYFAT, "age", undefined), birthday, measuredAt }).age;
  const t = (iso: string) => Date.parse(iso) / 1000;
  test("completed years on the UTC date", () => {
    expect(ageAt("1990-06-15", t("2020-06-14T23:59:59Z"))).toBe(29);
    expect(ageAt("1990-06-15", t("2020-06-15T00:00:00Z"))).toBe(30);
  });
  test("a 29 February birthday is reached on 1 March in non-leap years", () => {
    expect(ageAt("2000-02-29", t("2019-02-28T12:00:00Z"))).toBe(18);
    expect(ageAt("2000-02-29", t("2019-03-01T00:00:00Z"))).toBe(19);
    expect(ageAt("2000-02-29", t("2020-02-29T00:00:00Z"))).toBe(20);
  });
  test("born on the measurement day is allowed (then V8c)", () => {
    expect(err({ ...withField(BODYFAT, "age", undefined), birthday: "2020-05-05", measuredAt: t("2020-05-05T10:00:00Z") })).toMatchObject({ code: "OUT_OF_RANGE", field: "birthday" });
  });
  test("age wins over birthday", () => {
    expect(ok({ ...BODYFAT, age: 30, birthday: "2000-01-01", measuredAt: t("2020-01-01T00:00:00Z") }).age).toBe(30);
  });
  test("without measuredAt the caller's now is used; without both the input is refused", () => {
    const input = { ...withField(BODYFAT, "age", undefined), birthday: "1990-06-15" };
    expect((compute(input, t("2020-06-15T00:00:00Z")) as ReportDocument).age).toBe(30);
    expect((compute(input) as ErrorDocument).error).toMatchObject({ code: "MISSING_FIELD", field: "measuredAt" });
  });
  test("the last second of 9999", () => {
    expect(ageAt("9950-12-31", 253402300799)).toBe(49);
  });
});

describe("§11 warnings", () => {
  const warnings = (input: unknown) => ok(input).warnings;
  test("none for an ordinary adult", () => {
    expect(warnings(BH)).toEqual([]);
    expect(warnings(B8)).toEqual([]);
  });
  test("AGE_UNDER_18", () => {
    expect(warnings({ ...BODYFAT, age: 17 })).toEqual(["AGE_UNDER_18"]);
    expect(warnings({ ...BODYFAT, age: 18 })).toEqual([]);
  });
  test("Z100_COPIED: bh-dual-4 without z100 computes as if z100 = z50", () => {
    const copied = ok(withField(BH, "impedance.z100", undefined));
    const same = ok(withField(BH, "impedance.z100", 500));
    expect(copied.warnings).toEqual(["Z100_COPIED"]);
    expect({ ...copied, warnings: [] as string[] }).toEqual(same);
  });
  test("FREQ_SWAPPED per segment, in input order", () => {
    const swapped = withField(withField(B8, "impedance.segments.trunk", { z20: 20.1, z100: 24.6 }), "impedance.segments.rightArm", { z20: 318.5, z100: 352 });
    const r = ok(swapped);
    expect(r.warnings).toEqual(["FREQ_SWAPPED:rightArm", "FREQ_SWAPPED:trunk"]);
    expect({ ...r, warnings: [] as string[] }).toEqual(ok(B8));
  });
  test("BODYFAT_CLAMPED in bh-dual-4, ht-4, standard-wb and bia-8", () => {
    expect(warnings({ ...BH, heightCm: 90, weightKg: 10, impedance: { z50: 200, z100: 200 } })).toContain("BODYFAT_CLAMPED");
    expect(warnings({ ...HT, sex: "male", heightCm: 200, weightKg: 50, impedance: { z50: 200 } })).toContain("BODYFAT_CLAMPED");
    expect(warnings({ ...WB, heightCm: 200, weightKg: 50, impedance: { z50: 200 } })).toContain("BODYFAT_CLAMPED");
    const thin = { z20: 100, z100: 100 };
    expect(warnings({ ...B8, heightCm: 200, weightKg: 50, impedance: { segments: { rightArm: thin, leftArm: thin, trunk: { z20: 5, z100: 5 }, rightLeg: thin, leftLeg: thin } } })).toContain(
      "BODYFAT_CLAMPED",
    );
  });
  test("WATER_CONSTRAINED when Sun's TBW leaves 0.6–0.8 × FFM", () => {
    expect(warnings({ ...WB, heightCm: 200, weightKg: 60, impedance: { z50: 250 } })).toContain("WATER_CONSTRAINED");
  });
  test("order: AGE_UNDER_18, Z100_COPIED, BODYFAT_CLAMPED", () => {
    expect(warnings({ ...BH, age: 12, heightCm: 90, weightKg: 10, impedance: { z50: 200 } })).toEqual(["AGE_UNDER_18", "Z100_COPIED", "BODYFAT_CLAMPED"]);
  });
});

test("segments only for bia-8 (§2.6)", () => {
  expect(ok(B8).segments).toBeDefined();
  for (const input of [BH, HT, WB, BODYFAT]) expect("segments" in ok(input)).toBe(false);
  expect(Object.keys(ok(B8).segments!)).toEqual(Object.keys(SEGMENTS));
});
