// The graph IR printer: exact text for a small hand-built graph (FNV-1a checked against the published test
// vector), float32 scales printed so they round-trip, and the golden files of the five real models
// (regenerate with `npm run golden:update -- graph` after an intended change, then review the diff).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../../compiler/ir/graph.ts';
import { f32str, fnv1a, printGraph } from '../../../compiler/ir/printer.ts';
import { graphGoldens } from '../../golden/generators.ts';
import { repoRoot } from '../../helpers/paths.ts';

test('fnv1a matches the reference test vectors', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(fnv1a(enc('')), 0x811c9dc5);
  assert.equal(fnv1a(enc('a')), 0xe40c292c);
  assert.equal(fnv1a(enc('foobar')), 0xbf9cf968);
});

test('f32str round-trips float32 values with the fewest digits', () => {
  assert.equal(f32str(0.5), '0.5');
  assert.equal(f32str(Math.fround(0.1)), '0.1');
  assert.equal(f32str(1 / 256), '0.00390625');
  for (const x of [Math.fround(0.0787254), Math.fround(1e-7), Math.fround(3.4e38)]) assert.equal(Math.fround(Number(f32str(x))), x);
});

test('small graph prints exactly', () => {
  const g: Graph = {
    name: 'tiny',
    tensors: [
      { id: 0, name: 'x', shape: [1, 6], dtype: 'int8', quant: { scale: [0.5], zeroPoint: [-3] } },
      { id: 1, name: 'w', shape: [1, 6], dtype: 'int8', quant: { scale: [0.25], zeroPoint: [0] }, data: Int8Array.from(new TextEncoder().encode('foobar')) },
      { id: 2, name: 'y', shape: [1, 1], dtype: 'int8', quant: { scale: [1], zeroPoint: [0] } },
    ],
    ops: [{ kind: 'fully_connected', name: 'fc', inputs: [0, 1, -1], outputs: [2], activation: 'relu', keepNumDims: false }],
    inputs: [0], outputs: [2],
  };
  assert.equal(printGraph(g), [
    'graph "tiny" (inputs %0; outputs %2)',
    '  %0 = tensor "x" [1,6] int8 quant(scale=0.5, zp=-3)',
    // 'foobar' = 102 111 111 98 97 114
    '  %1 = const "w" [1,6] int8 quant(scale=0.25, zp=0) data(n=6, min=97, max=114, fnv1a=0xbf9cf968)',
    '  %2 = tensor "y" [1,1] int8 quant(scale=1, zp=0)',
    '  op 0 fully_connected "fc" (%0, %1, _) -> %2 {activation=relu, keepNumDims=false}',
    '',
  ].join('\n'));
});

test('golden graph files of the real models are current', () => {
  const produced = graphGoldens();
  for (const [rel, text] of produced) {
    const file = join(repoRoot, rel);
    assert.ok(existsSync(file), `${rel} missing: run npm run golden:update -- graph`);
    assert.equal(text, readFileSync(file, 'utf8'), `${rel} differs: if intended, run npm run golden:update -- graph and review the diff`);
  }
});
