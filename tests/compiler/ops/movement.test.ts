// The data-movement operators on small hand-computed cases (expected bytes written out by hand from
// TFLite's documented semantics), through both the golden runtime and the kernel IR read literally;
// STRIDED_SLICE's offset option (which the oracle's TFLite predates); the importer's handling of
// parameter tensors (RESHAPE with a -1 shape tensor, a disagreeing one, PADV2's constant); the rules'
// errors (differing quantisation, fused activation, bad axes); multi-output lowering in the kernel IR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder } from 'flatbuffers';
import { importTflite } from '../../../compiler/frontend/tflite/import.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot, TensorType } from '../../../compiler/frontend/tflite/schema.ts';
import type { Graph, Op, Quant } from '../../../compiler/ir/graph.ts';
import { validateGraph } from '../../../compiler/ir/validate.ts';
import { printKernelModule } from '../../../compiler/kernel-ir/printer.ts';
import { runPipeline } from '../../../compiler/passes/registry.ts';
import { GoldenRuntime } from '../../../runtime-wasm/host.ts';
import { buildTflite } from '../../helpers/tflite-builder.ts';
import { evaluate } from '../../mcu-backend/helpers/kmodule.ts';

const golden = await GoldenRuntime.load();
const Q: Quant = { scale: [0.5], zeroPoint: [5] };

/** A one-op graph: input tensors of the given shapes, outputs of the given shapes, all quantised Q. */
function oneOp(ins: number[][], outs: number[][], attrs: Record<string, unknown> & { kind: Op['kind'] }, q: Quant[] = []): Graph {
  const tensors = [...ins, ...outs].map((shape, id) => ({ id, name: `t${id}`, shape, dtype: 'int8' as const, quant: q[id] ?? Q }));
  const inputs = ins.map((_, i) => i), outputs = outs.map((_, i) => ins.length + i);
  return { name: `hand_${attrs.kind}`, tensors, ops: [{ ...attrs, name: attrs.kind, inputs, outputs } as Op], inputs, outputs };
}

const iota = (n: number, from = 0) => Int8Array.from({ length: n }, (_, i) => from + i);

/** Golden runtime and the lowered kernel IR both give `want` for every output. */
function check(g: Graph, inputs: Int8Array[], want: number[][]): void {
  validateGraph(g);
  const got = golden.run(g, inputs, { arith: 'tflm' }).outputs;
  assert.deepEqual(got.map((x) => Array.from(x)), want, `${g.name}: golden runtime`);
  const m = runPipeline(g, { arith: 'tflm' });
  const all = new Int8Array(inputs.reduce((s, x) => s + x.length, 0));
  let at = 0;
  for (const x of inputs) { all.set(x, at); at += x.length; }
  const perOp = evaluate(m, all);
  const byBuffer = new Map(m.ops.map((op, i) => [op.output, perOp[i]!]));
  assert.deepEqual(m.outputs.map((b) => Array.from(byBuffer.get(b)!)), want, `${g.name}: kernel IR`);
}

test('PAD fills with the output zero point, PADV2 with its constant', () => {
  // [2,2] = [[0,1],[2,3]], one row before, two columns after
  const p = [[1, 0], [0, 2]];
  check(oneOp([[2, 2]], [[3, 4]], { kind: 'pad', paddings: p }), [iota(4)], [[5, 5, 5, 5, 0, 1, 5, 5, 2, 3, 5, 5]]);
  check(oneOp([[2, 2]], [[3, 4]], { kind: 'pad_v2', paddings: p, value: -7 }), [iota(4)], [[-7, -7, -7, -7, 0, 1, -7, -7, 2, 3, -7, -7]]);
});

test('TRANSPOSE, SLICE, CONCATENATION, PACK by hand', () => {
  // [2,3] = [[0,1,2],[3,4,5]] transposed
  check(oneOp([[2, 3]], [[3, 2]], { kind: 'transpose', perm: [1, 0] }), [iota(6)], [[0, 3, 1, 4, 2, 5]]);
  // [3,4] rows 1..2, columns 1..end
  check(oneOp([[3, 4]], [[2, 3]], { kind: 'slice', begin: [1, 1], size: [2, -1] }), [iota(12)], [[5, 6, 7, 9, 10, 11]]);
  // [2,1] ++ [2,2] along axis -1
  check(oneOp([[2, 1], [2, 2]], [[2, 3]], { kind: 'concatenation', axis: -1, activation: 'none' }), [iota(2, 10), iota(4)], [[10, 0, 1, 11, 2, 3]]);
  // two [2] stacked along axis 1
  check(oneOp([[2], [2]], [[2, 2]], { kind: 'pack', axis: 1 }), [iota(2), iota(2, 10)], [[0, 10, 1, 11]]);
});

test('SPLIT, SPLIT_V and UNPACK write every output', () => {
  check(oneOp([[2, 4]], [[2, 2], [2, 2]], { kind: 'split', axis: 1, numSplits: 2 }), [iota(8)], [[0, 1, 4, 5], [2, 3, 6, 7]]);
  check(oneOp([[5]], [[1], [3], [1]], { kind: 'split_v', axis: 0, sizeSplits: [1, -1, 1] }), [iota(5)], [[0], [1, 2, 3], [4]]);
  check(oneOp([[2, 3]], [[2], [2], [2]], { kind: 'unpack', axis: -1 }), [iota(6)], [[0, 3], [1, 4], [2, 5]]);
});

test('STRIDED_SLICE: masks, negative strides, shrink, and the offset option', () => {
  const ss = (over: Record<string, unknown>) => ({
    kind: 'strided_slice' as const, begin: [0], end: [0], strides: [1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false, ...over,
  });
  // x[::-2] of 0..9: 9, 7, 5, 3, 1
  check(oneOp([[10]], [[5]], ss({ begin: [0], end: [0], strides: [-2], beginMask: 1, endMask: 1 })), [iota(10)], [[9, 7, 5, 3, 1]]);
  // x[-3:] (end clamped)
  check(oneOp([[10]], [[3]], ss({ begin: [-3], end: [100] })), [iota(10)], [[7, 8, 9]]);
  // [3,4]: row 1 (shrunk), columns 3 down to 1
  check(oneOp([[3, 4]], [[3]], ss({ begin: [1, 3], end: [2, 0], strides: [1, -1], shrinkAxisMask: 1 })), [iota(12)], [[7, 6, 5]]);
  // offset: end = begin + end: [2, 2 + 3) and, backwards, [8, 8 - 3)
  check(oneOp([[10]], [[3]], ss({ begin: [2], end: [3], offset: true })), [iota(10)], [[2, 3, 4]]);
  check(oneOp([[10]], [[3]], ss({ begin: [8], end: [-3], strides: [-1], offset: true })), [iota(10)], [[8, 7, 6]]);
  // ellipsis then a new axis: [2,3][..., newaxis] -> [2,3,1]
  check(oneOp([[2, 3]], [[2, 3, 1]], ss({ begin: [0, 0], end: [0, 0], strides: [1, 1], ellipsisMask: 1, newAxisMask: 2 })), [iota(6)], [[0, 1, 2, 3, 4, 5]]);
});

test('RESIZE_NEAREST_NEIGHBOR: plain, align_corners, half_pixel_centers (width 3 -> 5)', () => {
  const r = (alignCorners: boolean, halfPixelCenters: boolean) =>
    oneOp([[1, 1, 3, 1]], [[1, 1, 5, 1]], { kind: 'resize_nearest_neighbor', alignCorners, halfPixelCenters, size: [1, 5] });
  // scale 0.6: floor(0, .6, 1.2, 1.8, 2.4)
  check(r(false, false), [iota(3, 10)], [[10, 10, 11, 11, 12]]);
  // scale 0.5: round half away (0, .5, 1, 1.5, 2)
  check(r(true, false), [iota(3, 10)], [[10, 11, 11, 12, 12]]);
  // (x + .5) * .6: floor(.3, .9, 1.5, 2.1, 2.7)
  check(r(false, true), [iota(3, 10)], [[10, 10, 11, 12, 12]]);
});

test('EXPAND_DIMS and SQUEEZE lower to aliasing reshapes', () => {
  const g = oneOp([[2, 1, 3]], [[2, 3]], { kind: 'squeeze', squeezeDims: [-2] });
  check(g, [iota(6)], [Array.from(iota(6))]);
  const m = runPipeline(g, { arith: 'tflm' });
  assert.equal(m.ops[0]!.kind, 'reshape');
  assert.equal(m.buffers[m.ops[0]!.output]!.aliasOf, m.ops[0]!.inputs[0]);
  check(oneOp([[2, 3]], [[2, 3, 1]], { kind: 'expand_dims', axis: -1 }), [iota(6)], [Array.from(iota(6))]);
});

test('a SPLIT lowers to one copy per output: index is the kernel op, sourceOp the graph op', () => {
  const g = oneOp([[1, 6]], [[1, 2], [1, 2], [1, 2]], { kind: 'split', axis: 1, numSplits: 3 });
  const m = runPipeline(g, { arith: 'tflm' });
  assert.deepEqual(m.ops.map((o) => [o.index, o.sourceOp, o.kind, o.name]), [[0, 0, 'copy', 'split:0'], [1, 0, 'copy', 'split:1'], [2, 0, 'copy', 'split:2']]);
  const text = printKernelModule(m);
  assert.match(text, /op 2 copy "split:2" \(%0\) -> %3 \{src=0, macs=0\}\n {6}region 0: shape=\[2\] in=4\+\[1\] out=0\+\[1\]/);
});

test('legalize and validation errors name the op and the rule', () => {
  const other: Quant = { scale: [0.25], zeroPoint: [5] };
  const concat = oneOp([[1, 2], [1, 2]], [[1, 4]], { kind: 'concatenation', axis: 1, activation: 'none' }, [Q, other, Q]);
  assert.throws(() => runPipeline(concat, { arith: 'tflm' }), /concatenation: 't1' is quantised \(scale 0\.25, zero point 5\) unlike 't0'/);
  const relu = oneOp([[1, 2], [1, 2]], [[1, 4]], { kind: 'concatenation', axis: 1, activation: 'relu' });
  assert.throws(() => runPipeline(relu, { arith: 'tflm' }), /fused activation relu/);
  assert.throws(() => validateGraph(oneOp([[2, 3]], [[3, 2]], { kind: 'transpose', perm: [0, 0] })), /perm \[0,0\] is not a permutation/);
  assert.throws(() => validateGraph(oneOp([[2, 4]], [[2, 2]], { kind: 'split', axis: 1, numSplits: 2 })), /splits into 2 parts but has 1 outputs/);
  assert.throws(() => validateGraph(oneOp([[2, 4]], [[2, 4]], { kind: 'pack', axis: 3 })), /axis 3 is out of range for rank 3/);
  assert.throws(() => validateGraph(oneOp([[4, 5]], [[4]], {
    kind: 'strided_slice', begin: [0, 0, 0], end: [1, 1, 1], strides: [1, 1, 1], beginMask: 0, endMask: 0, ellipsisMask: 1, newAxisMask: 0, shrinkAxisMask: 6, offset: false,
  })), /the ellipsis .* stands for no dimension/);
  assert.throws(() => validateGraph(oneOp([[4, 5]], [[5]], {
    kind: 'strided_slice', begin: [1, 0], end: [2, 5], strides: [-1, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 1, offset: false,
  })), /shrinks dimension 0 with stride -1/);
});

// ---- import of parameter tensors ----

const i32 = (v: number[]) => new Uint8Array(Int32Array.from(v).buffer);

function reshapeFile(shapeValues: number[], outShape: number[]): Uint8Array {
  return buildTflite({
    tensors: [
      { name: 'x', shape: [2, 6], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
      { name: 'shape', shape: [shapeValues.length], type: TensorType.INT32, data: i32(shapeValues) },
      { name: 'y', shape: outShape, type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
    ],
    ops: [{ code: BuiltinOperator.RESHAPE, inputs: [0, 1], outputs: [2] }],
    inputs: [0], outputs: [2],
  });
}

test('RESHAPE import: a shape tensor with -1 is resolved and checked against the output; the operand is dropped', () => {
  const g = importTflite(reshapeFile([3, -1], [3, 4]), 'r.tflite');
  assert.deepEqual(g.ops[0]!.inputs, [0]);
  assert.equal(g.tensors.length, 2, 'the shape tensor is not kept');
  assert.throws(() => importTflite(reshapeFile([4, -1], [3, 4]), 'r.tflite'), /new shape \[4,-1\] gives \[4,3\], but the output tensor is \[3,4\]/);
  assert.throws(() => importTflite(reshapeFile([5, -1], [3, 4]), 'r.tflite'), /does not fit the 12 elements/);
  assert.throws(() => importTflite(reshapeFile([-1, -1], [3, 4]), 'r.tflite'), /one -1/);
});

test('RESHAPE import: new_shape in the options (no shape operand) with -1', () => {
  const file = (newShape: number[]) => buildTflite({
    tensors: [
      { name: 'x', shape: [2, 6], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
      { name: 'y', shape: [3, 4], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
    ],
    ops: [{
      code: BuiltinOperator.RESHAPE, inputs: [0], outputs: [1], optionsType: BuiltinOptionsType.ReshapeOptions,
      options: (b: Builder) => {
        b.startVector(4, newShape.length, 4);
        for (let i = newShape.length - 1; i >= 0; i--) b.addInt32(newShape[i]!);
        const v = b.endVector();
        b.startObject(1); b.addFieldOffset(Slot.ReshapeOptions.newShape, v, 0); return b.endObject();
      },
    }],
    inputs: [0], outputs: [1],
  });
  assert.equal(importTflite(file([-1, 4]), 'o.tflite').ops[0]!.kind, 'reshape');
  assert.throws(() => importTflite(file([-1, 3]), 'o.tflite'), /new shape \[-1,3\] gives \[4,3\], but the output tensor is \[3,4\]/);
});

test('PADV2 import reads paddings and the int8 constant into attributes; SPLIT reads its leading axis operand', () => {
  const pad = buildTflite({
    tensors: [
      { name: 'x', shape: [1, 2], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
      { name: 'paddings', shape: [2, 2], type: TensorType.INT32, data: i32([0, 0, 1, 2]) },
      { name: 'value', shape: [], type: TensorType.INT8, scale: [0.5], zeroPoint: [5], data: Uint8Array.from([0xf9]) },
      { name: 'y', shape: [1, 5], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
    ],
    ops: [{ code: BuiltinOperator.PADV2, inputs: [0, 1, 2], outputs: [3] }],
    inputs: [0], outputs: [3],
  });
  const g = importTflite(pad, 'p.tflite');
  const badValue = buildTflite({
    tensors: [
      { name: 'x', shape: [1, 2], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
      { name: 'paddings', shape: [2, 2], type: TensorType.INT32, data: i32([0, 0, 1, 2]) },
      { name: 'value', shape: [], type: TensorType.INT8, scale: [0.25], zeroPoint: [5], data: Uint8Array.from([0xf9]) },
      { name: 'y', shape: [1, 5], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
    ],
    ops: [{ code: BuiltinOperator.PADV2, inputs: [0, 1, 2], outputs: [3] }],
    inputs: [0], outputs: [3],
  });
  assert.throws(() => importTflite(badValue, 'p.tflite'), /constant_values is quantised \(scale 0\.25, zero point 5\) unlike the output/);
  const { inputs, outputs: _o, name: _n, ...attrs } = g.ops[0]!;
  assert.deepEqual(attrs, { kind: 'pad_v2', paddings: [[0, 0], [1, 2]], value: -7 });
  assert.deepEqual(inputs, [0]);
  const split = buildTflite({
    tensors: [
      { name: 'axis', shape: [], type: TensorType.INT32, data: i32([-1]) },
      { name: 'x', shape: [1, 4], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
      { name: 'a', shape: [1, 2], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
      { name: 'b', shape: [1, 2], type: TensorType.INT8, scale: [0.5], zeroPoint: [5] },
    ],
    ops: [{
      code: BuiltinOperator.SPLIT, inputs: [0, 1], outputs: [2, 3], optionsType: BuiltinOptionsType.SplitOptions,
      options: (b: Builder) => { b.startObject(1); b.addFieldInt32(Slot.SplitOptions.numSplits, 2, 0); return b.endObject(); },
    }],
    inputs: [1], outputs: [2, 3],
  });
  const s = importTflite(split, 's.tflite');
  validateGraph(s);
  assert.deepEqual({ kind: s.ops[0]!.kind, axis: (s.ops[0] as { axis: number }).axis, inputs: s.ops[0]!.inputs, outputs: s.ops[0]!.outputs.length }, { kind: 'split', axis: -1, inputs: [0], outputs: 2 });
});
