// Kernel-variant selection under the flash budget (variant.ts fitFlash, build.ts): vww, whose fastest
// selection needs more than 512 KiB, builds for a 512 KiB part with some kernels replaced by leaner ones
// (the need measured by arm-none-eabi-size, each replacement reported); a budget below even the leanest
// selection fails naming the budget and the need; the default config at 1M keeps the fastest kernels;
// and a flash-constrained selection of kws stays bit-exact on QEMU M4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { loadConfig } from '../../compiler/frontend/yaml/config.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { buildMcu, formatMcuReport, layerFlashFromElf } from '../../mcu-backend/build.ts';
import { emitModel, estimateLayerFlash } from '../../mcu-backend/emit/model.ts';
import { VARIANTS } from '../../mcu-backend/emit/registry.ts';
import { candidates, defineVariant, selectVariants, type AnyVariant } from '../../mcu-backend/emit/variant.ts';
import type { KReshape, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { modelPath, repoRoot, scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-flashfit-');
const K = 1024;

/** Three reshape ops in a chain (the variants below never emit: the selection alone is under test). */
function chain3(): KernelModule {
  const buffers = [0, 1, 2, 3].map((id) => ({
    id, name: `t${id}`, kind: (id === 0 ? 'input' : id === 3 ? 'output' : 'activation') as 'input',
    shape: [8], dtype: 'int8' as const, bytes: 8, scale: 1, zeroPoint: 0, def: id - 1, lastUse: id === 3 ? 3 : id,
  }));
  const ops = [0, 1, 2].map((i) => ({ kind: 'reshape' as const, index: i, sourceOp: i, name: `op${i}`, inputs: [i], output: i + 1, macs: 0, schedule: {} }));
  return { name: 'chain3', arith: 'tflm', buffers, consts: [], ops, inputs: [0], outputs: [3] };
}

test('selection under both budgets: sram downgrades first, then flash bytes saved per extra instruction, never breaking sram', () => {
  // Per op i (m = 2^i): A costs 1000m instructions and 100 B of flash, B 1040m and 60 B, C 1400m and 10 B.
  // Scratch: A needs 400 B on op 2, B 500 B on op 1, else none.
  const mk = (name: string, priority: number, extra: number, scratch: number[]) => defineVariant<KReshape>({
    name, kind: 'reshape', priority, applies: () => true, scratchBytes: (op) => scratch[op.index]!,
    emit: () => { throw new Error('not emitted'); }, estimate: (op) => ({ instructions: (1000 + extra) * 2 ** op.index, loads: 0 }),
  });
  const A = mk('A', 10, 0, [0, 0, 400]), B = mk('B', 5, 40, [0, 500, 0]), C = mk('C', 0, 400, [0, 0, 0]);
  const flashOf = new Map<AnyVariant, number>([[A, 100], [B, 60], [C, 10]]);
  const m = chain3();
  const peakOf = (vs: AnyVariant[]) => { const live = m.ops.map((op, i) => vs[i]!.scratchBytes(op)); return { peak: Math.max(...live), liveByOp: live }; };
  const sel = selectVariants(m, [A, B, C], { cpu: 'm4', dsp: true }, peakOf, 300, { budget: 215, cost: (_, v) => flashOf.get(v)! });
  // By hand: sram 400 > 300 at op 2 -> op 2 takes B (saves 400 B; first of the equal savings). Flash is
  // then 100+100+60 = 260 > 215. Ratios (B saved / extra instructions): op0 A->B 40/40 = 1 (-> 220),
  // then op1 A->B 40/80 = 0.5 is ruled out (500 B scratch > 300), op0 B->C 50/360 = 0.139 beats op1 A->C
  // 90/800 = 0.113 and op2 B->C 50/1440 (-> 170). Undoing op0 B->C would give 220 > 215: kept.
  assert.deepEqual(sel.variants.map((v) => v.name), ['C', 'A', 'B']);
  assert.deepEqual(sel.downgrades.map((d) => [d.op, d.from, d.to, d.scratchSaved]), [[2, 'A', 'B', 400]]);
  assert.deepEqual(sel.flashReplacements.map((d) => [d.op, d.from, d.to, d.flashSaved, d.instructionCost]), [[0, 'A', 'B', 40, 40], [0, 'B', 'C', 50, 360]]);
  assert.equal(sel.layerFlashBytes, 170);
  // A looser flash budget: one replacement suffices; no flash budget: no flash replacements.
  assert.deepEqual(selectVariants(m, [A, B, C], { cpu: 'm4', dsp: true }, peakOf, 300, { budget: 250, cost: (_, v) => flashOf.get(v)! }).variants.map((v) => v.name), ['B', 'A', 'B']);
  assert.deepEqual(selectVariants(m, [A, B, C], { cpu: 'm4', dsp: true }, peakOf, 300).flashReplacements, []);
});

test('vww at flash 512K: leaner kernels where they save most flash per instruction, measured to fit', (t) => {
  const path = modelPath('vww');
  if (!path) { t.skip('vww model not found'); return; }
  if (!needTools(t, 'arm-gcc')) return;
  const module = runPipeline(loadModel(path).graph, { arith: 'tflm' });
  const target = { cpu: 'm4' as const, dsp: true };
  const fastest = emitModel(module, target).layers.map((l) => l.variant);
  const out = join(work, 'vww512');
  // The search minimising estimated instructions (the trade below is flash bytes per extra instruction).
  const b = buildMcu(module, { cpu: 'cortex-m4', flash: 512 * K, sram: 256 * K }, out, {}, { objective: 'instructions' });
  assert.equal(b.totals.sizeSource, 'arm-none-eabi-size');
  assert.ok(b.totals.flashBytes <= 512 * K, `flash ${b.totals.flashBytes}`);
  // The fastest selection is over 512 KiB (constants alone, before any code): replacements were needed.
  const fastConstByOp = module.ops.map((op, i) => VARIANTS.find((v) => v.name === fastest[i])!.emit(op, {
    module, target, arith: 'tflm', fn: `f${i}`, konst: (id) => module.consts.find((c) => c.id === id)!, buffer: (id) => module.buffers[id]!,
  }).constBytes);
  const fastConst = fastConstByOp.reduce((s, x) => s + x, 0);
  assert.ok(fastConst > 400 * K, `fast constants ${fastConst}`);
  const reps = b.totals.flashReplacements;
  assert.ok(reps.length > 0 && reps.length < module.ops.length / 2, JSON.stringify(reps));
  for (const r of reps) {
    const op = module.ops[r.op]!;
    const cands = candidates(VARIANTS, op, target, module).map((v) => v.name);
    // From the fastest variant to one of lower priority, as the selection now reads.
    assert.equal(r.from, fastest[r.op]);
    assert.equal(b.layers[r.op]!.variant, r.to);
    assert.ok(cands.indexOf(r.to) > cands.indexOf(r.from), `${r.from} -> ${r.to} among ${cands}`);
    assert.ok(r.flashSaved > 0);
  }
  // Layers not replaced keep their fastest variant.
  b.layers.forEach((l, i) => { if (!reps.some((r) => r.op === i)) assert.equal(l.variant, fastest[i]); });
  // In the linked programs (nm), the replaced layers take less flash (constants and code) than the same
  // layers with their fastest variants, linked in a build without the flash budget.
  const per = layerFlashFromElf(join(out, 'mcu', `${b.em.cname}-m4-size.elf`), b.em.cname, module.ops.length);
  assert.ok(per.reduce((s, x) => s + x, 0) < b.totals.flashBytes);
  const outFast = join(work, 'vww-fastest');
  const bf = buildMcu(module, { cpu: 'cortex-m4', flash: 1024 * K, sram: 256 * K }, outFast, {}, { objective: 'instructions' });
  assert.deepEqual(bf.layers.map((l) => l.variant), fastest);
  const perFast = layerFlashFromElf(join(outFast, 'mcu', `${bf.em.cname}-m4-size.elf`), bf.em.cname, module.ops.length);
  const replaced = [...new Set(reps.map((r) => r.op))];
  const sum = (xs: number[]) => replaced.reduce((s, i) => s + xs[i]!, 0);
  assert.ok(sum(per) > 0 && sum(per) < sum(perFast), `replaced layers: ${sum(per)} B linked vs ${sum(perFast)} B with the fastest variants`);
  const text = formatMcuReport(b);
  for (const r of reps) assert.ok(text.includes(`flash budget: layer ${r.op} '${r.opName}' uses ${r.to} instead of ${r.from} (saves `), text);
});

test('build --json: the flash replacements next to the sram downgrades, and in report.txt', (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('kws model not found'); return; }
  if (!needTools(t, 'arm-gcc')) return;
  // kws with the fast kernels links to about 72 KB (size program); 64 KiB forces some replacements.
  const cfg = join(work, 'kws64.yaml');
  writeFileSync(cfg, `name: kws64\nmodel: ${path}\narith: tflm\ntargets:\n  mcu: { cpu: cortex-m4, flash: 64K, sram: 256K }\nout: ${join(work, 'out-kws64')}\n`);
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinyforge.mjs'), 'build', cfg, '--no-verify', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const tot = JSON.parse(r.stdout).totals.mcu;
  assert.ok(tot.flashBytes <= 64 * K && tot.sizeSource === 'arm-none-eabi-size', JSON.stringify(tot));
  assert.deepEqual(tot.downgrades, []);
  assert.ok(tot.flashReplacements.length > 0);
  const txt = readFileSync(join(work, 'out-kws64', 'mcu', 'report.txt'), 'utf8');
  for (const d of tot.flashReplacements) {
    assert.ok(typeof d.flashSaved === 'number' && d.flashSaved > 0 && typeof d.instructionCost === 'number', JSON.stringify(d));
    assert.ok(txt.includes(`flash budget: layer ${d.op} '${d.opName}' uses ${d.to} instead of ${d.from}`), txt);
  }
});

test('a flash budget below even the leanest selection fails naming the budget, the need and the contributors', (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('kws model not found'); return; }
  if (!needTools(t, 'arm-gcc')) return;
  const module = runPipeline(loadModel(path).graph, { arith: 'tflm' });
  // kws holds about 23 K int8 weights: no selection fits 16 KiB.
  assert.throws(() => buildMcu(module, { cpu: 'cortex-m4', flash: 16 * K, sram: 256 * K }, join(work, 'kws16')), (e: unknown) => {
    assert.ok(e instanceof TinyforgeError);
    assert.match(e.message, /^mcu flash budget of 16,384 B exceeded: the program needs [\d,]+ B \([\d,]+ B over; arm-none-eabi-size\); the leanest kernel selection found \(\d+ kernel\(s\) replaced by leaner ones\); largest contributors: layer \d+ '\w+' \(\w+\) constants [\d,]+ B/);
    return true;
  });
});

test('the default config at flash 1M keeps the fastest kernels', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const cfg = loadConfig(join(repoRoot, 'configs', 'default.yaml'));
  assert.equal(cfg.targets.mcu?.flash, 1024 * K);
  const module = runPipeline(cfg.graph, { arith: cfg.arith });
  const b = buildMcu(module, cfg.targets.mcu!, join(work, 'default'));
  assert.deepEqual(b.totals.flashReplacements, []);
  // Without a part the build minimises estimated instructions: the same selection as the search with no budget.
  assert.deepEqual(b.layers.map((l) => l.variant), emitModel(module, { cpu: 'm4', dsp: true }).layers.map((l) => l.variant));
  // Sanity of the tool: the size program exists and its flash is what arm-none-eabi-size says.
  const elf = join(work, 'default', 'mcu', `${b.em.cname}-m4-size.elf`);
  const sz = spawnSync('arm-none-eabi-size', [elf], { encoding: 'utf8' }).stdout.split('\n')[1]!.trim().split(/\s+/).map(Number);
  assert.equal(b.totals.flashBytes, sz[0]! + sz[1]!);
});

test('kws under a flash budget forcing some replacements: bit-exact on QEMU M4 (2 inputs)', async (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('kws model not found'); return; }
  if (!needTools(t, 'm4')) return;
  const graph = loadModel(path).graph;
  const module = runPipeline(graph, { arith: 'tflm' });
  const target = { cpu: 'm4' as const, dsp: true };
  const fast = emitModel(module, target);
  const need = fast.layers.reduce((s, l, i) => s + estimateLayerFlash(module, target, fast.cname, i, VARIANTS.find((v) => v.name === l.variant)!), 0);
  const em = emitModel(module, target, { flashBudget: Math.round(need * 0.85) });
  assert.ok(em.flashReplacements.length > 0 && em.flashReplacements.length < module.ops.length);
  assert.ok(em.layers.some((l) => l.variant.endsWith('-m4')), 'some fast kernels stay');
  const inputs = randomInputs(em.inputBytes, 2, 23);
  const v = await verifyMcu(graph, module, em, 'm4', { inputs, workDir: join(work, 'kws-m4') });
  assert.equal(v.results.length, 2);
  for (const r of v.results) assert.ok(r.ok, JSON.stringify(r));
});
