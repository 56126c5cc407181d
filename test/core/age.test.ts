/** core/age.ts ageOn: the one age function bodydock's roles use, on the gym's calendar (issue 14 point 3). */
import { describe, expect, test } from "bun:test";
import { ageOn, civilDateIn, isTimeZone } from "../../src/core/age.ts";

describe("ageOn(birthday, at, timeZone)", () => {
  test("completed years; 29 February counts from 1 March in common years", () => {
    expect(ageOn("1994-02-28", Date.UTC(2025, 1, 27), "UTC")).toBe(30);
    expect(ageOn("1994-02-28", Date.UTC(2025, 1, 28), "UTC")).toBe(31);
    expect(ageOn("2000-02-29", Date.UTC(2025, 1, 28), "UTC")).toBe(24);
    expect(ageOn("2000-02-29", Date.UTC(2025, 2, 1), "UTC")).toBe(25);
    expect(ageOn("2000-02-29", Date.UTC(2024, 1, 29), "UTC")).toBe(24);
  });
  test("the date is the gym's: the same instant is a birthday in Shanghai and not yet in New York", () => {
    const at = Date.UTC(2025, 10, 6, 20); // 7 Nov 04:00 in Shanghai, 6 Nov 15:00 in New York
    expect(ageOn("2000-11-07", at, "Asia/Shanghai")).toBe(25);
    expect(ageOn("2000-11-07", at, "America/New_York")).toBe(24);
    expect(ageOn("2000-11-07", at, "UTC")).toBe(24);
    expect(civilDateIn(at, "Asia/Shanghai")).toEqual({ y: 2025, m: 11, d: 7 });
    expect(civilDateIn(Date.UTC(2025, 10, 6, 3), "America/Los_Angeles")).toEqual({ y: 2025, m: 11, d: 5 });
  });
  test("not a real date: null; born after the date: negative", () => {
    expect(ageOn("2001-02-29", Date.UTC(2025, 0, 1), "UTC")).toBeNull();
    expect(ageOn("1990-6-1", Date.UTC(2025, 0, 1), "UTC")).toBeNull();
    expect(ageOn("2030-01-01", Date.UTC(2025, 0, 1), "UTC")).toBeLessThan(0);
  });
  test("time zones this runtime knows", () => {
    expect(isTimeZone("Europe/London")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(() => ageOn("2000-01-01", 0, "Mars/Olympus_Mons")).toThrow(RangeError);
  });
});
