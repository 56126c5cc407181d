/** The real core as the Yolanda deriver's `Compute` (devices/yolanda/derive.ts, computation-core §8). */
import { expect, test } from "bun:test";
import { compute } from "../../src/core/index.ts";
import { deriverFrom, type Compute, type ProfileSource } from "../../src/devices/yolanda/derive.ts";
import type { MemberProfile } from "../../src/core/members.ts";
import { INDICATORS, normaliseItem, type YolandaItem } from "../../src/devices/yolanda/items.ts";

const NOW = Date.parse("2025-11-06T12:00:00Z");

/** One member's profile, as MembersRepo.profile gives it. */
function db(): ProfileSource {
  const p: MemberProfile = { id: 1, name: "A", nickname: null, phone: null, sex: "male", birthday: "2005-01-15", heightCm: 170, athlete: false, status: "active" };
  return { profile: (id) => (id === 1 ? p : null) };
}

test("compute is directly usable as Compute, and the deriver's input passes the core's gates", () => {
  const core: Compute = compute;
  const seen: unknown[] = [];
  const spy: Compute = (input) => {
    const out = core(input);
    seen.push(out);
    return out;
  };
  // The Yolanda WSP Mini mock: 64.8 kg, HR 82, body fat 19.3 %
  const item = normaliseItem({ user_index: 1, timestamp: 1762429000, weight: 64.8, heart_rate: 82, bodyfat: 19.3 }, NOW, true) as YolandaItem;
  const out = deriverFrom(spy)(item.indicators!, 1, item, db(), "UTC");
  expect(seen).toHaveLength(1);
  expect(seen[0]).toMatchObject({ algorithm: "bodyfat-only", age: 20, bodyfat: 19.3 });
  expect(out.weight).toBe(64.8);
  expect(out.bodyfat).toBe(19.3);
  // The mock's own values (±0.1): the deriver filled them from the core
  expect(out.fat_control as number).toBeCloseTo(-2.78, 1);
  expect(out.standard_weight).toBe(63);
  const derived = out.derived as string[];
  expect(derived).toContain("bmi");
  expect(derived).not.toContain("bodyfat");
  for (const f of derived) expect(INDICATORS).toContain(f as (typeof INDICATORS)[number]);
});

test("a relay heart rate above the core's 250 bpm still gets the missing fields derived (computed without a heart rate)", () => {
  const item = normaliseItem({ user_index: 1, timestamp: 1762429000, weight: 64.8, heart_rate: 280, bodyfat: 19.3 }, NOW, true) as YolandaItem;
  const out = deriverFrom(compute)(item.indicators!, 1, item, db(), "UTC");
  expect(out.derived as string[]).toContain("bmi");
  expect(out.heart_rate).toBe(280); // what the relay sent is kept
  expect(out.cardiac_index).toBe(0); // derived without a heart rate
});
