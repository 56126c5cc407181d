/**
 * Real photos for the face tests: the six demo photos shipped in @vladmandic/face-api (22 faces).
 * Crops and transformations are generated here with Bun.Image and the PNG helpers; nothing is
 * committed as a binary fixture.
 */
import { crop, decodeRgba, writePng, type Rgba } from "../../src/face/image.ts";
import { detectAll } from "../../src/face/engine.ts";

export const SAMPLE_DIR = `${import.meta.dir}/../../node_modules/@vladmandic/face-api/demo`;

export interface Face {
  /** "s<photo>f<index>", faces ordered left to right */
  id: string;
  photo: number;
  box: { x: number; y: number; width: number; height: number };
  descriptor: Float32Array;
}

const decoded = new Map<number, Rgba>();
export async function photo(n: number): Promise<Rgba> {
  let img = decoded.get(n);
  if (!img) {
    img = await decodeRgba(await Bun.file(`${SAMPLE_DIR}/sample${n}.jpg`).bytes());
    decoded.set(n, img);
  }
  return img;
}

export async function photoBytes(n: number): Promise<Uint8Array> {
  return Bun.file(`${SAMPLE_DIR}/sample${n}.jpg`).bytes();
}

let faces: Promise<Face[]> | null = null;
/** All 22 faces of the six photos, with the descriptor face-api gives them in the full photo. */
export function allFaces(): Promise<Face[]> {
  faces ??= (async () => {
    const out: Face[] = [];
    for (let n = 1; n <= 6; n++) {
      const found = (await detectAll(await photo(n))).sort((a, b) => a.detection.box.x - b.detection.box.x);
      found.forEach((f, i) => {
        const b = f.detection.box;
        out.push({ id: `s${n}f${i}`, photo: n, box: { x: b.x, y: b.y, width: b.width, height: b.height }, descriptor: f.descriptor });
      });
    }
    return out;
  })();
  return faces;
}

export type Transform = "crop" | "mirror" | "dark" | "small" | "jpeg-low";

/**
 * A crop around one face (twice the box, clamped to the photo) as PNG bytes,
 * then transformed with Bun.Image: mirrored, darkened to 70 %, scaled to 60 %, re-encoded as a
 * quality-40 JPEG.
 */
export async function faceImage(face: Face, transform: Transform = "crop"): Promise<Uint8Array> {
  const img = await photo(face.photo);
  const side = Math.max(face.box.width, face.box.height) * 2;
  const cx = face.box.x + face.box.width / 2, cy = face.box.y + face.box.height / 2;
  const png = writePng(crop(img, cx - side / 2, cy - side / 2, side, side * 1.1));
  const i = new Bun.Image(png);
  switch (transform) {
    case "mirror": return i.flop().png().bytes();
    case "dark": return i.modulate({ brightness: 0.7 }).png().bytes();
    case "small": return i.resize(Math.round(side * 0.6)).png().bytes();
    case "jpeg-low": return i.jpeg({ quality: 40 }).bytes();
    default: return png;
  }
}

/** A 640 × 480 JPEG with one face in it, as an XONE camera would send. */
export async function cameraFrame(face: Face): Promise<Uint8Array> {
  const img = await photo(face.photo);
  const w = Math.min(img.width, Math.max(face.box.width * 4, 400));
  const h = (w * 3) / 4;
  const png = writePng(crop(img, face.box.x + face.box.width / 2 - w / 2, face.box.y + face.box.height / 2 - h / 2, w, h));
  return new Bun.Image(png).resize(640, 480, { fit: "fill" }).jpeg({ quality: 85 }).bytes();
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i]! - b[i]!; s += d * d; }
  return Math.sqrt(s);
}

export const dataUrl = (bytes: Uint8Array, type = "image/png") => `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;
