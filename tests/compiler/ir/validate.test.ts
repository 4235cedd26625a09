// The graph validator: shape inference against hand-computed shapes, and each broken rule reported with
// the op's index and kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Tensor } from '../../../compiler/ir/graph.ts';
import { inferShape, validateGraph } from '../../../compiler/ir/validate.ts';
import { TinyforgeError } from '../../../compiler/diagnostics.ts';

const q = { scale: [0.5], zeroPoint: [0] };
const act = (id: number, shape: number[]): Tensor => ({ id, name: `t${id}`, shape, dtype: 'int8', quant: q });
const wts = (id: number, shape: number[]): Tensor => ({
  id, name: `w${id}`, shape, dtype: 'int8', quant: { scale: [Math.fround(0.1)], zeroPoint: [0] }, data: new Int8Array(shape.reduce((a, b) => a * b, 1)),
});

/** x [1,10,9,6] -> conv 3x3 stride 2 same, 6->4 with groups 2 -> [1,5,5,4]. */
function convGraph(outShape = [1, 5, 5, 4]): Graph {
  return {
    name: 'g',
    tensors: [act(0, [1, 10, 9, 6]), wts(1, [4, 3, 3, 3]), { id: 2, name: 'b', shape: [4], dtype: 'int32', data: new Int32Array(4) }, act(3, outShape)],
    ops: [{ kind: 'conv2d', inputs: [0, 1, 2], outputs: [3], stride: [2, 2], dilation: [1, 1], padding: 'same', activation: 'none' }],
    inputs: [0], outputs: [3],
  };
}

function expectError(g: Graph, re: RegExp): void {
  assert.throws(() => validateGraph(g, 'g.yaml'), (e: unknown) => e instanceof TinyforgeError && re.test(e.format()));
}

test('shape inference: conv same/valid, depthwise with multiplier, pool, shift conv', () => {
  const g = convGraph();
  assert.deepEqual(inferShape(g, g.ops[0]!), [1, 5, 5, 4]); // ceil(10/2), ceil(9/2)
  const op = g.ops[0]!;
  if (op.kind === 'conv2d') op.padding = 'valid';
  assert.deepEqual(inferShape(g, op), [1, 4, 4, 4]); // ceil((10-3+1)/2), ceil((9-3+1)/2)
  const dw: Graph = {
    name: 'dw', tensors: [act(0, [1, 7, 7, 3]), wts(1, [1, 5, 5, 6]), act(2, [1, 3, 3, 6])],
    ops: [{ kind: 'depthwise_conv2d', inputs: [0, 1], outputs: [2], stride: [1, 1], dilation: [2, 2], padding: 'valid', depthMultiplier: 2, activation: 'relu' }],
    inputs: [0], outputs: [2],
  };
  // dilation 2: effective kernel 9 > 7, so valid padding leaves nothing
  assert.throws(() => inferShape(dw, dw.ops[0]!), /inferred output shape \[1,-1,-1,6\] is empty/);
  const d = dw.ops[0]!;
  if (d.kind === "depthwise_conv2d") d.padding = "same";
  dw.tensors[2] = act(2, [1, 7, 7, 6]);
  assert.deepEqual(inferShape(dw, d), [1, 7, 7, 6]);
  validateGraph(dw);
  const sp: Graph = {
    name: 'sp', tensors: [act(0, [1, 6, 6, 3]), wts(1, [5, 1, 1, 3]), act(2, [1, 3, 3, 5]), act(3, [1, 2, 2, 3])],
    ops: [
      { kind: 'shift_conv2d', inputs: [0, 1], outputs: [2], shifts: [[0, 1], [-1, 0], [0, 0]], stride: [2, 2], activation: 'none' },
      { kind: 'max_pool2d', inputs: [0], outputs: [3], filter: [3, 3], stride: [2, 2], padding: 'valid', activation: 'none' },
    ],
    inputs: [0], outputs: [2, 3],
  };
  assert.deepEqual(inferShape(sp, sp.ops[0]!), [1, 3, 3, 5]); // 1x1 after shifting, stride 2: ceil(6/2)
  assert.deepEqual(inferShape(sp, sp.ops[1]!), [1, 2, 2, 3]); // (6-3+1)/2
  validateGraph(sp);
  const s0 = sp.ops[0]!;
  if (s0.kind === 'shift_conv2d') s0.shifts.pop();
  expectError(sp, /op 0 \(shift_conv2d\): needs one shift per input channel \(3\), has 2/);
});

test('a wrong declared output shape is caught, naming op index and kind', () => {
  validateGraph(convGraph());
  expectError(convGraph([1, 5, 4, 4]), /^g\.yaml: op 0 \(conv2d\): output 't3' is declared \[1,5,4,4\] but the op computes \[1,5,5,4\]/);
});

test('groups divisibility, bias length, weight zero point, missing quantisation', () => {
  const g1 = convGraph();
  g1.tensors[1] = wts(1, [4, 3, 3, 4]);
  expectError(g1, /op 0 \(conv2d\): input channels 6 must be a multiple of the weights' input channels 4/);
  const g2 = convGraph();
  g2.tensors[1] = wts(1, [3, 3, 3, 2]); // groups 3, outC 3 ok; then 4 -> bad
  g2.tensors[1] = wts(1, [4, 3, 3, 2]);
  expectError(g2, /output channels 4 must be divisible by groups 3/);
  const g3 = convGraph();
  g3.tensors[2] = { id: 2, name: 'b', shape: [5], dtype: 'int32', data: new Int32Array(5) };
  expectError(g3, /bias 'b' must have 4 elements/);
  const g4 = convGraph();
  g4.tensors[1]!.quant = { scale: [0.5], zeroPoint: [3] };
  expectError(g4, /weights 'w1' must have zero point 0/);
  const g5 = convGraph();
  delete g5.tensors[3]!.quant;
  expectError(g5, /output 't3' needs per-tensor quantisation/);
});

test('topological order and unknown tensors', () => {
  const g = convGraph();
  g.inputs = [];
  expectError(g, /op 0 \(conv2d\): reads tensor 0 't0' before any op writes it/);
  const g2 = convGraph();
  g2.ops[0]!.inputs[1] = 9;
  expectError(g2, /op 0 \(conv2d\): input tensor 9 does not exist/);
});
