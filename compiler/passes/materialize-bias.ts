// materialize-bias: give every convolution-like op (conv2d, depthwise, fully connected, shift, add
// convolution, transpose convolution) an int32 bias of one value per output channel, adding an all-zero constant where the
// model has none. Backends can then always add the bias instead of testing for it. Returns a new graph;
// the caller's graph is not modified.

import type { Graph, Op, Tensor } from '../ir/graph.ts';
import { tensorById } from '../ir/lookup.ts';
import { definePass } from './pass.ts';

const CONV_LIKE = new Set<Op['kind']>(['conv2d', 'depthwise_conv2d', 'fully_connected', 'shift_conv2d', 'add_conv2d', 'transpose_conv']);

function outChannels(g: Graph, op: Op): number {
  const w = tensorById(g, op.inputs[1])!;
  return op.kind === 'depthwise_conv2d' ? w.shape[3] : w.shape[0];
}

export const materializeBias = definePass({
  name: 'materialize-bias',
  summary: 'add an all-zero int32 bias to convolution-like ops that have none',
  stage: 'graph',
  options: {},
  run(state) {
    const g = state.graph;
    const tensors: Tensor[] = [...g.tensors];
    let nextId = tensors.reduce((m, t) => Math.max(m, t.id), -1) + 1;
    const ops = g.ops.map((op, i): Op => {
      if (!CONV_LIKE.has(op.kind) || (op.inputs[2] ?? -1) >= 0) return op;
      const channels = outChannels(g, op);
      const id = nextId++;
      // Scale as TFLite defines a bias's: inputScale * weightScale[c] (zero point 0).
      const xScale = tensorById(g, op.inputs[0])?.quant?.scale[0] ?? 0;
      const wScales = tensorById(g, op.inputs[1])?.quant?.scale ?? [0];
      const scale = Array.from({ length: channels }, (_, c) => xScale * (wScales.length === 1 ? wScales[0] : wScales[c]));
      tensors.push({
        id, name: `${op.name ?? `op${i}`}.zero_bias`, shape: [channels], dtype: 'int32',
        quant: { scale, zeroPoint: scale.map(() => 0), ...(channels > 1 ? { axis: 0 } : {}) }, data: new Int32Array(channels),
      });
      return { ...op, inputs: [op.inputs[0], op.inputs[1], id] } as Op;
    });
    return { ...state, graph: { ...g, tensors, ops } };
  },
});
