// GoldenRuntime's host contract: input validation errors, keepAll returning every activation, constants
// uploaded once per Graph (and re-used), activations freed after each run, memory growth between runs of
// different graphs not corrupting cached constants, constant ADD operands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { GraphBuilder, randomOpGraph, randI8, rng } from './graphs.ts';

const rt = await GoldenRuntime.load();

test('loads the SIMD module by default and the scalar one on request', async () => {
  assert.equal(rt.simd, true);
  assert.equal(rt.ex.simdEnabled(), 1);
  const s = await GoldenRuntime.load({ simd: false });
  assert.equal(s.ex.simdEnabled(), 0);
});

test('wrong input count, size or type is a TinyforgeError naming the expected values', () => {
  const { graph } = randomOpGraph('conv2d', 3);
  const n = graph.tensors[graph.inputs[0]].shape.reduce((a, b) => a * b, 1);
  assert.throws(() => rt.run(graph, []), (e: unknown) => e instanceof TinyforgeError && /takes 1 input/.test(e.message));
  assert.throws(() => rt.run(graph, [new Int8Array(n + 1)]),
    (e: unknown) => e instanceof TinyforgeError && e.message.includes(`needs ${n} int8 values, got ${n + 1}`));
  assert.throws(() => rt.run(graph, [new Float32Array(n)]),
    (e: unknown) => e instanceof TinyforgeError && /input 0 \('.*'\) is int8, given a Float32Array \(pass a Int8Array\)/.test(e.format()));
});

test('keepAll returns the input and every op output; results repeat exactly; memory is reused', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 4, 4, 2], 0.1, 0);
  const w = b.tensor([3, 3, 3, 2], 0.01, 0, randI8(rng(1), 54), 0);
  const y1 = b.tensor([1, 4, 4, 3], 0.2, 0);
  b.op({ kind: 'conv2d', inputs: [x, w, -1], outputs: [y1], stride: [1, 1], dilation: [1, 1], padding: 'same', activation: 'relu' });
  const y2 = b.tensor([1, 2, 2, 3], 0.2, 0);
  b.op({ kind: 'max_pool2d', inputs: [y1], outputs: [y2], filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'none' });
  const g = b.graph([y2]);
  const input = randI8(rng(2), 32);
  const first = rt.run(g, [input], { keepAll: true });
  assert.deepEqual([...first.tensors!.keys()].sort(), [x, y1, y2].sort());
  assert.deepEqual(first.tensors!.get(y2), first.outputs[0]);
  const mark = rt.ex.mark();
  const again = rt.run(g, [input]);
  assert.equal(rt.ex.mark(), mark, 'no memory kept across runs of a cached graph');
  assert.deepEqual(again.outputs[0], first.outputs[0]);
});

test('cached constants survive memory growth caused by a larger graph', () => {
  const small = randomOpGraph('depthwise_conv2d', 11);
  const before = rt.run(small.graph, small.inputs).outputs[0];
  const b = new GraphBuilder();
  const x = b.input([1, 256, 256, 16], 0.1, 0); // 1 MiB of activations: forces memory.grow
  const y = b.tensor([1, 256, 256, 16], 0.1, 0);
  b.op({ kind: 'max_pool2d', inputs: [x], outputs: [y], filter: [1, 1], stride: [1, 1], padding: 'valid', activation: 'none' });
  const big = randI8(rng(5), 256 * 256 * 16);
  const out = rt.run(b.graph([y]), [big]).outputs[0];
  assert.deepEqual(out, big);
  assert.deepEqual(rt.run(small.graph, small.inputs).outputs[0], before);
});

test('an ADD with a constant operand uses its data', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 1, 3], 1, 0);
  const c = b.tensor([3], 1, 0, Int8Array.from([1, 2, 3]));
  const y = b.tensor([1, 1, 1, 3], 1, 0);
  b.op({ kind: 'add', inputs: [x, c], outputs: [y], activation: 'none' });
  assert.deepEqual(Array.from(rt.run(b.graph([y]), [Int8Array.from([10, 20, 30])]).outputs[0]), [11, 22, 33]);
});

test('unsupported shapes are TinyforgeErrors naming the op', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 2, 2, 3], 1, 0);
  const w = b.tensor([2, 1, 1, 2], 1, 0, new Int8Array(4), 0); // 3 input channels are not whole groups of 2
  const y = b.tensor([1, 2, 2, 2], 1, 0);
  b.op({ kind: 'conv2d', name: 'bad_conv', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', activation: 'none' });
  assert.throws(() => rt.run(b.graph([y]), [new Int8Array(12)]),
    (e: unknown) => e instanceof TinyforgeError && e.where.op === 'bad_conv' && /whole groups/.test(e.message));
});

test('softmax and pooling reject output quantisation TFLite would reject', () => {
  let b = new GraphBuilder();
  let x = b.input([1, 4], 0.1, 0);
  let y = b.tensor([1, 4], 1 / 128, 0);
  b.op({ kind: 'softmax', inputs: [x], outputs: [y], beta: 1 });
  assert.throws(() => rt.run(b.graph([y]), [new Int8Array(4)]), (e: unknown) => e instanceof TinyforgeError && /1\/256 and zero point -128/.test(e.hint ?? ''));
  b = new GraphBuilder();
  x = b.input([1, 2, 2, 1], 0.1, 0);
  y = b.tensor([1, 1, 1, 1], 0.2, 0);
  b.op({ kind: 'average_pool2d', inputs: [x], outputs: [y], filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'none' });
  assert.throws(() => rt.run(b.graph([y]), [new Int8Array(4)]), (e: unknown) => e instanceof TinyforgeError && /quantisation differ/.test(e.message));
});

test('dropping the constant cache past its limit re-uploads constants transparently', async () => {
  const tiny = await GoldenRuntime.load({ constLimit: 1 });
  const a = randomOpGraph('conv2d', 21), b = randomOpGraph('depthwise_conv2d', 22);
  const ra = rt.run(a.graph, a.inputs).outputs[0], rb = rt.run(b.graph, b.inputs).outputs[0];
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(tiny.run(a.graph, a.inputs).outputs[0], ra);
    assert.deepEqual(tiny.run(b.graph, b.inputs).outputs[0], rb);
  }
});
