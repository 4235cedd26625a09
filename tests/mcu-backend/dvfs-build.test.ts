// `tinyforge build` with targets.mcu.part: the clock plan wired into the generated model (configs/default.yaml's
// small network, built through the CLI on QEMU Cortex-M4). Checks the files, that the emitted per-segment
// table is the reported plan, one hook call per segment (measured), the budget and dae options, and that
// every report says the energy is modelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const work = scratchDir('tinyforge-dvfs-build-');

function config(name: string, mcu: string): string {
  const src = readFileSync(join(repoRoot, 'configs', 'default.yaml'), 'utf8')
    .replace(/^name: .*$/m, `name: ${name}\nout: out-${name}`)
    .replace(/^  mcu: .*$/m, `  mcu: { ${mcu} }`).replace(/^  cgra: .*$/m, '');
  const p = join(work, `${name}.yaml`);
  writeFileSync(p, src);
  return p;
}

function build(path: string, json: boolean, verify = true) {
  const r = spawnSync(process.execPath, [bin, 'build', path, ...(json ? ['--json'] : []), ...(verify ? [] : ['--no-verify'])], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return r.stdout;
}

test('part: plan files next to the model, the emitted table is the reported plan, one measured hook call per segment', (t) => {
  if (!needTools(t, 'm4')) return;
  const p = config('dv', 'cpu: cortex-m4, flash: 1M, sram: 256K, part: STM32L4R5ZI, latency_ms: 40');
  // Bit-exactness with DAE and hooks is dae.test.ts's job; the build still runs QEMU for the counts.
  const r = JSON.parse(build(p, true, false));
  const d = r.dvfs;
  assert.equal(d.part, 'stm32l4r5');
  assert.match(d.note, /modelled/);
  assert.equal(d.deadlineUs, 40_000);
  assert.equal(d.deadlineFrom, 'config');
  // With the part's memory model the segments are the cycle model's (QEMU block profile with the part's caches).
  assert.equal(d.instructionsFrom, 'cycle model');
  // Layers with constants: conv1, dw1, pw1, dw2, pw2 reuse them (decoupled: access + execute); fc uses
  // each of its 192 weights once (192 MACs), so dae 'auto' keeps it coupled -> 5 access + 9 execute.
  assert.equal(d.segments.length, 14);
  assert.equal(d.hookCalls, 14);
  assert.ok(d.hookInstructions >= 14 && d.hookInstructions <= 14 * 16, `${d.hookInstructions}`);
  const dae = r.layers.filter((l: { mcu: { variant: string } }) => l.mcu.variant.endsWith('+dae')).map((l: { name: string }) => l.name);
  assert.deepEqual(dae, ['conv1', 'dw1', 'pw1', 'dw2', 'pw2']);
  const out = join(work, 'out-dv', 'mcu');
  for (const f of ['dv_dvfs.h', 'dv_dvfs.c', 'tinyforge_opp.h', 'dv_dvfs.svg']) assert.ok(existsSync(join(out, f)), f);
  const c = readFileSync(join(out, 'dv_dvfs.c'), 'utf8');
  const table = /dv_segment_opp\[DV_DVFS_SEGMENTS\] = \{ ([0-9, ]+) \}/.exec(c);
  assert.ok(table, c);
  assert.deepEqual(table[1]!.split(', ').map(Number), d.plan.choice);
  assert.ok(d.plan.feasible && d.plan.busyUs <= 40_000);
  assert.ok(d.plan.energyUj <= d.raceToIdle.energyUj + 1e-9 && d.plan.energyUj <= d.lowestPoint.energyUj + 1e-9);
  assert.match(readFileSync(join(out, 'dv.c'), 'utf8'), /DV_DVFS_ENTER\(13\)/);
  assert.match(readFileSync(join(out, 'dv_dvfs.svg'), 'utf8'), /modelled/);
});

test('part without latency_ms: default budget 1.5 x the fastest latency; text report says modelled; dae: false keeps layers coupled', (t) => {
  if (!needTools(t, 'm4')) return;
  const text = build(config('dv2', 'cpu: cortex-m4, flash: 1M, sram: 256K, part: stm32h743, dae: false'), false, false);
  assert.match(text, /DVFS plan for stm32h743/);
  assert.match(text, /default: 1\.5 x/);
  assert.match(text, /Energy is modelled/);
  assert.doesNotMatch(text, /\+dae/);
  assert.doesNotMatch(text, /\.access/);
  assert.match(text, /DVFS hook calls: 9 per inference/);
});

test('a latency budget below the fastest point is reported, and the plan falls back to the fastest point', (t) => {
  if (!needTools(t, 'm4')) return;
  const r = JSON.parse(build(config('dv3', 'cpu: cortex-m4, flash: 1M, sram: 256K, part: stm32l4r5, latency_ms: 0.001'), true, false));
  assert.equal(r.dvfs.plan.feasible, false);
  assert.ok(r.dvfs.plan.choice.every((c: number) => c === 0));
});

test('part: modelled cycles per layer and per model in --json and the report, with the part, the clock and the word "modelled"', (t) => {
  if (!needTools(t, 'm4')) return;
  const p = config('cy', 'cpu: cortex-m4, flash: 1M, sram: 256K, part: STM32L4R5ZI');
  const r = JSON.parse(build(p, true, false));
  const m = r.totals.mcu.modelled;
  assert.equal(m.source, 'modelled');
  assert.equal(m.part, 'stm32l4r5');
  assert.equal(m.clockMHz, 120);
  assert.equal(m.waitStates, 5);
  // Cycles are at least the instructions (every instruction takes a cycle on the M4) and add up by cause.
  assert.ok(m.cycles >= r.totals.mcu.instructions, `${m.cycles} vs ${r.totals.mcu.instructions}`);
  const bc = m.byCause;
  assert.equal(bc.issue + bc.memory + bc.multiply + bc.branch + bc.loadUse + bc.fetch + bc.flashData, m.cycles);
  assert.ok(Math.abs(m.latencyMs - m.cycles / 120 / 1000) < 0.001);
  for (const l of r.layers) {
    assert.ok(l.mcu.modelled.cycles >= l.mcu.instructions, `${l.name}`);
    if (l.macs > 0) assert.ok(Math.abs(l.mcu.modelled.cyclesPerMac - l.mcu.modelled.cycles / l.macs) < 0.001);
  }
  const text = build(p, false, false);
  assert.match(text, /modelled cycles \(cortex-m4 timing, stm32l4r5 at 120 MHz, 5 flash wait states/);
  assert.match(text, /total: [0-9,]+ modelled cycles per inference \([0-9.]+ per MAC\), [0-9.]+ ms at 120 MHz/);
  // Where the cycles go: issue and every stall cause per layer, one row per layer, adding up to its cycles.
  assert.match(text, /where they go per layer:\n *# +name +cycles +cyc\/MAC +issue +memory +multiply +branch +load-use +fetch +flash data\n/);
  for (const l of r.layers) {
    const row = new RegExp(`^ *${l.index}  ${l.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +([0-9,]+) +[-0-9.]+ +([0-9,]+) +([0-9,]+) +([0-9,]+) +([0-9,]+) +([0-9,]+) +([0-9,]+) +([0-9,]+)$`, 'm').exec(text);
    assert.ok(row, `row of layer ${l.index} ${l.name}`);
    const n = row.slice(1).map((x) => Number(x.replace(/,/g, '')));
    assert.equal(n[0], Math.round(l.mcu.modelled.cycles));
    assert.equal(n.slice(1).reduce((a, b) => a + b, 0), n[0], `${l.name}: issue + stalls = cycles`);
  }
});

test('clock_mhz: modelled cycles at the configured clock (the part\'s wait states there); above the part\'s highest clock is an error', (t) => {
  if (!needTools(t, 'm4')) return;
  // STM32L4R5 range 1 (normal, up to 80 MHz): one wait state per 20 MHz above 20 -> 3 WS at 80 MHz.
  const r = JSON.parse(build(config('ck', 'cpu: cortex-m4, flash: 1M, sram: 256K, part: STM32L4R5ZI, clock_mhz: 80'), true, false));
  const m = r.totals.mcu.modelled;
  assert.equal(m.clockMHz, 80);
  assert.equal(m.waitStates, 3);
  assert.ok(Math.abs(m.latencyMs - m.cycles / 80 / 1000) < 0.001);
  const bad = spawnSync(process.execPath, [bin, 'build', config('ck2', 'cpu: cortex-m4, flash: 1M, sram: 256K, part: STM32L4R5ZI, clock_mhz: 200'), '--no-verify'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /clock_mhz 200 is above the 120 MHz of stm32l4r5/);
});
