// count-macs: the theoretical multiply-accumulate count of every kernel op, from its geometry alone
// (what energy scales with on the MCU, per research.md). Add convolution counts one |x - w| accumulate
// as one MAC; data movement and element-wise ops (reshape, pooling, add, softmax) count 0.

import { assertNever } from '../diagnostics.ts';
import type { KernelOp } from '../kernel-ir/types.ts';
import { definePass, requireModule } from './pass.ts';

export function macsOf(op: KernelOp): number {
  switch (op.kind) {
    case 'conv16x8': return op.transpose ? op.batches * op.inH * op.inW * op.inC * op.kH * op.kW * op.outC : op.batches * op.outH * op.outW * op.outC * op.kH * op.kW * (op.inC / op.groups);
    case 'leaky_relu16': return 0;
    case 'lstm': return op.batches * op.steps * (op.gates.filter(Boolean).length * op.nCell * (op.nInput + op.nOutput) + (op.projection ? op.nCell * op.nOutput : 0));
    case 'sigmoid16': return 0;
    case 'softmax16': return 0;
    case 'svdf': return op.batches * op.filters * (op.inputSize + op.memory);
    case 'conv2d': return op.batches * op.outH * op.outW * op.outC * op.kH * op.kW * (op.inC / op.groups);
    case 'depthwise_conv2d': return op.batches * op.outH * op.outW * op.outC * op.kH * op.kW;
    case 'shift_conv2d': return op.batches * op.outH * op.outW * op.outC * op.inC;
    case 'add_conv2d': return op.batches * op.outH * op.outW * op.outC * op.kH * op.kW * op.inC;
    case 'fully_connected': return op.batches * op.inDepth * op.outDepth;
    case 'transpose_conv': return op.batches * op.inH * op.inW * op.inC * op.kH * op.kW * op.outC;
    case 'add': case 'average_pool2d': case 'max_pool2d': case 'reshape': case 'softmax': case 'lut': case 'prelu':
    case 'copy': case 'resize_nearest': case 'binary': case 'reduce': case 'resize_bilinear': case 'quantize': case 'dequantize':
      return 0;
    default: return assertNever(op, 'kernel op kind');
  }
}

export const countMacs = definePass({
  name: 'count-macs',
  summary: 'multiply-accumulates per kernel op',
  stage: 'kernel',
  options: {},
  run(state) {
    const m = requireModule(state, 'count-macs');
    m.ops = m.ops.map((op) => ({ ...op, macs: macsOf(op) }));
    return state;
  },
});
