// The operator registry is the one source: every op kind has a definition whose parts agree with each
// other, and everything generated from it (importer's supported list, the config schema's layer enum,
// docs/operators.md) is current.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { SUPPORTED_OPERATORS } from '../../../compiler/frontend/tflite/import.ts';
import { builtinName } from '../../../compiler/frontend/tflite/schema.ts';
import { LAYER_FIELDS, LAYER_RULES } from '../../../compiler/frontend/yaml/network.ts';
import { configSchema, LAYER_OPS, YAML_LAYER_KINDS } from '../../../compiler/frontend/yaml/schema.ts';
import { LOWERING_RULES } from '../../../compiler/passes/lower-rules.ts';
import { operatorTable } from '../../../compiler/ops/docs.ts';
import { ALL_OPS, BY_BUILTIN, OP_KINDS, OPS } from '../../../compiler/ops/index.ts';
import { repoRoot } from '../../helpers/paths.ts';

test('every registry entry is the definition of its own kind, with at least one lowering rule for it', () => {
  for (const [kind, def] of Object.entries(OPS)) {
    assert.equal(def.kind, kind);
    assert.ok(def.summary.length > 0, `${kind} has a summary`);
    assert.ok(def.lower.length > 0, `${kind} has a lowering rule`);
    for (const r of def.lower) assert.ok((r.kinds as readonly string[]).includes(kind), `${kind}: rule ${r.name} matches its own kind`);
    const [min, max] = def.arity.inputs;
    assert.ok(min >= 1 && min <= max, `${kind}: arity [${min}, ${max}]`);
  }
  assert.deepEqual([...OP_KINDS].sort(), Object.keys(OPS).sort());
  // the pass's rule table is exactly the definitions' rules
  assert.equal(LOWERING_RULES.length, ALL_OPS.reduce((n, d) => n + d.lower.length, 0));
});

test('TFLite builtins map to exactly one definition, and the importer lists exactly those', () => {
  const withTflite = ALL_OPS.filter((d) => d.tflite);
  assert.equal(BY_BUILTIN.size, withTflite.length, 'no two definitions claim one builtin');
  for (const d of withTflite) assert.equal(BY_BUILTIN.get(d.tflite!.builtin), d);
  assert.deepEqual([...SUPPORTED_OPERATORS].sort(), withTflite.map((d) => builtinName(d.tflite!.builtin)).sort());
});

test('YAML layers are registry kinds, each with its fields and rule, and the schema enum is generated from them', () => {
  for (const k of YAML_LAYER_KINDS) {
    assert.ok((OP_KINDS as string[]).includes(k), `${k} is a registry kind`);
    assert.ok(LAYER_FIELDS[k] && LAYER_RULES[k], `${k} has a YAML layer form`);
  }
  const layerItems = (configSchema.properties.network as { properties: { layers: { items: { properties: { op: { enum: readonly string[] } } } } } })
    .properties.layers.items.properties.op.enum;
  assert.deepEqual([...layerItems], [...LAYER_OPS]);
});

test('docs/operators.md is current (npm run golden:update -- ops)', () => {
  const text = readFileSync(join(repoRoot, 'docs', 'operators.md'), 'utf8');
  assert.equal(text, operatorTable());
  for (const kind of OP_KINDS) assert.ok(text.includes(`| \`${kind}\` |`), `${kind} has a row`);
});

test('`tinyforge ops --json` lists exactly the registry, one row per kind', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinyforge.mjs'), 'ops', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ kind: string; tflite: string | null }>;
  assert.deepEqual(rows.map((x) => x.kind), [...OP_KINDS]);
  for (const row of rows) {
    const def = ALL_OPS.find((d) => d.kind === row.kind)!;
    assert.equal(row.tflite, def.tflite ? builtinName(def.tflite.builtin) : null);
  }
});
