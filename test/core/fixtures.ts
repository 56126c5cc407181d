/** Valid base inputs, one per family, for the core's own tests. */
export const BODYFAT = { algorithm: "bodyfat-only", sex: "male", age: 30, heightCm: 170, weightKg: 70, bodyfat: 20 };
export const BH = { scaleType: 90, sex: "male", age: 30, heightCm: 175, weightKg: 72, impedance: { z50: 500, z100: 470 } };
export const HT = { scaleType: 0, sex: "female", age: 40, heightCm: 165, weightKg: 60, impedance: { z50: 550 } };
export const WB = { algorithm: "standard-wb", sex: "male", age: 30, heightCm: 180, weightKg: 80, impedance: { z50: 527 } };
export const SEGMENTS = {
  rightArm: { z20: 352, z100: 318.5 },
  leftArm: { z20: 360.2, z100: 325.1 },
  trunk: { z20: 24.6, z100: 20.1 },
  rightLeg: { z20: 281.3, z100: 254 },
  leftLeg: { z20: 279.9, z100: 252.7 },
};
export const B8 = { scaleType: 4, sex: "female", age: 31, heightCm: 163, weightKg: 58.4, heartRate: 68, impedance: { segments: SEGMENTS } };

/** A deep copy with `path` (dotted) set to `value`; `undefined` deletes the member. */
export function withField(base: object, path: string, value: unknown): Record<string, unknown> {
  const doc = structuredClone(base) as Record<string, unknown>;
  const keys = path.split(".");
  let o = doc;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return doc;
}
