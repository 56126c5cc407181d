/** §1.2 helper functions. All inputs are doubles. */

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** R1: half away from zero to 1 decimal, exactly `s · floor(|x| · 10 + 0.5) / 10`; −0 becomes 0. */
export function R1(x: number): number {
  return ((x < 0 ? -1 : 1) * Math.floor(Math.abs(x) * 10 + 0.5)) / 10 + 0;
}

/** R2: as R1 with P = 100. */
export function R2(x: number): number {
  return ((x < 0 ? -1 : 1) * Math.floor(Math.abs(x) * 100 + 0.5)) / 100 + 0;
}
