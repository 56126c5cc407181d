/**
 * §2.3 V1–V13: the common members, in the normative order, and §2.4 algorithm
 * resolution. The family's own gates (V14) live in each family module.
 */
import { completedYears, parseBirthday, utcDate, type CivilDate } from "./age.ts";
import { InputError, isInteger, isNumber, isObject, missing, outOfRange, present, wrongType } from "./errors.ts";
import { FAMILIES, type Family, type Profile } from "./types.ts";

/** 9999-12-31T23:59:59Z (V7). */
export const MAX_MEASURED_AT = 253402300799;

export interface Validated {
  family: Family;
  profile: Profile;
}

function isFamily(s: string): s is Family {
  return (FAMILIES as readonly string[]).includes(s);
}

/** §2.4 steps 2 and 3. */
function resolve(doc: Record<string, unknown>, scaleType: unknown): Family | InputError {
  if (present(scaleType)) {
    const st = scaleType as number;
    if (st === 0) return "ht-4";
    if (st === 90) return "bh-dual-4";
    if (st >= 1 && st <= 6) return "bia-8";
    return new InputError("UNSUPPORTED_SCALE_TYPE", "scaleType", `scaleType ${st} is not supported (0, 1–6, 90)`);
  }
  const z = doc.impedance;
  if (isObject(z)) {
    if (present(z.segments)) return "bia-8";
    if (present(z.z50)) return present(z.z100) ? "bh-dual-4" : "ht-4";
  }
  if (present(doc.bodyfat)) return "bodyfat-only";
  return missing("algorithm");
}

/**
 * V2–V13 on a parsed object (V1 is the caller's). `nowSeconds` is the current
 * time for a birthday without `measuredAt` (§2.2); the core never reads a clock.
 */
export function validateCommon(doc: Record<string, unknown>, nowSeconds: number | undefined): Validated | InputError {
  // V2, V2b
  const algorithm = doc.algorithm;
  if (present(algorithm)) {
    if (typeof algorithm !== "string") return wrongType("algorithm", "a string");
    if (!isFamily(algorithm)) return new InputError("INVALID_VALUE", "algorithm", `algorithm must be one of ${FAMILIES.join(", ")}`);
  }
  // V3
  const scaleType = doc.scaleType;
  if (present(scaleType) && !isInteger(scaleType)) return wrongType("scaleType", "an integer");
  // V4
  const sex = doc.sex;
  if (!present(sex)) return missing("sex");
  if (typeof sex !== "string") return wrongType("sex", "a string");
  if (sex !== "male" && sex !== "female") return new InputError("INVALID_VALUE", "sex", `sex must be "male" or "female"`);
  // V5
  const ageIn = doc.age;
  const hasAge = present(ageIn);
  if (hasAge) {
    if (!isInteger(ageIn)) return wrongType("age", "an integer");
    if (ageIn < 6 || ageIn > 99) return outOfRange("age", 6, 99);
  }
  // V6
  const birthdayIn = doc.birthday;
  const hasBirthday = present(birthdayIn);
  let birthday: CivilDate | null = null;
  if (hasBirthday) {
    if (typeof birthdayIn !== "string") return wrongType("birthday", "a string");
    birthday = parseBirthday(birthdayIn);
    if (!birthday) return new InputError("INVALID_VALUE", "birthday", "birthday must be a real date YYYY-MM-DD");
  }
  // V7
  const measuredAt = doc.measuredAt;
  const hasMeasuredAt = present(measuredAt);
  if (hasMeasuredAt) {
    if (!isInteger(measuredAt)) return wrongType("measuredAt", "an integer (Unix seconds)");
    if (measuredAt < 0 || measuredAt > MAX_MEASURED_AT) return outOfRange("measuredAt", 0, MAX_MEASURED_AT);
  }
  // V8, V8b, V8c (§2.5)
  let age: number;
  if (hasAge) age = ageIn as number;
  else {
    if (!birthday) return missing("age");
    const t = hasMeasuredAt ? (measuredAt as number) : nowSeconds;
    if (t === undefined) return new InputError("MISSING_FIELD", "measuredAt", "measuredAt is required to derive the age when no current time is given");
    age = completedYears(birthday, utcDate(t));
    if (age < 0) return new InputError("INVALID_VALUE", "birthday", "birthday is after the measurement date");
    if (age < 6 || age > 99) return new InputError("OUT_OF_RANGE", "birthday", `the age derived from birthday (${age}) must be between 6 and 99`);
  }
  // V9
  const h = doc.heightCm;
  if (!present(h)) return missing("heightCm");
  if (!isNumber(h)) return wrongType("heightCm", "a number");
  if (h < 90 || h > 220) return outOfRange("heightCm", 90, 220);
  // V10
  const w = doc.weightKg;
  if (!present(w)) return missing("weightKg");
  if (!isNumber(w)) return wrongType("weightKg", "a number");
  if (w < 10 || w > 250) return outOfRange("weightKg", 10, 250);
  // V11
  const hr = doc.heartRate;
  let heartRate = 0;
  if (present(hr)) {
    if (!isInteger(hr)) return wrongType("heartRate", "an integer");
    if (hr < 0 || hr > 250) return outOfRange("heartRate", 0, 250);
    heartRate = hr;
  }
  // V12
  const ath = doc.athlete;
  if (present(ath) && typeof ath !== "boolean") return wrongType("athlete", "a boolean");
  // V13 (§2.4 step 1: a named algorithm wins)
  const family = present(algorithm) ? (algorithm as Family) : resolve(doc, scaleType);
  if (family instanceof InputError) return family;
  return {
    family,
    profile: { sex, male: sex === "male", age, heightCm: h, weightKg: w, heartRate, athlete: ath === true },
  };
}
