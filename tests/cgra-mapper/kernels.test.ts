// Hand-written kernels assembled from text (cgra-mapper/examples/*.s) and run on the simulator: an int32
// dot product and a 3x3 convolution of one plane, checked against plain loops computed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { runAsm } from './run-asm.ts';

const example = (name: string) => readFileSync(join(repoRoot, 'cgra-mapper', 'examples', name), 'utf8');

test('dot.s: int32 dot product of 50 elements', () => {
  const N = 50;
  const x = Array.from({ length: N }, (_, i) => ((i * 37) % 201) - 100);
  const w = Array.from({ length: N }, (_, i) => ((i * 53) % 1999) - 999);
  let want = 0;
  for (let i = 0; i < N; i++) want += x[i] * w[i];
  for (const bus of ['ports', 'shared'] as const) {
    const { sim, stats } = runAsm(example('dot.s'), {
      bus, mem: [{ addr: 0, words: [N, ...x] }, { addr: 1024, words: w }], ptrIn: [0, 1024], ptrOut: [0, 2048],
    });
    assert.equal(sim.readWords(2048, 1)[0], want);
    // per element: 2 loads (one per column) in step 1, a multiply, a branch; plus setup
    assert.equal(stats.loads, 1 + 2 * N);
    assert.equal(stats.stores, 1);
  }
});

test('conv3x3.s: 3x3 valid convolution of a 6x8 plane', () => {
  const H = 6, W = 8, OH = 4, OW = 6;
  const inp = Array.from({ length: H * W }, (_, i) => ((i * 29) % 61) - 30);
  const f = [[3, -1, 2], [0, 5, -4], [7, 1, -2]];
  const want: number[] = [];
  for (let r = 0; r < OH; r++) for (let c = 0; c < OW; c++) {
    let s = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += f[i][j] * inp[(r + i) * W + c + j];
    want.push(s);
  }
  const base = 0x400;
  const mem = [{ addr: base, words: inp }];
  for (let j = 0; j < 3; j++) {
    mem.push({ addr: 0x100 + 32 * j, words: [f[0][j], f[1][j], f[2][j], ...[0, 1, 2].map((i) => base + 4 * (i * W + j))] });
  }
  const { sim, stats } = runAsm(example('conv3x3.s'), { mem, ptrIn: [0x100, 0x120, 0x140], ptrOut: [0, 0x800, 0], trace: false });
  assert.deepEqual(sim.readWords(0x800, OH * OW), want);
  assert.equal(stats.stores, OH * OW);
});
