// Small hand-built graphs shared by the pass tests (not a test file itself).
import type { Graph } from '../../../compiler/ir/graph.ts';
import { GraphBuilder } from '../../helpers/graph-builder.ts';
import { PASSES, runPass } from '../../../compiler/passes/registry.ts';
import type { PipelineState } from '../../../compiler/passes/pass.ts';
import type { Arith } from '../../../compiler/quant/multiplier.ts';

/**
 * x [1,5,5,2] -> conv2d 3x3 stride 2 same (4 out, per-channel, no bias, relu6) -> a [1,3,3,4]
 *   -> depthwise 3x3 stride 1 same (mult 1, bias) -> b [1,3,3,4]
 *   -> add(a, b) -> c [1,3,3,4] -> avgpool 3x3 valid -> d [1,1,1,4] -> reshape -> e [1,4]
 *   -> fully_connected (3 out) -> f [1,3] -> softmax -> y [1,3]
 */
export function smallNet(): Graph {
  const b = new GraphBuilder('small');
  const x = b.act('x', [1, 5, 5, 2], 0.5, -1);
  const w0 = b.constant('w0', [4, 3, 3, 2], Int8Array.from({ length: 72 }, (_, i) => (i * 7) % 255 - 127), [0.25, 0.025, 0.125, 0.5], 0);
  const a = b.act('a', [1, 3, 3, 4], 0.125, 3);
  b.op({ kind: 'conv2d', name: 'conv', inputs: [x, w0, -1], outputs: [a], stride: [2, 2], dilation: [1, 1], padding: 'same', activation: 'relu6' });
  const w1 = b.constant('w1', [1, 3, 3, 4], Int8Array.from({ length: 36 }, (_, i) => i - 18), [0.5]);
  const b1 = b.constant('b1', [4], Int32Array.from([10, -20, 30, -40]), [0.0625]);
  const bb = b.act('b', [1, 3, 3, 4], 0.25, 0);
  b.op({ kind: 'depthwise_conv2d', name: 'dw', inputs: [a, w1, b1], outputs: [bb], stride: [1, 1], dilation: [1, 1], padding: 'same', depthMultiplier: 1, activation: 'none' });
  const c = b.act('c', [1, 3, 3, 4], 0.5, -2);
  b.op({ kind: 'add', name: 'res', inputs: [a, bb], outputs: [c], activation: 'relu' });
  const d = b.act('d', [1, 1, 1, 4], 0.5, -2);
  b.op({ kind: 'average_pool2d', name: 'pool', inputs: [c], outputs: [d], filter: [3, 3], stride: [1, 1], padding: 'valid', activation: 'none' });
  const e = b.act('e', [1, 4], 0.5, -2);
  b.op({ kind: 'reshape', name: 'flat', inputs: [d], outputs: [e] });
  const w2 = b.constant('w2', [3, 4], Int8Array.from([1, 2, 3, 4, -1, -2, -3, -4, 5, 0, 5, 0]), [0.25]);
  const f = b.act('f', [1, 3], 0.0625, 1);
  b.op({ kind: 'fully_connected', name: 'fc', inputs: [e, w2, -1], outputs: [f], activation: 'none', keepNumDims: false });
  const y = b.act('y', [1, 3], 1 / 256, -128);
  b.op({ kind: 'softmax', name: 'prob', inputs: [f], outputs: [y], beta: 1 });
  return b.io([x], [y]);
}


/** The pipeline state right after pass `name` (all earlier passes run with default options). */
export function stateAfter(graph: Graph, name: string, arith: Arith = 'tflm', overrides: Record<string, Record<string, boolean | number | string>> = {}): PipelineState {
  let state: PipelineState = { graph, arith };
  for (const p of PASSES) {
    state = runPass(p, state, overrides[p.name]);
    if (p.name === name) return state;
  }
  throw new Error(`no pass ${name}`);
}

/** The state right before pass `name`. */
export function stateBefore(graph: Graph, name: string, arith: Arith = 'tflm'): PipelineState {
  const i = PASSES.findIndex((p) => p.name === name);
  if (i <= 0) return { graph, arith };
  return stateAfter(graph, PASSES[i - 1].name, arith);
}
