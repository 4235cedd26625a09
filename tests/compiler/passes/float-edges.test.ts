// The float edges through the pass pipeline: legalize accepts float32 only as a graph input read by QUANTIZE
// and a DEQUANTIZE graph output (errors name the op); the kernel IR of hello_world_2023 has float32 input and
// output buffers and quantize / dequantize ops whose fields are the file's quantisation (scale and zero point
// read from the file independently of the pipeline); verify-kernel rejects float32 elsewhere.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelsDir } from '../../helpers/paths.ts';
import { existsSync } from 'node:fs';
import { TinyforgeError } from '../../../compiler/diagnostics.ts';
import { loadModel } from '../../../compiler/frontend/load.ts';
import type { Graph } from '../../../compiler/ir/graph.ts';
import { printKernelModule } from '../../../compiler/kernel-ir/printer.ts';
import { verifyKernelModule } from '../../../compiler/kernel-ir/verify.ts';
import { legalize } from '../../../compiler/passes/legalize.ts';
import { runPass, runPipeline } from '../../../compiler/passes/registry.ts';
import { GraphBuilder } from '../../helpers/graph-builder.ts';

const HW = join(modelsDir, 'zoo', 'tflm-hello_world_2023.tflite');

function edges(): { b: GraphBuilder; x: number; q: number; y: number; f: number } {
  const b = new GraphBuilder('edges');
  const x = b.tensor({ name: 'x', shape: [1, 4], dtype: 'float32' });
  const q = b.act('q', [1, 4], 0.5, 1);
  const y = b.act('y', [1, 4], 0.25, -2);
  const f = b.tensor({ name: 'f', shape: [1, 4], dtype: 'float32' });
  return { b, x, q, y, f };
}

test('legalize accepts float32 edges and rejects float32 elsewhere, naming the op', () => {
  const ok = edges();
  ok.b.op({ kind: 'quantize', name: 'in', inputs: [ok.x], outputs: [ok.q] });
  ok.b.op({ kind: 'quantize', name: 'mid', inputs: [ok.q], outputs: [ok.y] });
  ok.b.op({ kind: 'dequantize', name: 'out', inputs: [ok.y], outputs: [ok.f] });
  const g = ok.b.io([ok.x], [ok.f]);
  assert.equal(runPass(legalize, { graph: g, arith: 'tflm' }).graph, g);

  // a DEQUANTIZE whose float output is not a graph output
  const bad = edges();
  bad.b.op({ kind: 'quantize', name: 'in', inputs: [bad.x], outputs: [bad.q] });
  bad.b.op({ kind: 'dequantize', name: 'out', inputs: [bad.q], outputs: [bad.f] });
  const g2: Graph = bad.b.io([bad.x], [bad.q]);
  assert.throws(() => runPass(legalize, { graph: g2, arith: 'tflm' }), (e: unknown) => {
    assert.ok(e instanceof TinyforgeError);
    assert.equal(e.where.op, 'out');
    assert.match(e.message, /^dequantize: float32 output 'f' is not a graph output$/);
    assert.match(e.hint ?? '', /only at the model edges/);
    return true;
  });
  // a float input read by something else than QUANTIZE is an int8-only op's problem
  const other = edges();
  other.b.op({ kind: 'reshape', name: 'r', inputs: [other.x], outputs: [other.q] });
  assert.throws(() => runPass(legalize, { graph: other.b.io([other.x], [other.q]), arith: 'tflm' }), /graph input\/output 'x' is float32/);
});

test('hello_world_2023 kernel IR: float32 edge buffers, quantize and dequantize with the file\'s parameters', { skip: !existsSync(HW) && 'model missing' }, () => {
  const g = loadModel(HW).graph;
  const qIn = g.tensors[g.ops[0]!.outputs[0]!]!.quant!, qOut = g.tensors[g.ops[4]!.inputs[0]!]!.quant!;
  // the file's values (flatbuffer float32 scales, printed shortest)
  assert.equal(qIn.scale[0], Math.fround(0.024573976));
  assert.equal(qIn.zeroPoint[0], -128);
  assert.equal(qOut.scale[0], Math.fround(0.008472009));
  assert.equal(qOut.zeroPoint[0], 4);
  for (const [arith, division] of [['tflm', 'float32'], ['tflite', 'float64']] as const) {
    const text = printKernelModule(runPipeline(g, { arith }));
    const lines = text.split('\n').map((l) => l.trim());
    assert.ok(lines.includes('%0 = input "serving_default_dense_2_input:0" [1,1] float32 bytes=4 live=[-1..0]'), text);
    assert.ok(lines.includes('%5 = output "StatefulPartitionedCall:0" [1,1] float32 bytes=4 live=[4..5]'), text);
    assert.ok(lines.includes(`elements=1 scale=0.024573976 division=${division} outputOffset=-128 clamp=[-128,127]`), text);
    assert.ok(lines.includes('elements=1 scale=0.008472009 inputOffset=-4'), text);
  }
});

test('verify-kernel: a float32 buffer outside the edges is a violation', { skip: !existsSync(HW) && 'model missing' }, () => {
  const m = runPipeline(loadModel(HW).graph, { arith: 'tflm' });
  assert.deepEqual(verifyKernelModule(m), []);
  m.buffers[2] = { ...m.buffers[2]!, dtype: 'float32', bytes: m.buffers[2]!.bytes * 4 };
  const errors = verifyKernelModule(m);
  assert.ok(errors.some((e) => /buffer %2 .*float32 outside the edges/.test(e)), errors.join('\n'));
});
