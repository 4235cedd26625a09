// The gcc 12 wrong-code bug behind "layer calls dropped at -O2" (runtime.h: gcc's late pure-const / mod-ref
// analysis takes an ivopts TARGET_MEM_REF with a literal 0 base for a NULL dereference, misses the stores
// after it and declares the layer function const, and the invoke's DCE deletes the call), and runtime.h's
// workaround (#pragma GCC optimize("no-delete-null-pointer-checks")):
//  - the minimal C reproducer (fixtures/gcc12-null-tmr.c) is right on the host and keeps its call on
//    arm-none-eabi-gcc when built with runtime.h (without it, the installed gcc's result is reported);
//  - the three shapes that came out wrong through tinyforge, host gcc -O2 with TF_HOST_SIMD, against the
//    golden runtime (tflite arithmetic, generic kernels, whole-tensor memory plan so the layer's input and
//    output are distinct arena ranges): a 1x1 CONV_2D [1,2,4,4] -> [1,2,4,1] with relu and a
//    FULLY_CONNECTED of 6 rows x 4 -> 1 unit, both wrong before the workaround (stale arena bytes). The third
//    shape, batches of many small copy layers (host and QEMU M4), is movement.test.ts, which failed 5 of its
//    16 tests once the copy kernels' former noipa attribute was taken away without this workaround.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../compiler/ir/graph.ts';
import { loadConfig } from '../../compiler/frontend/yaml/config.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { COMMON_CFLAGS, CPUS, emitDir } from '../../mcu-backend/harness/run.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { repoRoot, scratchDir } from '../helpers/paths.ts';
import { GENERIC } from './helpers/generic.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-gcc-');
const golden = GoldenRuntime.load();
const fixture = join(repoRoot, 'tests', 'mcu-backend', 'fixtures', 'gcc12-null-tmr.c');

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

test('gcc 12 reproducer: with runtime.h the layer call survives -O2 (host: right output; arm-none-eabi-gcc: the call is in the assembly)', (t) => {
  if (!needTools(t, 'host')) return;
  const exe = (tag: string) => join(work, `repro-${tag}`);
  // Without the workaround: the installed gcc's verdict, for the record (gcc 12.2: "100 of 100 bytes wrong").
  const plain = run('gcc', [...COMMON_CFLAGS, fixture, '-o', exe('plain')]);
  assert.equal(plain.status, 0, plain.out);
  t.diagnostic(`host gcc -O2 without runtime.h: ${run(exe('plain'), []).out.trim()}`);
  const fixed = run('gcc', [...COMMON_CFLAGS, '-DTF_WITH_RUNTIME', `-I${emitDir}`, fixture, '-o', exe('fixed')]);
  assert.equal(fixed.status, 0, fixed.out);
  const r = run(exe('fixed'), []);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /^0 of 100 bytes wrong/);
  if (!needTools(t, 'arm-gcc')) return;
  const asm = (extra: string[]) => {
    const a = run('arm-none-eabi-gcc', [...CPUS.m4.flags, ...COMMON_CFLAGS, '-DTF_NO_MAIN', ...extra, '-S', fixture, '-o', '-']);
    assert.equal(a.status, 0, a.out);
    return (a.out.match(/\bbl\s+layer\b/g) ?? []).length;
  };
  t.diagnostic(`arm-none-eabi-gcc -O2 without runtime.h: ${asm([])} call(s) to layer`);
  assert.equal(asm(['-DTF_WITH_RUNTIME', `-I${emitDir}`]), 1);
});

/** A YAML network config (one input, the given layers) loaded through the front end. */
function network(name: string, input: string, layers: string[]): Graph {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, [
    `name: ${name}`, 'arith: tflite', 'network:', '  seed: 3', `  input: { name: x, shape: ${input}, scale: 0.5, zero_point: 0 }`, '  layers:',
    ...layers.map((l) => `    - ${l}`),
  ].join('\n') + '\n');
  return loadConfig(path).graph;
}

const CASES: Array<[string, () => Graph]> = [
  ['1x1 CONV_2D [1,2,4,4] -> [1,2,4,1], relu', () => network('conv1x1_c1', '[2, 4, 4]', ['{ op: conv2d, name: c, filters: 1, kernel: 1, activation: relu }'])],
  ['FULLY_CONNECTED 6 rows x 4 -> 1 unit', () => network('fc_u1', '[6, 4]', ['{ op: fully_connected, name: f, units: 1 }'])],
];

for (const [what, make] of CASES) {
  test(`${what} (tflite, generic kernels, whole tensors) as C on the host at -O2 equals the golden runtime`, async (t) => {
    if (!needTools(t, 'host')) return;
    const graph = make();
    const module = runPipeline(graph, { arith: 'tflite' });
    const em = emitModel(module, { cpu: 'm4', dsp: false }, { table: GENERIC, memory: 'whole' });
    const bytes = graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);
    const v = await verifyMcu(graph, module, em, 'host', { inputs: randomInputs(bytes, 4, 11), workDir: join(work, em.cname), golden: await golden });
    assert.ok(v.ok, JSON.stringify(v.results));
  });
}
