// The kernel-IR printer: checksums against published FNV-1a test vectors, list summaries, and the exact
// text of a small hand-built module (every value in it computed by hand in the comments).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fnv1a } from '../../../compiler/ir/printer.ts';
import { bytesOf, printKernelModule, summarizeList } from '../../../compiler/kernel-ir/printer.ts';
import type { KernelModule } from '../../../compiler/kernel-ir/types.ts';
import { runPipeline } from '../../../compiler/passes/registry.ts';
import { GraphBuilder } from '../../helpers/graph-builder.ts';

test('FNV-1a over little-endian bytes matches the reference test vectors', () => {
  // FNV-1a 32 of "" = 0x811c9dc5, "a" = 0xe40c292c, "foobar" = 0xbf9cf968 (the FNV reference vectors)
  assert.equal(fnv1a(new Uint8Array()), 0x811c9dc5);
  assert.equal(fnv1a(new TextEncoder().encode('a')), 0xe40c292c);
  assert.equal(fnv1a(new TextEncoder().encode('foobar')), 0xbf9cf968);
  // int32 97 ('a') is the bytes 61 00 00 00, little-endian
  assert.deepEqual([...bytesOf(Int32Array.of(97))], [0x61, 0, 0, 0]);
  assert.deepEqual([...bytesOf(Int8Array.of(-1, 2))], [0xff, 2]);
});

test('summarizeList: full when short, constant lists folded, long lists by head and checksum', () => {
  assert.equal(summarizeList(Int32Array.of(1, -2, 3)), '[1,-2,3]');
  assert.equal(summarizeList(new Int32Array(8).fill(7)), '[7,7,7,7,7,7,7,7]');
  assert.equal(summarizeList(new Int32Array(9).fill(-7)), '[9]{all -7}');
  const long = Int32Array.from({ length: 10 }, (_, i) => i);
  assert.match(summarizeList(long), /^\[10\]\{0,1,2,3,…\} fnv1a=0x[0-9a-f]{8}$/);
  // a change in the tail (not shown) changes the checksum
  const long2 = long.slice(); long2[9] = 100;
  assert.notEqual(summarizeList(long), summarizeList(long2));
});

test('printKernelModule: exact text of a hand-built module', () => {
  // one fully-connected op: 2 inputs -> 2 outputs; weights [[1,2],[3,4]] (int8), bias [5,-6] (int32)
  const m: KernelModule = {
    name: 'tiny', arith: 'tflm',
    buffers: [
      { id: 0, name: 'in', kind: 'input', shape: [1, 2], dtype: 'int8', bytes: 2, scale: 0.5, zeroPoint: -1, def: -1, lastUse: 0 },
      { id: 1, name: 'out', kind: 'output', shape: [1, 2], dtype: 'int8', bytes: 2, scale: Math.fround(0.1), zeroPoint: 3, def: 0, lastUse: 1 },
    ],
    consts: [
      { id: 0, name: 'w', dtype: 'int8', shape: [2, 2], data: Int8Array.of(1, 2, 3, 4) },
      { id: 1, name: 'b', dtype: 'int32', shape: [2], data: Int32Array.of(5, -6) },
    ],
    ops: [{
      kind: 'fully_connected', index: 0, sourceOp: 0, name: 'fc', inputs: [0], output: 1, macs: 4, schedule: { split: 2, tile: 'x' },
      batches: 1, inDepth: 2, outDepth: 2, weights: 0, bias: 1,
      inputOffset: 1, outputOffset: 3, requant: { multiplier: Int32Array.of(1073741824, 1073741824), shift: Int32Array.of(-1, 0) }, rounding: 'double',
      actMin: -128, actMax: 127,
    }],
    inputs: [0], outputs: [1],
  };
  // FNV-1a of bytes 01 02 03 04 and of 05 00 00 00 fa ff ff ff, computed step by step with
  // h = (h ^ byte) * 16777619 mod 2^32 from 2166136261 (independently of the printer's helper):
  const ref = (bytes: number[]) => bytes.reduce((h, b) => Number((BigInt((h ^ b) >>> 0) * 16777619n) % 4294967296n), 2166136261);
  const hw = ref([1, 2, 3, 4]).toString(16).padStart(8, '0');
  const hb = ref([5, 0, 0, 0, 0xfa, 0xff, 0xff, 0xff]).toString(16).padStart(8, '0');
  assert.equal(printKernelModule(m), [
    'kernel "tiny" (inputs %0; outputs %1) {arith=tflm, macs=4, constBytes=12}',
    '  %0 = input "in" [1,2] int8 quant(scale=0.5, zp=-1) bytes=2 live=[-1..0]',
    '  %1 = output "out" [1,2] int8 quant(scale=0.1, zp=3) bytes=2 live=[0..1]',
    `  @0 = const "w" [2,2] int8 data(n=4, min=1, max=4, fnv1a=0x${hw})`,
    `  @1 = const "b" [2] int32 data(n=2, min=-6, max=5, fnv1a=0x${hb})`,
    '  op 0 fully_connected "fc" (%0) -> %1 {src=0, macs=4, split=2, tile=x}',
    '      matrix: batches=1 inDepth=2 outDepth=2',
    '      weights=@0 bias=@1 inputOffset=1 outputOffset=3 clamp=[-128,127]',
    '      requant: rounding=double multiplier=[1073741824,1073741824] shift=[-1,0]',
    '',
  ].join('\n'));
});

test('printKernelModule: the binary op lines (6-D SUB with a constant operand, MAXIMUM, MUL)', () => {
  const b = new GraphBuilder();
  const x = b.act('x', [1, 2, 1, 2, 3, 4], 0.5, 3);
  const k = b.tensor({ name: 'k', shape: [3, 1], dtype: 'int8', quant: { scale: [0.25], zeroPoint: [-5] }, data: Int8Array.from([1, -2, 3]) });
  const y = b.act('y', [1, 2, 1, 2, 3, 4], 0.25, 0);
  const z = b.act('z', [1, 2, 1, 2, 3, 4], 0.25, 0);
  const w = b.act('w', [1, 2, 1, 2, 3, 4], 0.0625, 0);
  b.op({ kind: 'sub', name: 'sub', inputs: [x, k], outputs: [y], activation: 'relu' });
  b.op({ kind: 'maximum', name: 'max', inputs: [y, y], outputs: [z] });
  b.op({ kind: 'mul', name: 'mul', inputs: [z, x], outputs: [w], activation: 'none' });
  const text = printKernelModule(runPipeline(b.io([x], [w]), { arith: 'tflm' }));
  const lines = text.split('\n').filter((l) => l.startsWith('  op ') || l.startsWith('      '));
  assert.deepEqual(lines, [
    '  op 0 binary "sub" (%0) -> %1 {src=0, macs=0}',
    // the constant k is b = @0, [3,1] right-aligned to 6-D
    '      op=sub b=@0 shapes: a=[1,2,1,2,3,4] b=[1,1,1,1,3,1] out=[1,2,1,2,3,4]',
    // offsets -3, +5, 0; relu at zero point 0: [0, 127]
    '      input1Offset=-3 input2Offset=5 outputOffset=0 leftShift=20 clamp=[0,127]',
    // twice the larger scale = 1: 0.5 -> (2^30, 0), 0.25 -> (2^30, -1); 1 / (2^20 * 0.25) = 2^-18 -> (2^30, -17)
    '      requant: input1=(1073741824,0) input2=(1073741824,-1) output=(1073741824,-17)',
    '  op 1 binary "max" (%1, %1) -> %2 {src=1, macs=0}',
    '      op=maximum shapes: a=[1,2,1,2,3,4] b=[1,2,1,2,3,4] out=[1,2,1,2,3,4]',
    '      clamp=[-128,127]',
    '  op 2 binary "mul" (%2, %0) -> %3 {src=2, macs=0}',
    '      op=mul shapes: a=[1,2,1,2,3,4] b=[1,2,1,2,3,4] out=[1,2,1,2,3,4]',
    // 0.25 * 0.5 / 0.0625 = 2 -> (2^30, 2)
    '      input1Offset=0 input2Offset=-3 outputOffset=0 clamp=[-128,127]',
    '      requant: output=(1073741824,2)',
  ]);
});
