// Per-op quantisation parameters, computed from the graph IR exactly as TFLite / TFLite Micro compute them
// in their kernels' Prepare step. This is the host's one home of that computation: the pass pipeline
// (kernel IR) and the golden runtime both call these functions, so the two can never disagree.
//
//   conv-like ops   PopulateConvolutionQuantizationParams: per output channel,
//                   QuantizeMultiplier(double(inScale) * double(wScale[c]) / double(outScale));
//                   per-tensor weight scales are broadcast to every channel.
//   ADD             left shift 20 (15 for int16), inputs rescaled to twice the larger input scale,
//                   QuantizeMultiplierSmallerThanOneExp for all three multipliers.
//   SOFTMAX (int8)  PreprocessSoftmaxScaling(beta, inScale, kScaledDiffIntegerBits = 5) and
//                   diff_min = -CalculateInputRadius(5, left_shift).
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
  type ShiftConv2dOp,
  type SoftmaxOp,
  type Tensor,
} from '../ir/graph.ts';
import { opLabel, opTensor } from '../ir/lookup.ts';
import type { QM, Requant } from '../kernel-ir/types.ts';
import { quantizeMultiplier, type Arith } from './multiplier.ts';

export interface ConvQuantParams { inputOffset: number; outputOffset: number; requant: Requant; actMin: number; actMax: number }
export interface AddQuantParams {
  input1Offset: number; input2Offset: number; outputOffset: number; leftShift: number;
  input1Q: QM; input2Q: QM; outputQ: QM; actMin: number; actMax: number;
}
export interface SoftmaxQuantParams { inputMultiplier: number; inputLeftShift: number; diffMin: number; outputOffset: number }

export type ConvLikeOp = Conv2dOp | DepthwiseConv2dOp | FullyConnectedOp | ShiftConv2dOp | AddConv2dOp;

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
  return { multiplier: m.multiplier, shift: m.shift };
}

/** TFLite's quantised ADD (int8: left shift 20; int16: 15). */
export function addQuantParams(g: Graph, op: AddOp): AddQuantParams {
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
