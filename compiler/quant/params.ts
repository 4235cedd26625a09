// Per-op quantisation parameters, computed from the graph IR exactly as TFLite / TFLite Micro compute them
// in their kernels' Prepare step. This is the host's one home of that computation: the pass pipeline
// (kernel IR) and the golden runtime both call these functions, so the two can never disagree.
//
//   conv-like ops   (TRANSPOSE_CONV included) PopulateConvolutionQuantizationParams: per output channel,
//                   QuantizeMultiplier(double(inScale) * double(wScale[c]) / double(outScale));
//                   per-tensor weight scales are broadcast to every channel.
//   ADD             left shift 20 (15 for int16), inputs rescaled to twice the larger input scale,
//                   QuantizeMultiplierSmallerThanOneExp for all three multipliers.
//   SUB             as ADD; TFLite Micro computes the real multipliers in float32, desktop TFLite in double
//                   and negates the second (it runs its ADD kernel).
//   MUL             QuantizeMultiplier(s1 * s2 / sOut), any magnitude: in double (TFLite Micro) or in
//                   float32 (desktop TFLite).
//   SQUARED_DIFF.   left shift 7, input multipliers as ADD's, output (2 max s)^2 / (2^14 sOut)
//                   (QuantizeMultiplier in TFLite Micro; desktop TFLite requires it below one).
//   MAXIMUM/MINIMUM nothing: raw int8 compare.
//   SOFTMAX (int8)  PreprocessSoftmaxScaling(beta, inScale, kScaledDiffIntegerBits = 5) and
//                   diff_min = -CalculateInputRadius(5, left_shift).
//   MEAN / SUM      see reduceQuantParams: TFLite Micro's integer QuantizedMeanOrSum (multiplier of
//                   inScale / outScale, divided by the element count for MEAN); desktop TFLite's int8
//                   spatial MEAN (multiplier of inScale / (n * outScale) in float32, bias from the zero
//                   points) and its float32 QuantizedMeanOrSum.
//   SVDF            effective scales (in * wFeature) / state and (state * wTime) / out in float32, QuantizeMultiplier.
//   clamps          CalculateActivationRangeQuantized (graph.ts activationRange).
// Which ops round once in the tflite arithmetic (ungrouped CONV_2D and FULLY_CONNECTED) is decided by
// `singleRounding`; pass its answer as the `arith` of convQuantParams ('tflite' = single-rounding build).
// Scales in the graph IR are the float32 values of the model, held as doubles, so `double(x)` is x.

import { TinyforgeError } from '../diagnostics.ts';
import {
  activationRange,
  type AddOp,
  type AddConv2dOp,
  type Conv2dOp,
  type DepthwiseConv2dOp,
  type FullyConnectedOp,
  type Graph,
  type Op,
  type Pool2dOp,
  type ReduceOp,
  type ShiftConv2dOp,
  type SoftmaxOp,
  type SvdfOp,
  type Tensor,
  type TransposeConvOp,
} from '../ir/graph.ts';
import { opLabel, opTensor } from '../ir/lookup.ts';
import type { QM, Requant } from '../kernel-ir/types.ts';
import { quantizeMultiplier, type Arith, type QuantizedMultiplier } from './multiplier.ts';

export interface ConvQuantParams { inputOffset: number; outputOffset: number; requant: Requant; actMin: number; actMax: number }
export interface AddQuantParams {
  input1Offset: number; input2Offset: number; outputOffset: number; leftShift: number;
  input1Q: QM; input2Q: QM; outputQ: QM; actMin: number; actMax: number;
  /** int16 ADD / SUB on desktop TFLite's power-of-two path (int16PotShifts): the right shifts of input 1 and
   *  2 (one of them 0); offsets, left shift and multipliers are then 0. */
  pot?: [number, number];
}
export interface SoftmaxQuantParams { inputMultiplier: number; inputLeftShift: number; diffMin: number; outputOffset: number }

export type ConvLikeOp = Conv2dOp | DepthwiseConv2dOp | FullyConnectedOp | ShiftConv2dOp | AddConv2dOp | TransposeConvOp;

/** Per-tensor (scale, zeroPoint) of an activation; an error naming the op when it is not quantised. */
function actQuant(g: Graph, op: Op, t: Tensor, role: string): { scale: number; zeroPoint: number } {
  const q = t.quant;
  if (!q || q.scale.length === 0) {
    throw new TinyforgeError(`${op.kind}: ${role} tensor '${t.name}' has no quantisation parameters`, { op: opLabel(g, op) },
      'int8 models need a scale and zero point on every activation');
  }
  if (q.scale.length !== 1) {
    throw new TinyforgeError(`${op.kind}: ${role} tensor '${t.name}' is per-axis quantised`, { op: opLabel(g, op) },
      'activations must be quantised per tensor');
  }
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] ?? 0 };
}

/** Number of output channels of a conv-like op, read from its weights as TFLite does. */
export function convOutChannels(op: ConvLikeOp, w: Tensor): number {
  return op.kind === 'depthwise_conv2d' ? w.shape[3] : w.shape[0];
}

/**
 * Whether TFLite requantises `op` with single rounding in arithmetic `arith`: only desktop TFLite
 * (tflite) does, and only for FULLY_CONNECTED and ungrouped CONV_2D (its grouped convolutions take the
 * reference path, which rounds twice, as TFLite Micro everywhere).
 */
export function singleRounding(g: Graph, op: Op, arith: Arith): boolean {
  if (arith !== 'tflite') return false;
  if (op.kind === 'fully_connected') return true;
  if (op.kind !== 'conv2d') return false;
  const x = opTensor(g, op, op.inputs[0], 'input');
  const w = opTensor(g, op, op.inputs[1], 'weight');
  return x.shape[3] === w.shape[3];
}

/** Requantisation for CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and the shift/add convolutions. */
export function convQuantParams(g: Graph, op: ConvLikeOp, arith: Arith): ConvQuantParams {
  const x = opTensor(g, op, op.inputs[0], 'input');
  const w = opTensor(g, op, op.inputs[1], 'weight');
  const y = opTensor(g, op, op.outputs[0], 'output');
  const xq = actQuant(g, op, x, 'input');
  const yq = actQuant(g, op, y, 'output');
  const wScales = w.quant?.scale ?? [];
  const channels = convOutChannels(op, w);
  if (wScales.length !== 1 && wScales.length !== channels) {
    throw new TinyforgeError(`${op.kind}: weight tensor '${w.name}' has ${wScales.length} scales for ${channels} output channels`,
      { op: opLabel(g, op) }, 'weights need one scale, or one per output channel');
  }
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const wScale = wScales.length === 1 ? wScales[0] : wScales[c];
    const effective = xq.scale * wScale / yq.scale;
    const m = quantizeMultiplier(effective, arith === 'tflite');
    if (m.shift > 31) {
      throw new TinyforgeError(`${op.kind}: input scale x weight scale / output scale = ${effective} (channel ${c}) is too large`, { op: opLabel(g, op) },
        'the int8 kernels take requantisation multipliers below 2^31; check the scales of the input, weights and output');
    }
    multiplier[c] = m.multiplier;
    shift[c] = m.shift;
  }
  const [actMin, actMax] = activationRange(op.activation, yq.scale, yq.zeroPoint, y.dtype);
  return { inputOffset: -xq.zeroPoint, outputOffset: yq.zeroPoint, requant: { multiplier, shift }, actMin, actMax };
}

/** TFLite's QuantizeMultiplierSmallerThanOneExp: 0 < real < 1, shift <= 0. */
function quantizeSmallerThanOne(g: Graph, op: Op, real: number, what: string): QM {
  if (!(real > 0 && real < 1)) {
    throw new TinyforgeError(`${op.kind}: ${what} multiplier ${real} is outside (0, 1)`, { op: opLabel(g, op) },
      'check the scales of the inputs and the output');
  }
  const m = quantizeMultiplier(real);
  // Below 2^-32 the multiplier flushes to zero (TFLite then silently drops the term); the kernels here take
  // normalised multipliers only, so such scales are refused.
  if (m.multiplier === 0) {
    throw new TinyforgeError(`${op.kind}: ${what} multiplier ${real} is too small (below 2^-32; it would flush to zero)`, { op: opLabel(g, op) },
      'check the scales of the inputs and the output');
  }
  return { multiplier: m.multiplier, shift: m.shift };
}

/** TFLite's CheckedLog2 in float32: log(x) / log(2) rounded (half away from zero), and whether it lies
 *  within 1e-3 of that integer. */
export function checkedLog2(x: number): { log2: number; pot: boolean } {
  const f = Math.fround;
  const l = f(f(Math.log(x)) * f(1 / f(Math.log(2))));
  const r = Math.sign(l) * Math.round(Math.abs(l));
  return { log2: r, pot: Math.abs(f(l - r)) < f(1e-3) };
}

/**
 * Desktop TFLite's power-of-two int16 ADD / SUB (lite/kernels/add.cc, sub.cc): taken in the `tflite`
 * arithmetic when all three tensors are int16 with zero point 0, the op's `pot_scale_int16` is not false and
 * CheckedLog2 finds every scale a power of two. Its Prepare then wants input shifts log2(s_in) - log2(s_out)
 * <= 0 with at least one of them 0, and its kernels (Add / Sub16 over flat arrays) do not broadcast.
 * Returns the two right shifts, or undefined for the general path (always in `tflm`: TFLite Micro has none).
 */
export function int16PotShifts(g: Graph, op: AddOp | (Op & { kind: 'sub'; potScaleInt16?: boolean }), arith: Arith): [number, number] | undefined {
  if (arith !== 'tflite' || op.potScaleInt16 === false) return undefined;
  const a = opTensor(g, op, op.inputs[0], 'first input');
  const b = opTensor(g, op, op.inputs[1], 'second input');
  const y = opTensor(g, op, op.outputs[0], 'output');
  if (a.dtype !== 'int16' || b.dtype !== 'int16' || y.dtype !== 'int16') return undefined;
  const qs = [actQuant(g, op, a, 'first input'), actQuant(g, op, b, 'second input'), actQuant(g, op, y, 'output')];
  if (qs.some((q) => q.zeroPoint !== 0)) return undefined;
  const l = qs.map((q) => checkedLog2(q.scale));
  if (!l.every((x) => x.pot)) return undefined;
  const shifts: [number, number] = [l[2]!.log2 - l[0]!.log2, l[2]!.log2 - l[1]!.log2];
  const name = op.kind.toUpperCase();
  const hint = 'desktop TFLite refuses this model; give one input the output\'s scale and the other a scale at most the output\'s, or set pot_scale_int16 = false (or compile with --arith tflm)';
  const scales = `scales 2^${l[0]!.log2}, 2^${l[1]!.log2} -> 2^${l[2]!.log2}`;
  if (shifts[0] !== 0 && shifts[1] !== 0) throw new TinyforgeError(`${op.kind}: int16 power-of-two ${name} with both inputs needing a shift (${scales})`, { op: opLabel(g, op) }, hint);
  if (shifts[0] < 0 || shifts[1] < 0) throw new TinyforgeError(`${op.kind}: int16 power-of-two ${name} with an input scale above the output's (${scales})`, { op: opLabel(g, op) }, hint);
  if (shifts[0] > 31 || shifts[1] > 31) throw new TinyforgeError(`${op.kind}: int16 power-of-two ${name} with a shift above 31 (${scales})`, { op: opLabel(g, op) }, 'TFLite\'s RoundingDivideByPOT takes exponents up to 31');
  const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  if (!sameShape) {
    throw new TinyforgeError(`${op.kind}: int16 power-of-two ${name} with broadcasting ([${a.shape}] and [${b.shape}])`, { op: opLabel(g, op) },
      'desktop TFLite\'s power-of-two int16 kernel reads both inputs as flat arrays of the output\'s size; give them one shape, or set pot_scale_int16 = false');
  }
  return shifts;
}

/** The parameters of the power-of-two path: the shifts and the clamp, everything else 0. */
function potParams(g: Graph, op: AddOp | (Op & { kind: 'sub'; activation: AddOp['activation'] }), pot: [number, number]): AddQuantParams {
  const y = opTensor(g, op, op.outputs[0], 'output');
  const yq = actQuant(g, op, y, 'output');
  const [actMin, actMax] = activationRange(op.activation, yq.scale, yq.zeroPoint, y.dtype);
  const z = { multiplier: 0, shift: 0 };
  return { input1Offset: 0, input2Offset: 0, outputOffset: 0, leftShift: 0, input1Q: { ...z }, input2Q: { ...z }, outputQ: { ...z }, actMin, actMax, pot };
}

/** TFLite's quantised ADD (int8: left shift 20; int16: 15; int16 in `tflite`, maybe the power-of-two path). */
export function addQuantParams(g: Graph, op: AddOp, arith: Arith = 'tflm'): AddQuantParams {
  const pot = int16PotShifts(g, op, arith);
  if (pot) return potParams(g, op, pot);
  const a = opTensor(g, op, op.inputs[0], 'first input');
  const b = opTensor(g, op, op.inputs[1], 'second input');
  const y = opTensor(g, op, op.outputs[0], 'output');
  const aq = actQuant(g, op, a, 'first input');
  const bq = actQuant(g, op, b, 'second input');
  const yq = actQuant(g, op, y, 'output');
  const leftShift = y.dtype === 'int16' ? 15 : 20;
  const twiceMaxInputScale = 2 * Math.max(aq.scale, bq.scale);
  const input1Q = quantizeSmallerThanOne(g, op, aq.scale / twiceMaxInputScale, 'first input');
  const input2Q = quantizeSmallerThanOne(g, op, bq.scale / twiceMaxInputScale, 'second input');
  const outputQ = quantizeSmallerThanOne(g, op, twiceMaxInputScale / (2 ** leftShift * yq.scale), 'output');
  const [actMin, actMax] = activationRange(op.activation, yq.scale, yq.zeroPoint, y.dtype);
  return {
    input1Offset: -aq.zeroPoint, input2Offset: -bq.zeroPoint, outputOffset: yq.zeroPoint, leftShift,
    input1Q, input2Q, outputQ, actMin, actMax,
  };
}

/** kScaledDiffIntegerBits of TFLite's int8 softmax. */
export const SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5;

/** TFLite's CalculateInputRadius(input_integer_bits, input_left_shift, total_signed_bits = 31). */
export function calculateInputRadius(inputIntegerBits: number, inputLeftShift: number, totalSignedBits = 31): number {
  const maxInputRescaled = ((2 ** inputIntegerBits) - 1) * 2 ** (totalSignedBits - inputIntegerBits) / 2 ** inputLeftShift;
  return Math.floor(maxInputRescaled);
}

/**
 * TFLite's int8 SOFTMAX preparation. `arith` only changes the cap on the real multiplier (2^31 - 1, or
 * 2^30 - 1 in single-rounding builds), which is reached only when beta * inputScale > 32 (resp. 16).
 */
export function softmaxQuantParams(g: Graph, op: SoftmaxOp, arith: Arith = 'tflm'): SoftmaxQuantParams {
  const x = opTensor(g, op, op.inputs[0], 'input');
  const y = opTensor(g, op, op.outputs[0], 'output');
  const xq = actQuant(g, op, x, 'input');
  const yq = actQuant(g, op, y, 'output');
  const bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS;
  const maxReal = arith === 'tflite' ? 2 ** 30 - 1 : 2 ** 31 - 1;
  const real = Math.min(op.beta * xq.scale * 2 ** (31 - bits), maxReal);
  // QuantizeMultiplierGreaterThanOne: real > 1 and a non-negative shift.
  if (!(real > 1)) {
    throw new TinyforgeError(`softmax: beta * input scale = ${op.beta * xq.scale} is too small (multiplier ${real} <= 1)`,
      { op: opLabel(g, op) }, `beta * input scale must exceed 2^-${31 - bits}`);
  }
  const m = quantizeMultiplier(real, arith === 'tflite');
  const diffMin = 0 - calculateInputRadius(bits, m.shift); // never -0
  return { inputMultiplier: m.multiplier, inputLeftShift: m.shift, diffMin, outputOffset: yq.zeroPoint };
}

/** AVERAGE_POOL_2D / MAX_POOL_2D: only the fused-activation clamp. */
export function poolQuantParams(g: Graph, op: Pool2dOp): { actMin: number; actMax: number } {
  const y = opTensor(g, op, op.outputs[0], 'output');
  const yq = actQuant(g, op, y, 'output');
  const [actMin, actMax] = activationRange(op.activation, yq.scale, yq.zeroPoint, y.dtype);
  return { actMin, actMax };
}

// ---- Element-wise binary ops (SUB, MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM) ------------------------------

/** The integers of an element-wise binary kernel. Fields an op does not use are 0 (and its clamp int8). */
export interface BinaryQuantParams extends AddQuantParams {}

type BinaryArithOp = Op & { kind: 'sub' | 'mul' | 'squared_difference' | 'maximum' | 'minimum' };

function binaryTensors(g: Graph, op: Op) {
  const a = opTensor(g, op, op.inputs[0], 'first input');
  const b = opTensor(g, op, op.inputs[1], 'second input');
  const y = opTensor(g, op, op.outputs[0], 'output');
  return { a, b, y, aq: actQuant(g, op, a, 'first input'), bq: actQuant(g, op, b, 'second input'), yq: actQuant(g, op, y, 'output') };
}

const NEUTRAL: QM = { multiplier: 0, shift: 0 };

/**
 * SUB (int8, left shift 20) as each runtime prepares it:
 *   tflite: desktop TFLite computes the three real multipliers in double (as ADD) and negates the second
 *           input's multiplier, then runs its ADD kernel (scaled1 + scaled2 with the negated multiplier);
 *           the negative multiplier below is that kernel's input (SRDHM rounds a product's exact half up,
 *           so -SRDHM(x, m) and SRDHM(x, -m) can differ by one).
 *   tflm:   TFLite Micro computes twice_max_input_scale and all three real multipliers in float32 before
 *           widening to double, and subtracts scaled2 (positive multiplier).
 */
export function subQuantParams(g: Graph, op: Op & { kind: 'sub'; activation: AddOp['activation']; potScaleInt16?: boolean }, arith: Arith): BinaryQuantParams {
  const pot = int16PotShifts(g, op, arith);
  if (pot) return potParams(g, op, pot);
  const { y, aq, bq, yq } = binaryTensors(g, op);
  const leftShift = y.dtype === 'int16' ? 15 : 20;
  let r1: number, r2: number, ro: number;
  if (arith === 'tflm') {
    const f = Math.fround;
    const twice = f(2 * f(Math.max(aq.scale, bq.scale)));
    r1 = f(aq.scale / twice);
    r2 = f(bq.scale / twice);
    ro = f(twice / f(2 ** leftShift * yq.scale));
  } else {
    const twice = 2 * Math.max(aq.scale, bq.scale);
    r1 = aq.scale / twice;
    r2 = bq.scale / twice;
    ro = twice / (2 ** leftShift * yq.scale);
  }
  const input1Q = quantizeSmallerThanOne(g, op, r1, 'first input');
  const input2Q = quantizeSmallerThanOne(g, op, r2, 'second input');
  const outputQ = quantizeSmallerThanOne(g, op, ro, 'output');
  if (arith === 'tflite') input2Q.multiplier = -input2Q.multiplier;
  const [actMin, actMax] = activationRange(op.activation, yq.scale, yq.zeroPoint, y.dtype);
  return { input1Offset: -aq.zeroPoint, input2Offset: -bq.zeroPoint, outputOffset: yq.zeroPoint, leftShift, input1Q, input2Q, outputQ, actMin, actMax };
}

/**
 * MUL (int8): one multiplier s1 * s2 / sOut, quantised with QuantizeMultiplier (any magnitude). TFLite Micro
 * computes the real multiplier in double (each scale widened first); desktop TFLite multiplies and divides
 * the float32 scales in float32 and widens the result (measured against its interpreter: it matches where
 * the two differ).
 */
export function mulQuantParams(g: Graph, op: Op & { kind: 'mul'; activation: AddOp['activation'] }, arith: Arith): BinaryQuantParams {
  const { y, aq, bq, yq } = binaryTensors(g, op);
  const f = Math.fround;
  const real = arith === 'tflite' ? f(f(aq.scale * bq.scale) / yq.scale) : aq.scale * bq.scale / yq.scale;
  const m = quantizeMultiplier(real);
  const [actMin, actMax] = activationRange(op.activation, yq.scale, yq.zeroPoint, y.dtype);
  return {
    input1Offset: -aq.zeroPoint, input2Offset: -bq.zeroPoint, outputOffset: yq.zeroPoint, leftShift: 0,
    input1Q: { ...NEUTRAL }, input2Q: { ...NEUTRAL }, outputQ: { multiplier: m.multiplier, shift: m.shift }, actMin, actMax,
  };
}

/**
 * SQUARED_DIFFERENCE (int8): left shift 7, input multipliers as ADD's (double), output multiplier
 * (2 max(s1, s2))^2 / (2^14 sOut). TFLite Micro quantises it with QuantizeMultiplier (any magnitude); desktop
 * TFLite with QuantizeMultiplierSmallerThanOneExp, which fails for a real multiplier >= 1 (the same integers
 * otherwise). No fused activation: the clamp is the int8 range.
 */
export function squaredDifferenceQuantParams(g: Graph, op: Op & { kind: 'squared_difference' }, arith: Arith): BinaryQuantParams {
  const { aq, bq, yq } = binaryTensors(g, op);
  const leftShift = 7;
  const twice = 2 * Math.max(aq.scale, bq.scale);
  const input1Q = quantizeSmallerThanOne(g, op, aq.scale / twice, 'first input');
  const input2Q = quantizeSmallerThanOne(g, op, bq.scale / twice, 'second input');
  const real = (twice * twice) / Math.fround(2 ** (2 * leftShift) * yq.scale);
  const outputQ = arith === 'tflite' ? quantizeSmallerThanOne(g, op, real, 'output') : (({ multiplier, shift }) => ({ multiplier, shift }))(quantizeMultiplier(real));
  return {
    input1Offset: -aq.zeroPoint, input2Offset: -bq.zeroPoint, outputOffset: yq.zeroPoint, leftShift, input1Q, input2Q, outputQ,
    actMin: -128, actMax: 127,
  };
}

/** MAXIMUM / MINIMUM (int8): TFLite compares the raw int8 values; no parameters (the clamp is the int8 range). */
export function minMaxQuantParams(g: Graph, op: Op & { kind: 'maximum' | 'minimum' }): BinaryQuantParams {
  binaryTensors(g, op);
  return {
    input1Offset: 0, input2Offset: 0, outputOffset: 0, leftShift: 0,
    input1Q: { ...NEUTRAL }, input2Q: { ...NEUTRAL }, outputQ: { ...NEUTRAL }, actMin: -128, actMax: 127,
  };
}

/** The parameters of any element-wise binary op in arithmetic `arith`. */
export function binaryQuantParams(g: Graph, op: BinaryArithOp | AddOp, arith: Arith): BinaryQuantParams {
  switch (op.kind) {
    case 'add': return addQuantParams(g, op, arith);
    case 'sub': return subQuantParams(g, op as never, arith);
    case 'mul': return mulQuantParams(g, op as never, arith);
    case 'squared_difference': return squaredDifferenceQuantParams(g, op as never, arith);
    case 'maximum': case 'minimum': return minMaxQuantParams(g, op as never);
  }
}

/** Reduction axes as TFLite resolves them: negative ones counted from the end, repeats dropped (sorted). */
export function resolveAxes(axes: readonly number[], rank: number): number[] {
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

export interface ReduceQuantParams {
  /**
   * integer: TFLite Micro's QuantizedMeanOrSum (both arithmetics would agree on it); out =
   *          MultiplyByQuantizedMultiplier(sum - inZp * count, multiplier, shift) + outZp, clamped;
   * spatial: desktop TFLite's optimised int8 MEAN over H, W of a 4-D tensor with keep_dims: out =
   *          MultiplyByQuantizedMultiplier(raw sum, multiplier, shift) + bias, clamped;
   * float:   desktop TFLite's optimised QuantizedMeanOrSum in float32: MEAN rounds (sum / count) * fscale
   *          + fbias and clamps; SUM rounds sum * fscale + fbias and wraps to int8 without clamping;
   * plain:   desktop TFLite's MEAN when input and output quantisation are equal (outside the spatial
   *          case): the int32 sum divided by count, truncating (reference_ops::Mean).
   */
  method: 'integer' | 'spatial' | 'float' | 'plain';
  /** Input elements per output element. */
  count: number;
  /** -input zero point, output zero point. */
  inputOffset: number;
  outputOffset: number;
  multiplier: number;
  shift: number;
  /** spatial: the int32 added after the multiply (output zero point minus the rounded rescaled input zero point). */
  bias: number;
  /** float: float32 scale and bias. */
  fscale: number;
  fbias: number;
}

/** Is this MEAN the 4-D keep_dims reduction over axes exactly (1, 2) that desktop TFLite special-cases? */
export function isSpatialMean(op: ReduceOp, rank: number): boolean {
  const a = op.axes;
  return op.kind === 'mean' && op.keepDims && rank === 4 && a.length === 2 && ((a[0] === 1 && a[1] === 2) || (a[0] === 2 && a[1] === 1));
}

/** Quantisation of MEAN / SUM in arithmetic `arith` (see ReduceQuantParams for the three methods). */
export function reduceQuantParams(g: Graph, op: ReduceOp, arith: Arith): ReduceQuantParams {
  const x = opTensor(g, op, op.inputs[0], 'input');
  const y = opTensor(g, op, op.outputs[0], 'output');
  const xq = actQuant(g, op, x, 'input');
  const yq = actQuant(g, op, y, 'output');
  const axes = resolveAxes(op.axes, x.shape.length);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const base = { count, inputOffset: -xq.zeroPoint, outputOffset: yq.zeroPoint, multiplier: 0, shift: 0, bias: 0, fscale: 0, fbias: 0 };
  const f = Math.fround;
  if (arith === 'tflite' && isSpatialMean(op, x.shape.length)) {
    // optimized_integer_ops::Mean: everything before QuantizeMultiplier is float32 arithmetic.
    const n = f(x.shape[1]! * x.shape[2]!);
    let temp = f(f(xq.zeroPoint * xq.scale) / yq.scale);
    temp = temp > 0 ? f(temp + 0.5) : f(temp - 0.5);
    const m = quantizeMultiplier(f(xq.scale / f(n * yq.scale)));
    return { ...base, method: 'spatial', multiplier: m.multiplier, shift: m.shift, bias: yq.zeroPoint - Math.trunc(temp) };
  }
  if (arith === 'tflite' && op.kind === 'mean' && xq.scale === yq.scale && xq.zeroPoint === yq.zeroPoint) {
    // reference_ops::Mean: an integer mean of the raw values, no requantisation (measured by the oracle suite).
    return { ...base, method: 'plain' };
  }
  if (arith === 'tflite') {
    // optimized_ops::QuantizedMeanOrSum: scale = inScale / outScale and the bias in float32.
    const scale = f(xq.scale / yq.scale);
    const fbias = op.kind === 'sum' ? f(f(-xq.zeroPoint * scale) * f(count)) : f(-xq.zeroPoint * scale);
    return { ...base, method: 'float', fscale: scale, fbias };
  }
  // reference_ops::QuantizedMeanOrSum (TFLite Micro): MEAN folds 1 / count into the multiplier.
  const m = quantizeMultiplier(xq.scale / yq.scale);
  let { multiplier, shift } = m;
  if (op.kind === 'mean') {
    let s = Math.floor(Math.log2(count));
    while (2 ** (s + 1) <= count) s++;
    while (2 ** s > count) s--;
    s = Math.min(s, 32, 31 + shift);
    multiplier = Number((BigInt(multiplier) << BigInt(s)) / BigInt(count));
    shift -= s;
  }
  return { ...base, method: 'integer', multiplier, shift };
}

/** SVDF's two multipliers (QuantizeMultiplier of float32 products, see svdfQuantParams) and zero points. */
export interface SvdfQuantParams {
  feature: QuantizedMultiplier;
  output: QuantizedMultiplier;
  inputZp: number;
  stateZp: number;
  outputZp: number;
}

/**
 * SVDF (integer): TFLite Micro's PrepareSvdf and desktop TFLite's Prepare compute both effective scales in
 * float32 from the float32 tensor scales, (in * weightsFeature) / state and (state * weightsTime) / out, then
 * QuantizeMultiplier. The same in both arithmetics.
 */
export function svdfQuantParams(g: Graph, op: SvdfOp): SvdfQuantParams {
  const s = (slot: number) => g.tensors[slot === 5 ? op.outputs[0]! : op.inputs[slot]!]!.quant!;
  const f = Math.fround;
  const [x, wf, wt, st, y] = [s(0), s(1), s(2), s(4), s(5)];
  return {
    feature: quantizeMultiplier(f(f(x.scale[0]! * wf.scale[0]!) / st.scale[0]!)),
    output: quantizeMultiplier(f(f(st.scale[0]! * wt.scale[0]!) / y.scale[0]!)),
    inputZp: x.zeroPoint[0]!, stateZp: st.zeroPoint[0]!, outputZp: y.zeroPoint[0]!,
  };
}
