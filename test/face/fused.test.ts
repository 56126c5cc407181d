/**
 * The fused passes (src/face/fused.ts) against face-api's own: same faces, boxes and descriptors
 * on the real photos, and the two replaced WASM kernels (Slice, Concat) against the originals.
 * Runs the engine on this thread (the server runs it in the worker).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { describeLargest, detectAll, initEngine } from "../../src/face/engine.ts";
import { fusedEnabled, setFused } from "../../src/face/fused.ts";
import { decodeRgba, type Rgba } from "../../src/face/image.ts";
import { allFaces, cameraFrame, distance, photo } from "./photos.ts";

beforeAll(async () => {
  await initEngine();
}, 120_000);
afterAll(() => setFused(true));

/** detectAll with face-api's own passes, then with the fused ones. */
async function both(img: Rgba) {
  setFused(false);
  try {
    const stock = await detectAll(img);
    setFused(true);
    const fused = await detectAll(img);
    return { stock, fused };
  } finally {
    setFused(true);
  }
}

describe("fused passes", () => {
  test("the engine runs them once loaded", () => {
    expect(fusedEnabled()).toBe(true);
  });

  test("same faces, boxes, landmarks and descriptors as face-api's own passes (six photos, five camera frames)", async () => {
    const images: Rgba[] = [];
    for (let n = 1; n <= 6; n++) images.push(await photo(n));
    const faces = await allFaces();
    for (const id of ["s1f0", "s1f2", "s3f1", "s6f2", "s5f1"]) images.push(await decodeRgba(await cameraFrame(faces.find((f) => f.id === id)!)));
    let compared = 0;
    for (const img of images) {
      const { stock, fused } = await both(img);
      expect(fused.length).toBe(stock.length);
      const byX = (a: (typeof stock)[number], b: (typeof stock)[number]) => a.detection.box.x - b.detection.box.x;
      stock.sort(byX);
      fused.sort(byX);
      for (const [i, s] of stock.entries()) {
        const f = fused[i]!;
        for (const k of ["x", "y", "width", "height"] as const) expect(Math.abs(f.detection.box[k] - s.detection.box[k])).toBeLessThan(0.01);
        expect(Math.abs(f.detection.score - s.detection.score)).toBeLessThan(1e-4);
        expect(Math.abs(f.landmarks.positions[30]!.x - s.landmarks.positions[30]!.x)).toBeLessThan(0.01);
        expect(distance(f.descriptor, s.descriptor)).toBeLessThan(1e-4);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(27); // 22 faces in the photos + at least one per frame
  }, 120_000);

  test("describeLargest describes the largest face only, with the descriptor face-api gives it", async () => {
    const img = await photo(1); // three people
    setFused(false);
    const all = await detectAll(img);
    setFused(true);
    const largest = all.reduce((a, b) => (b.detection.box.area > a.detection.box.area ? b : a));
    const r = await describeLargest(img);
    expect(r?.faces).toBe(3);
    expect(r!.box.x).toBeCloseTo(largest.detection.box.x, 2);
    expect(distance(r!.descriptor, largest.descriptor)).toBeLessThan(1e-4);
  }, 60_000);
});

describe("replaced WASM kernels", () => {
  /** Runs f with the original kernels and with the replacements; both results as arrays. */
  function compare(f: () => tf.Tensor): { stock: number[]; fast: number[]; shape: number[] } {
    setFused(false);
    const a = tf.tidy(f);
    setFused(true);
    const b = tf.tidy(f);
    expect(b.shape).toEqual(a.shape);
    expect(b.dtype).toBe(a.dtype);
    const out = { stock: Array.from(a.dataSync()), fast: Array.from(b.dataSync()), shape: b.shape };
    a.dispose();
    b.dispose();
    return out;
  }
  const ramp = (shape: number[], dtype: "int32" | "float32") => tf.tidy(() => tf.reshape(tf.cast(tf.range(0, shape.reduce((x, y) => x * y)), dtype), shape));

  test("Slice: rectangles of an image (also -1 sizes, the edges), other slices unchanged", () => {
    for (const dtype of ["int32", "float32"] as const) {
      const img = ramp([7, 9, 3], dtype);
      const cases: Array<[number[], number[]]> = [
        [[0, 0, 0], [7, 9, 3]],
        [[2, 3, 0], [4, 5, 3]],
        [[6, 8, 0], [1, 1, 3]],
        [[1, 2, 0], [-1, -1, -1]],
        [[1, 2, 1], [3, 3, 2]], // not all channels: the original kernel
      ];
      for (const [begin, size] of cases) {
        const r = compare(() => tf.slice(img, begin, size));
        expect(r.fast).toEqual(r.stock);
      }
      const r4 = compare(() => tf.slice(ramp([1, 5, 4], dtype), [0, 1, 0], [1, 2, 4]));
      expect(r4.fast).toEqual(r4.stock);
      img.dispose();
    }
  });

  test("Concat: thin tensors along the last axis (face-api's normalize), other axes unchanged", () => {
    for (const dtype of ["int32", "float32"] as const) {
      const parts = [ramp([1, 4, 5, 1], dtype), tf.tidy(() => tf.add(ramp([1, 4, 5, 2], dtype), 100)), tf.tidy(() => tf.add(ramp([1, 4, 5, 1], dtype), 1000))];
      const last = compare(() => tf.concat(parts, 3));
      expect(last.fast).toEqual(last.stock);
      expect(last.shape).toEqual([1, 4, 5, 4]);
      const negative = compare(() => tf.concat(parts.map((p) => tf.slice(p, [0, 0, 0, 0], [1, 4, 5, 1])), -1));
      expect(negative.fast).toEqual(negative.stock);
      const rows = compare(() => tf.concat([ramp([2, 3], dtype), ramp([1, 3], dtype)], 0));
      expect(rows.fast).toEqual(rows.stock);
      for (const p of parts) p.dispose();
    }
  });
});
