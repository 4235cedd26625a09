// Fast fully connected for Cortex-M4: a fully connected layer is a 1x1 convolution over `batches` pixels,
// so it is emitted by the conv generator (conv-fast.ts) on that geometry: int16 widening prepass of the
// input rows, int16 weights in consumption order, analytic register blocking (with one pixel, the blocking
// model holds the input words and streams up to 8 output channels' weights), the 4-instruction
// requantisation, and a looped reduction for long input vectors.

import type { KConv2d, KFullyConnected, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { emitConvFast, planConv } from './conv-fast.ts';
import type { FastResult } from './fast-kernel.ts';

export function fcAsConv(op: KFullyConnected): KConv2d {
  return {
    index: op.index, sourceOp: op.sourceOp, name: op.name, inputs: op.inputs, output: op.output, macs: op.macs, schedule: op.schedule,
    kind: 'conv2d', batches: 1, inH: 1, inW: op.batches, inC: op.inDepth, outH: 1, outW: op.batches, outC: op.outDepth,
    kH: 1, kW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
    inputOffset: op.inputOffset, outputOffset: op.outputOffset, requant: op.requant, rounding: op.rounding, actMin: op.actMin, actMax: op.actMax,
    groups: 1, weights: op.weights, bias: op.bias,
  };
}

export function fcFastApplies(op: KFullyConnected): string | undefined {
  const p = planConv(fcAsConv(op));
  return 'reason' in p ? p.reason : undefined;
}

export function emitFcFast(op: KFullyConnected, m: Pick<KernelModule, 'consts'>, opts: { fn?: string } = {}): FastResult {
  return emitConvFast(fcAsConv(op), m, { fn: opts.fn ?? `tf_fc_${op.index}` });
}
