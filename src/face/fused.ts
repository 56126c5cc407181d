/**
 * Faster forward passes for two of face-api's nets, with the same weights and the same results
 * (to float rounding): the graphs face-api builds run every convolution as separate kernels
 * (conv2d, then add bias, batch norm or scale, then clip/relu), each one more pass over large
 * feature maps. Here the batch norm and scale layers are folded into the convolution weights
 * once, at load, and each layer is one fused kernel (XNNPACK conv + bias + relu/relu6).
 *  - SSD MobileNet v1 (the detector, 512 × 512): depthwise conv + batch norm + relu6, and
 *    pointwise conv + offset + relu6, become one fused kernel each.
 *  - The ResNet descriptor (150 × 150): conv + bias + scale + relu becomes one fused kernel.
 * Also two of the WASM backend's kernels that are written in JS and slow for the shapes face-api
 * gives them are replaced (fastKernels): Slice (every face is cut out of the frame with it) and
 * Concat along the channel axis (face-api's normalize()).
 * The structure follows face-api 1.7.15's src/ssdMobilenetv1 and src/faceRecognitionNet.
 * test/face/fused.test.ts checks boxes and descriptors against face-api's own passes.
 */
import * as tf from "@tensorflow/tfjs";
import * as faceapi from "@vladmandic/face-api/dist/face-api.node-wasm.js";

type T1 = tf.Tensor1D;
type T4 = tf.Tensor4D;
type NetInput = { toBatchTensor(size: number, centre: boolean): T4 };
type Net = { params: unknown; forwardInput(input: NetInput): unknown };

// ---- SSD MobileNet v1 ---------------------------------------------------------------------

interface PointwiseParams { filters: T4; batch_norm_offset: T1 }
interface DepthwiseParams { filters: T4; batch_norm_scale: T1; batch_norm_offset: T1; batch_norm_mean: T1; batch_norm_variance: T1 }
interface ConvParams { filters: T4; bias: T1 }
interface SsdParams {
  mobilenetv1: Record<string, PointwiseParams | { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams }>;
  prediction_layer: Record<string, PointwiseParams | { box_encoding_predictor: ConvParams; class_predictor: ConvParams }>;
  output_layer: { extra_dim: tf.Tensor3D };
}
/** A depthwise layer with its batch norm folded in. */
interface FoldedDepthwise { filters: T4; bias: T1 }

const BN_EPSILON = 0.0010000000474974513; // face-api's mobileNetV1.ts

function foldDepthwise(p: DepthwiseParams): FoldedDepthwise {
  return tf.tidy(() => {
    // batchNorm(y) = (y - mean) * scale / sqrt(var + eps) + offset = y * s + (offset - mean * s)
    const s = tf.mul(p.batch_norm_scale, tf.rsqrt(tf.add(p.batch_norm_variance, BN_EPSILON))) as T1;
    const channels = s.shape[0];
    return {
      filters: tf.mul(p.filters, tf.reshape(s, [1, 1, channels, 1])) as T4,
      bias: tf.sub(p.batch_norm_offset, tf.mul(p.batch_norm_mean, s)) as T1,
    };
  });
}

const pointwise = (x: T4, p: PointwiseParams, stride: 1 | 2): T4 =>
  tf.fused.conv2d({ x, filter: p.filters, strides: stride, pad: "same", bias: p.batch_norm_offset, activation: "relu6" });
const depthwise = (x: T4, p: FoldedDepthwise, stride: 1 | 2): T4 =>
  tf.fused.depthwiseConv2d({ x, filter: p.filters, strides: stride, pad: "same", bias: p.bias, activation: "relu6" });
const convBias = (x: T4, p: ConvParams): T4 => tf.fused.conv2d({ x, filter: p.filters, strides: 1, pad: "same", bias: p.bias });

/** face-api's ssdMobilenetv1/outputLayer.ts, unchanged. */
function outputLayer(boxPredictions: T4, classPredictions: T4, extraDim: tf.Tensor3D) {
  return tf.tidy(() => {
    const batchSize = boxPredictions.shape[0];
    const x0 = tf.reshape(tf.tile(extraDim, [batchSize, 1, 1]), [-1, 4]);
    const x1 = tf.reshape(boxPredictions, [-1, 4]);
    const v0 = tf.unstack(tf.transpose(x0, [1, 0]));
    const sizes = [tf.sub(v0[2]!, v0[0]!), tf.sub(v0[3]!, v0[1]!)];
    const centers = [tf.add(v0[0]!, tf.div(sizes[0]!, 2)), tf.add(v0[1]!, tf.div(sizes[1]!, 2))];
    const v = tf.unstack(tf.transpose(x1, [1, 0]));
    const div0 = tf.div(tf.mul(tf.exp(tf.div(v[2]!, 5)), sizes[0]!), 2);
    const add0 = tf.add(tf.mul(tf.div(v[0]!, 10), sizes[0]!), centers[0]!);
    const div1 = tf.div(tf.mul(tf.exp(tf.div(v[3]!, 5)), sizes[1]!), 2);
    const add1 = tf.add(tf.mul(tf.div(v[1]!, 10), sizes[1]!), centers[1]!);
    let boxes: tf.Tensor = tf.transpose(tf.stack([tf.sub(add0, div0), tf.sub(add1, div1), tf.add(add0, div0), tf.add(add1, div1)]), [1, 0]);
    boxes = tf.reshape(boxes, [batchSize, boxes.shape[0]! / batchSize, 4]);
    const scoresAndClasses = tf.sigmoid(tf.slice(classPredictions, [0, 0, 1], [-1, -1, -1]));
    let scores: tf.Tensor = tf.slice(scoresAndClasses, [0, 0, 0], [-1, -1, 1]);
    scores = tf.reshape(scores, [batchSize, scores.shape[1]!]);
    return { boxes: tf.unstack(boxes) as tf.Tensor2D[], scores: tf.unstack(scores) as T1[] };
  });
}

function fusedSsd(params: SsdParams): (input: NetInput) => unknown {
  const m = params.mobilenetv1;
  const pairs = Array.from({ length: 13 }, (_, i) => {
    const p = m[`conv_${i + 1}`] as { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams };
    return { dw: foldDepthwise(p.depthwise_conv), pw: p.pointwise_conv, stride: ([2, 4, 6, 12].includes(i + 1) ? 2 : 1) as 1 | 2 };
  });
  const pl = params.prediction_layer as Record<string, PointwiseParams>;
  const predictors = Array.from({ length: 6 }, (_, i) => params.prediction_layer[`box_predictor_${i}`] as { box_encoding_predictor: ConvParams; class_predictor: ConvParams });
  return (input) =>
    tf.tidy(() => {
      const batch = tf.cast(input.toBatchTensor(512, false), "float32");
      let out = pointwise(tf.sub(tf.div(batch, 127.5), 1) as T4, m.conv_0 as PointwiseParams, 2);
      let conv11 = out;
      pairs.forEach((p, i) => {
        out = pointwise(depthwise(out, p.dw, p.stride), p.pw, 1);
        if (i + 1 === 11) conv11 = out;
      });
      const c0 = pointwise(out, pl.conv_0!, 1);
      const c1 = pointwise(c0, pl.conv_1!, 2);
      const c3 = pointwise(pointwise(c1, pl.conv_2!, 1), pl.conv_3!, 2);
      const c5 = pointwise(pointwise(c3, pl.conv_4!, 1), pl.conv_5!, 2);
      const c7 = pointwise(pointwise(c5, pl.conv_6!, 1), pl.conv_7!, 2);
      const preds = [conv11, out, c1, c3, c5, c7].map((x, i) => {
        const p = predictors[i]!;
        const n = x.shape[0];
        return {
          box: tf.reshape(convBias(x, p.box_encoding_predictor), [n, -1, 1, 4]),
          cls: tf.reshape(convBias(x, p.class_predictor), [n, -1, 3]),
        };
      });
      const boxPredictions = tf.concat(preds.map((p) => p.box), 1) as T4;
      const classPredictions = tf.concat(preds.map((p) => p.cls), 1) as unknown as T4;
      return outputLayer(boxPredictions, classPredictions, params.output_layer.extra_dim);
    });
}

// ---- ResNet descriptor ----------------------------------------------------------------------

interface ConvLayerParams { conv: ConvParams; scale: { weights: T1; biases: T1 } }
interface ResidualParams { conv1: ConvLayerParams; conv2: ConvLayerParams }
type FoldedConv = { filters: T4; bias: T1 };

function foldScale(p: ConvLayerParams): FoldedConv {
  // (conv(x, F) + b) * w + c = conv(x, F * w) + (b * w + c), w per output channel
  return tf.tidy(() => ({
    filters: tf.mul(p.conv.filters, p.scale.weights) as T4,
    bias: tf.add(tf.mul(p.conv.bias, p.scale.weights), p.scale.biases) as T1,
  }));
}

const MEAN_RGB = [122.782, 117.001, 104.298]; // face-api's FaceRecognitionNet.ts

function fusedResnet(params: Record<string, ResidualParams | ConvLayerParams | tf.Tensor2D>): (input: NetInput) => unknown {
  const fold = (name: string) => {
    const p = params[name] as ResidualParams;
    return { conv1: foldScale(p.conv1), conv2: foldScale(p.conv2) };
  };
  const down = foldScale(params.conv32_down as ConvLayerParams);
  const layers: Array<[string, boolean]> = [
    ["conv32_1", false], ["conv32_2", false], ["conv32_3", false],
    ["conv64_down", true], ["conv64_1", false], ["conv64_2", false], ["conv64_3", false],
    ["conv128_down", true], ["conv128_1", false], ["conv128_2", false],
    ["conv256_down", true], ["conv256_1", false], ["conv256_2", false], ["conv256_down_out", true],
  ];
  const folded = layers.map(([name, isDown]) => ({ ...fold(name), isDown }));
  const fc = params.fc as tf.Tensor2D;
  const conv = (x: T4, p: FoldedConv, stride: 1 | 2, relu: boolean, pad: "same" | "valid" = "same"): T4 =>
    tf.fused.conv2d({ x, filter: p.filters, strides: stride, pad, bias: p.bias, activation: relu ? "relu" : "linear" });
  return (input) =>
    tf.tidy(() => {
      const batch = tf.cast(input.toBatchTensor(150, true), "float32");
      const normalized = tf.div(faceapi.normalize(batch as never, MEAN_RGB) as unknown as T4, 255) as T4;
      let out = conv(normalized, down, 2, true, "valid");
      out = tf.maxPool(out, 3, 2, "valid");
      for (const l of folded) {
        if (!l.isDown) {
          out = tf.relu(tf.add(conv(conv(out, l.conv1, 1, true), l.conv2, 1, false), out));
          continue;
        }
        // face-api's residualDown: the shortcut is a 2 × 2 average pool, zero-padded to the new width
        let r = conv(conv(out, l.conv1, 2, true, "valid"), l.conv2, 1, false);
        let pooled = tf.avgPool(out, 2, 2, "valid") as T4;
        if (pooled.shape[1] !== r.shape[1] || pooled.shape[2] !== r.shape[2]) {
          r = tf.concat([r, tf.zeros([r.shape[0], 1, r.shape[2], r.shape[3]])], 1) as T4;
          r = tf.concat([r, tf.zeros([r.shape[0], r.shape[1], 1, r.shape[3]])], 2) as T4;
        }
        if (pooled.shape[3] !== r.shape[3]) pooled = tf.concat([pooled, tf.zeros(pooled.shape)], 3) as T4;
        out = tf.relu(tf.add(pooled, r));
      }
      return tf.matMul(tf.mean(out, [1, 2]) as tf.Tensor2D, fc);
    });
}

// ---- Slice and Concat ---------------------------------------------------------------------

type KernelArgs<I, A> = { inputs: I; attrs: A; backend: WasmBackend };
type SliceArgs = KernelArgs<{ x: tf.TensorInfo }, { begin: number | number[]; size: number | number[] }>;
type ConcatArgs = KernelArgs<tf.TensorInfo[], { axis: number | number[] }>;
type WasmBackend = {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** a view of the tensor in the WASM heap (readSync() copies the whole tensor) */
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
};
type KernelFunc<A> = (a: A) => tf.TensorInfo;

/**
 * A rank-3 slice over whole pixels (all channels), i.e. a rectangle cut out of an image: copied
 * row by row from the heap. The stock kernel copies the whole input out of the heap first
 * (readSync) and then one pixel at a time.
 */
function slice(fallback: KernelFunc<SliceArgs>): KernelFunc<SliceArgs> {
  return (args) => {
    const { x } = args.inputs;
    const { begin, size } = args.attrs;
    if (x.shape.length !== 3 || (x.dtype !== "float32" && x.dtype !== "int32") || !Array.isArray(begin) || !Array.isArray(size)) return fallback(args);
    const [h, w, c] = x.shape as [number, number, number];
    const [b0, b1, b2] = begin as [number, number, number];
    let [s0, s1, s2] = size as [number, number, number];
    if (s0 === -1) s0 = h - b0;
    if (s1 === -1) s1 = w - b1;
    if (s2 === -1) s2 = c - b2;
    if (b2 !== 0 || s2 !== c || b0 < 0 || b1 < 0 || s0 < 0 || s1 < 0 || b0 + s0 > h || b1 + s1 > w) return fallback(args);
    const { backend } = args;
    const out = backend.makeOutput([s0, s1, c], x.dtype);
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const row = s1 * c;
    for (let y = 0; y < s0; y++) {
      const from = ((b0 + y) * w + b1) * c;
      dst.set(src.subarray(from, from + row), y * row);
    }
    return out;
  };
}

/**
 * Concatenation along the last axis of a few thin tensors (face-api's normalize() builds its
 * mean image from three 1-channel tensors): the stock kernel makes one subarray per pixel and
 * input; this copies values in a plain loop.
 */
function concat(fallback: KernelFunc<ConcatArgs>): KernelFunc<ConcatArgs> {
  return (args) => {
    const inputs = args.inputs;
    const first = inputs[0];
    if (!first || (first.dtype !== "float32" && first.dtype !== "int32")) return fallback(args);
    const rank = first.shape.length;
    const axisAttr = Array.isArray(args.attrs.axis) ? args.attrs.axis[0]! : args.attrs.axis;
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    if (axis !== rank - 1 || inputs.some((t) => t.dtype !== first.dtype || t.shape.length !== rank || t.shape[axis]! > 8 || t.shape.some((d, i) => i !== axis && d !== first.shape[i]))) return fallback(args);
    const { backend } = args;
    const widths = inputs.map((t) => t.shape[axis]!);
    const total = widths.reduce((a, b) => a + b, 0);
    const out = backend.makeOutput([...first.shape.slice(0, axis), total], first.dtype);
    const dst = backend.typedArrayFromHeap(out);
    const rows = dst.length / total;
    let col = 0;
    inputs.forEach((t, k) => {
      const src = backend.typedArrayFromHeap(t);
      const w = widths[k]!;
      for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) dst[r * total + col + j] = src[r * w + j]!;
      col += w;
    });
    return out;
  };
}

const originals = new Map<string, tf.KernelConfig>();
/** Puts faster kernels in place of the WASM backend's (on) or the originals back (off). */
function fastKernels(on: boolean): void {
  const replacements: Record<string, (f: never) => unknown> = { Slice: slice, Concat: concat };
  for (const [name, make] of Object.entries(replacements)) {
    const current = tf.getKernel(name, "wasm");
    if (!current) continue;
    if (!originals.has(name)) originals.set(name, current);
    const original = originals.get(name)!;
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(on ? { ...original, kernelFunc: make(original.kernelFunc as never) as tf.KernelFunc } : original);
  }
}

// ---- switch -------------------------------------------------------------------------------

const fast = new Map<Net, Net["forwardInput"]>();
let fusedOn = false;

/**
 * Turns the fused passes on (the default, after the models are loaded) or off (face-api's own
 * passes: the bench's "stock" side and the equivalence test). Needs the models loaded.
 */
export function setFused(on: boolean): void {
  const nets: Array<[Net, (p: never) => (i: NetInput) => unknown]> = [
    [faceapi.nets.ssdMobilenetv1 as unknown as Net, fusedSsd as never],
    [faceapi.nets.faceRecognitionNet as unknown as Net, fusedResnet as never],
  ];
  if (on === fusedOn) return;
  fastKernels(on);
  for (const [net, make] of nets) {
    if (on && !fast.has(net)) fast.set(net, make(net.params as never));
    if (on) net.forwardInput = fast.get(net)!;
    else delete (net as Partial<Net>).forwardInput; // the class's own method again
  }
  fusedOn = on;
}

export const fusedEnabled = (): boolean => fusedOn;
