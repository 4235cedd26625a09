// `tinyforge build` / `verify` with the mcu target: the YAML primitives network (shift and add
// convolutions among others) bit-exact with the golden runtime on host, M4 and M3; the --json report's
// mcu fields; budget failures naming the budget, the need and the largest contributors; and verify
// naming the first differing layer when a kernel is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../compiler/frontend/yaml/config.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import type { KDepthwiseConv2d } from '../../compiler/kernel-ir/types.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { GENERIC } from './helpers/generic.ts';
import { depthwiseGeneric } from '../../mcu-backend/emit/depthwise.ts';
import { defineVariant } from '../../mcu-backend/emit/variant.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { repoRoot, scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const work = scratchDir('tinyforge-mcu-build-');

test('primitives.yaml (shift and add convolutions, grouped, depthwise, residual add): bit-exact on host, M4, M3', async (t) => {
  if (!needTools(t, 'host')) return;
  const cfg = loadConfig(join(repoRoot, 'configs', 'examples', 'primitives.yaml'));
  const kinds = new Set(cfg.graph.ops.map((o) => o.kind));
  assert.ok(kinds.has('shift_conv2d') && kinds.has('add_conv2d'));
  const module = runPipeline(cfg.graph, { arith: cfg.arith });
  const inputs = randomInputs(16 * 16 * 8, 4, 5);
  const targets: RunOn[] = ['host'];
  if (needTools(t, 'm4')) targets.push('m4', 'm3');
  for (const on of targets) {
    // Host: generic kernels (SIMD source); M4: the whole table (fast DSP kernels where they apply); M3: portable.
    const em = emitModel(module, { cpu: on === 'host' ? 'm4' : on, dsp: on === 'm4' });
    const v = await verifyMcu(cfg.graph, module, em, on, { inputs, workDir: join(work, 'primitives') });
    assert.ok(v.ok, `${on}: ${JSON.stringify(v.results)}`);
  }
});

test('build --json: every layer carries mcu figures, totals carry instructions, flash and RAM', (t) => {
  if (!needTools(t, 'm3')) return;
  // A Cortex-M3 target: generic kernels (quick to compile), verified on the host and on QEMU M3.
  const src = readFileSync(join(repoRoot, 'configs', 'default.yaml'), 'utf8');
  const cfgPath = join(work, 'default.yaml');
  writeFileSync(cfgPath, src.replace(/^name: default$/m, 'name: jsontest').replace(/ {2}mcu: \{ cpu: cortex-m4,/, '  mcu: { cpu: cortex-m3,')
    .replace(/\n {2}cgra:.*\n/, '\n') + `out: ${join(work, 'out-json')}\n`);
  assert.match(readFileSync(cfgPath, 'utf8'), /cpu: cortex-m3/);
  const r = spawnSync(process.execPath, [bin, 'build', cfgPath, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.ok(rep.layers.length >= 9);
  for (const l of rep.layers) {
    assert.equal(typeof l.mcu.variant, 'string');
    assert.ok(Number.isInteger(l.mcu.instructions) && l.mcu.instructions >= 0, JSON.stringify(l));
    if (l.macs > 0) assert.ok(l.mcu.instructionsPerMac > 0.1);
  }
  const tot = rep.totals.mcu;
  assert.ok(tot.instructions >= rep.layers.reduce((s: number, l: { mcu: { instructions: number } }) => s + l.mcu.instructions, 0));
  assert.ok(tot.flashBytes > tot.constBytes && tot.ramBytes > tot.arenaBytes);
  assert.equal(tot.sizeSource, 'arm-none-eabi-size');
  assert.deepEqual(rep.verify.mcu.map((v: { on: string; ok: boolean }) => [v.on, v.ok]), [['host', true], ['m3', true]]);
  // The C files are there, with the arena size as a macro.
  const h = readFileSync(join(work, 'out-json', 'mcu', 'jsontest.h'), 'utf8');
  assert.match(h, new RegExp(`#define JSONTEST_ARENA_BYTES ${tot.arenaBytes}\\b`));
  assert.match(h, /int jsontest_invoke\(const int8_t \*input, int8_t \*output\);/);
  const saved = JSON.parse(readFileSync(join(work, 'out-json', 'mcu', 'report.json'), 'utf8'));
  assert.equal(saved.totals.instructions, tot.instructions);
});

function budgetConfig(name: string, flash: string, sram: string): string {
  const src = readFileSync(join(repoRoot, 'configs', 'default.yaml'), 'utf8');
  const p = join(work, `${name}.yaml`);
  writeFileSync(p, src.replace(/^name: default$/m, `name: ${name}`).replace(/ {2}mcu: .*\n/, `  mcu: { cpu: cortex-m4, flash: ${flash}, sram: ${sram} }\n`).replace(/\n {2}cgra:.*\n/, '\n') + `out: ${join(work, `out-${name}`)}\n`);
  return p;
}

test('a build over its sram budget fails naming the budget, the need and the largest contributors', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const r = spawnSync(process.execPath, [bin, 'build', budgetConfig('tightram', '1M', '4K'), '--no-verify'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /mcu sram budget of 4,096 B exceeded: the program needs [\d,]+ B/);
  assert.match(r.stderr, /the best schedule found \((in-place|whole).*?\) needs an activation arena of [\d,]+ B peaking at layer \d+ '\w+'/);
  assert.match(r.stderr, /stack 2,048 B/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  // Nothing half-written: no mcu output directory, no staging directory left behind.
  const out = join(work, 'out-tightram');
  assert.ok(!existsSync(join(out, 'mcu')));
  assert.deepEqual(existsSync(out) ? readdirSync(out).filter((n) => n.includes('staging')) : [], []);
});

test('a build over its flash budget fails naming the budget, the need and the largest contributors', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const r = spawnSync(process.execPath, [bin, 'build', budgetConfig('tightflash', '2K', '256K'), '--no-verify'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /mcu flash budget of 2,048 B exceeded: the program needs [\d,]+ B \([\d,]+ B over; arm-none-eabi-size\)/);
  // conv1's weights (16 x 10 x 4) + bias + per-channel tables are the largest constants of default.yaml.
  assert.match(r.stderr, /largest contributors: layer 0 'conv1' \(conv2d\) constants [\d,]+ B/);
});

test('verify names the first differing layer when a kernel is wrong', async (t) => {
  if (!needTools(t, 'host')) return;
  const cfg = loadConfig(join(repoRoot, 'configs', 'default.yaml'));
  const module = runPipeline(cfg.graph, { arith: 'tflm' });
  // A deliberately wrong depthwise kernel: output channel 3 off by 60 before the clamp (a small error
  // can vanish in the average pool and the softmax of this network).
  const broken = defineVariant<KDepthwiseConv2d>({
    ...depthwiseGeneric, name: 'depthwise.broken-test', priority: 100,
    emit: (op, ctx) => {
      const k = depthwiseGeneric.emit(op, ctx);
      return { ...k, code: k.code.replace('o[oc] = (int8_t)tf_clamp(acc,', 'o[oc] = (int8_t)tf_clamp(acc + 60 * (oc == 3),') };
    },
  });
  const em = emitModel(module, { cpu: 'm4', dsp: true }, { table: [broken, ...GENERIC] });
  assert.ok(em.files.source.includes('acc + 60 * (oc == 3)'));
  const v = await verifyMcu(cfg.graph, module, em, 'host', { inputs: randomInputs(em.inputBytes, 2, 3), workDir: join(work, 'broken') });
  assert.equal(v.ok, false);
  const first = module.ops.find((o) => o.kind === 'depthwise_conv2d')!;
  for (const r of v.results) {
    assert.equal(r.ok, false);
    assert.equal(r.firstLayer?.layer, first.index);
    assert.equal(r.firstLayer?.kind, 'depthwise_conv2d');
    assert.ok(r.firstLayer!.got > r.firstLayer!.want && r.firstLayer!.at % 16 === 3, JSON.stringify(r.firstLayer));
  }
});

test('tinyforge verify: exit 0 when every output matches; usage error without --on', (t) => {
  if (!needTools(t, 'm3')) return;
  const cfg = join(repoRoot, 'configs', 'default.yaml');
  const ok = spawnSync(process.execPath, [bin, 'verify', cfg, '--on', 'm3', '--inputs', '3', '--json'], { encoding: 'utf8', cwd: work });
  assert.equal(ok.status, 0, ok.stderr);
  const v = JSON.parse(ok.stdout);
  assert.equal(v.ok, true);
  assert.equal(v.results.length, 3);
  const bad = spawnSync(process.execPath, [bin, 'verify', cfg], { encoding: 'utf8', cwd: work });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--on must be one of host, m3, m4, m7/);
});
