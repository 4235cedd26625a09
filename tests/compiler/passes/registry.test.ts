// The pass registry: pipeline order and metadata, and docs/kernel-ir.md's pass table in the same order.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PASSES, resolveOptions } from '../../../compiler/passes/registry.ts';
import { repoRoot } from '../../helpers/paths.ts';

test('registry: graph passes, then lowering, then kernel passes, ending with the verifier', () => {
  const stages = PASSES.map((p) => p.stage);
  assert.equal(stages.filter((s) => s === 'lower').length, 1);
  const lower = stages.indexOf('lower');
  assert.ok(stages.slice(0, lower).every((s) => s === 'graph'));
  assert.ok(stages.slice(lower + 1).every((s) => s === 'kernel'));
  assert.equal(PASSES[PASSES.length - 1].name, 'verify-kernel');
  assert.equal(new Set(PASSES.map((p) => p.name)).size, PASSES.length);
  for (const p of PASSES) assert.ok(p.summary.length > 10, `${p.name} has a summary`);
  assert.deepEqual(resolveOptions(PASSES.find((p) => p.name === 'lower-to-kernel')!), { groupedAsDepthwise: true });
});

test('docs/kernel-ir.md lists every pass, in pipeline order, with its stage', () => {
  const rows = readFileSync(join(repoRoot, 'docs/kernel-ir.md'), 'utf8').split('\n')
    .map((l) => /^\| `([a-z-]+)` \| (\w+) \|/.exec(l)).filter((m) => m !== null).map((m) => `${m![1]}:${m![2]}`);
  assert.deepEqual(rows, PASSES.map((p) => `${p.name}:${p.stage}`));
});
