/**
 * The face engine: @vladmandic/face-api on TensorFlow.js with the WASM backend. Runs inside the
 * face worker (worker.ts), never on the main thread. Everything it needs is embedded in the
 * binary with `with { type: "file" }`: the three .wasm files and the model manifests and weights
 * (SSD MobileNet v1 detector, 68-point landmarks, 128-D ResNet descriptor). Nothing is fetched.
 * Once loaded, the detector and the descriptor net run as fused passes (fused.ts): the same
 * weights and results, about a third less time per frame.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
// The node-wasm build uses the @tensorflow/tfjs and tfjs-backend-wasm imported above (no bundled copy).
import * as faceapi from "@vladmandic/face-api/dist/face-api.node-wasm.js";
import wasmPlain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm" with { type: "file" };
import wasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm" with { type: "file" };
import wasmThreaded from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm" with { type: "file" };
import ssdManifest from "@vladmandic/face-api/model/ssd_mobilenetv1_model-weights_manifest.json" with { type: "file" };
import ssdBin from "@vladmandic/face-api/model/ssd_mobilenetv1_model.bin" with { type: "file" };
import landmarkManifest from "@vladmandic/face-api/model/face_landmark_68_model-weights_manifest.json" with { type: "file" };
import landmarkBin from "@vladmandic/face-api/model/face_landmark_68_model.bin" with { type: "file" };
import recognitionManifest from "@vladmandic/face-api/model/face_recognition_model-weights_manifest.json" with { type: "file" };
import recognitionBin from "@vladmandic/face-api/model/face_recognition_model.bin" with { type: "file" };
import { crop, writePng, type Rgba } from "./image.ts";
import { setFused } from "./fused.ts";

/** Detector confidence below which a box is not a face. */
export const MIN_DETECTION_SCORE = 0.4;
/** Faces smaller than this (shorter side of the box, px) are ignored: too few pixels to describe. */
export const MIN_FACE_PX = 40;
export const THUMBNAIL_PX = 96;

export interface FaceResult {
  /** 128 floats */
  descriptor: number[];
  box: { x: number; y: number; width: number; height: number };
  score: number;
  /** How many faces the detector found (the largest is described). */
  faces: number;
  /** A 96 × 96 JPEG of the face (box widened by 20 %). */
  thumbnailJpeg: Uint8Array;
}

async function loadNet(net: { loadFromWeightMap(m: never): void }, manifestFile: unknown, binPath: string) {
  // A JSON file imported `with { type: "file" }` is its path at run time (TypeScript types it as the JSON).
  const manifest = (await Bun.file(manifestFile as string).json()) as { weights: tf.io.WeightsManifestEntry[] }[];
  const specs = manifest.flatMap((g) => g.weights);
  const data = await Bun.file(binPath).arrayBuffer();
  net.loadFromWeightMap(tf.io.decodeWeights(data, specs) as never);
}

let ready: Promise<void> | null = null;

/** Initialises the WASM backend and loads the three nets once (about 1–2 s). */
export function initEngine(): Promise<void> {
  ready ??= (async () => {
    setWasmPaths(
      { "tfjs-backend-wasm.wasm": wasmPlain, "tfjs-backend-wasm-simd.wasm": wasmSimd, "tfjs-backend-wasm-threaded-simd.wasm": wasmThreaded },
      false,
    );
    await tf.setBackend("wasm");
    await tf.ready();
    tf.enableProdMode();
    await loadNet(faceapi.nets.ssdMobilenetv1, ssdManifest, ssdBin);
    await loadNet(faceapi.nets.faceLandmark68Net, landmarkManifest, landmarkBin);
    await loadNet(faceapi.nets.faceRecognitionNet, recognitionManifest, recognitionBin);
    setFused(true);
  })();
  return ready;
}

/**
 * RGBA → an int32 RGB tensor, written straight into the WASM heap in one pass (tf.slice on the
 * WASM backend copies pixel by pixel, and a JS array would be one more 3.7 MB copy).
 */
export function toTensor(img: Rgba): tf.Tensor3D {
  const n = img.width * img.height;
  const backend = tf.backend() as unknown as { makeOutput(shape: number[], dtype: "int32"): tf.TensorInfo; typedArrayFromHeap(t: tf.TensorInfo): Int32Array };
  const info = backend.makeOutput([img.height, img.width, 3], "int32");
  const rgb = backend.typedArrayFromHeap(info);
  const d = img.data;
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 4, k += 3) {
    rgb[k] = d[j]!;
    rgb[k + 1] = d[j + 1]!;
    rgb[k + 2] = d[j + 2]!;
  }
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor3D;
}

const options = () => new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_DETECTION_SCORE, maxResults: 10 });

/** face-api's own pipeline on a decoded image: every face with landmarks and descriptor (what the bench calls "bare"). */
export async function detectAll(img: Rgba) {
  await initEngine();
  const t = toTensor(img);
  try {
    return await faceapi.detectAllFaces(t as never, options()).withFaceLandmarks().withFaceDescriptors();
  } finally {
    t.dispose();
  }
}

/**
 * The largest face of an image, described; null when no usable face. Landmarks and descriptor
 * are computed for that face only (face-api's own chain, given the one detection), not for
 * every face in the frame.
 */
export async function describeLargest(img: Rgba): Promise<FaceResult | null> {
  await initEngine();
  const t = toTensor(img);
  try {
    const detections = await faceapi.detectAllFaces(t as never, options());
    let best: faceapi.FaceDetection | null = null;
    for (const d of detections) {
      const b = d.box;
      if (Math.min(b.width, b.height) < MIN_FACE_PX) continue;
      if (!best || b.area > best.box.area) best = d;
    }
    if (!best) return null;
    const one = Promise.resolve([faceapi.extendWithFaceDetection({}, best)]);
    const [described] = await new faceapi.DetectAllFaceLandmarksTask(one, t as never, false).withFaceDescriptors();
    if (!described) return null;
    const b = best.box;
    return {
      descriptor: Array.from(described.descriptor),
      box: { x: b.x, y: b.y, width: b.width, height: b.height },
      score: best.score,
      faces: detections.length,
      thumbnailJpeg: await thumbnail(img, b),
    };
  } finally {
    t.dispose();
  }
}

/** A square around the face, 20 % wider than the box, scaled to 96 px. */
async function thumbnail(img: Rgba, b: { x: number; y: number; width: number; height: number }): Promise<Uint8Array> {
  const side = Math.max(b.width, b.height) * 1.2;
  const square = crop(img, b.x + b.width / 2 - side / 2, b.y + b.height / 2 - side / 2, side, side);
  return new Bun.Image(writePng(square, 0)).resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: "fill" }).jpeg({ quality: 80 }).bytes();
}
