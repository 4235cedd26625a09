// Quantisation parameters of each graph-IR op, derived from tensor scales and zero points exactly as
// TFLite / TFLite Micro prepare them (kernel_util PopulateConvolutionQuantizationParams, ADD's left shift
// 20, softmax's PreprocessSoftmaxScaling and CalculateInputRadius). The golden runtime and the lowering
// both read them, so the two can never disagree. (Interim version on branch golden; the passes branch
// owns this API.)
import { activationRange, type AddOp, type Conv2dOp, type DepthwiseConv2dOp, type FullyConnectedOp, type Graph,
  type Pool2dOp, type ShiftConv2dOp, type AddConv2dOp, type SoftmaxOp, type Tensor } from '../ir/graph.ts';
import type { QM, Requant } from '../kernel-ir/types.ts';
import { quantizeMultiplier, type Arith } from './multiplier.ts';

export interface ConvQuantParams { inputOffset: number; outputOffset: number; requant: Requant; actMin: number; actMax: number }
export interface AddQuantParams {
  input1Offset: number; input2Offset: number; outputOffset: number; leftShift: number;
  input1Q: QM; input2Q: QM; outputQ: QM; actMin: number; actMax: number;
}
export interface SoftmaxQuantParams { inputMultiplier: number; inputLeftShift: number; diffMin: number; outputOffset: number }

function q(t: Tensor): { scale: number[]; zeroPoint: number[] } {
  if (!t.quant || t.quant.scale.length === 0) throw new Error(`tensor '${t.name}' has no quantisation parameters`);
  return t.quant;
}

export function convQuantParams(g: Graph, op: Conv2dOp | DepthwiseConv2dOp | FullyConnectedOp | ShiftConv2dOp | AddConv2dOp, arith: Arith): ConvQuantParams {
  const x = q(g.tensors[op.inputs[0]]);
  const wT = g.tensors[op.inputs[1]];
  const w = q(wT);
  const yT = g.tensors[op.outputs[0]];
  const y = q(yT);
  const outC = op.kind === 'depthwise_conv2d' ? wT.shape[3] : wT.shape[0];
  const multiplier = new Int32Array(outC);
  const shift = new Int32Array(outC);
  for (let c = 0; c < outC; c++) {
    const ws = w.scale.length === 1 ? w.scale[0] : w.scale[c];
    const m = quantizeMultiplier((x.scale[0] * ws) / y.scale[0], arith === 'tflite');
    multiplier[c] = m.multiplier;
    shift[c] = m.shift;
  }
  const [actMin, actMax] = activationRange(op.activation, y.scale[0], y.zeroPoint[0], yT.dtype);
  return { inputOffset: -x.zeroPoint[0], outputOffset: y.zeroPoint[0], requant: { multiplier, shift }, actMin, actMax };
}

export function addQuantParams(g: Graph, op: AddOp): AddQuantParams {
  const a = q(g.tensors[op.inputs[0]]);
  const b = q(g.tensors[op.inputs[1]]);
  const yT = g.tensors[op.outputs[0]];
  const y = q(yT);
  const leftShift = 20;
  const twiceMax = 2 * Math.max(a.scale[0], b.scale[0]);
  const [actMin, actMax] = activationRange(op.activation, y.scale[0], y.zeroPoint[0], yT.dtype);
  return {
    input1Offset: -a.zeroPoint[0], input2Offset: -b.zeroPoint[0], outputOffset: y.zeroPoint[0], leftShift,
    input1Q: quantizeMultiplier(a.scale[0] / twiceMax),
    input2Q: quantizeMultiplier(b.scale[0] / twiceMax),
    outputQ: quantizeMultiplier(twiceMax / ((1 << leftShift) * y.scale[0])),
    actMin, actMax,
  };
}

export function softmaxQuantParams(g: Graph, op: SoftmaxOp): SoftmaxQuantParams {
  const x = q(g.tensors[op.inputs[0]]);
  const y = q(g.tensors[op.outputs[0]]);
  const scaledDiffIntegerBits = 5;
  const real = Math.min(op.beta * x.scale[0] * 2 ** (31 - scaledDiffIntegerBits), 2 ** 31 - 1);
  const m = quantizeMultiplier(real);
  const radius = Math.floor((((1 << scaledDiffIntegerBits) - 1) * 2 ** (31 - scaledDiffIntegerBits)) / 2 ** m.shift);
  return { inputMultiplier: m.multiplier, inputLeftShift: m.shift, diffMin: -radius, outputOffset: y.zeroPoint[0] };
}

export function poolQuantParams(g: Graph, op: Pool2dOp): { actMin: number; actMax: number } {
  const yT = g.tensors[op.outputs[0]];
  const y = q(yT);
  const [actMin, actMax] = activationRange(op.activation, y.scale[0], y.zeroPoint[0], yT.dtype);
  return { actMin, actMax };
}
