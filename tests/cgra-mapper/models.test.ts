// The real models (kws, str_ww, ad01 here; vww and resnet in bench/cgra-map.bench.ts): every CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED mapped by `auto`, run in the simulator on two random inputs and
// compared bit for bit with the golden runtime's tensor for that layer. Plus the CLI: `cgra map --json`
// report shape, and a written launch.json replayed alone by `cgra sim` giving the same output words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { makeArch } from '../../cgra-mapper/arch.ts';
import { runCgraTarget } from '../../cgra-mapper/target.ts';
import { setSearchBudget } from '../../cgra-mapper/general/index.ts';
import { OPS } from '../../compiler/ops/index.ts';
import { modelPath, repoRoot, scratchDir, type ModelKey } from '../helpers/paths.ts';

// The general mapper (2x2 below) searches a twentieth of its default work: exactness is checked here, not
// schedule quality (the cgra-map bench searches the full budget).
setSearchBudget(0.05);

const EXPECTED_LAYERS: Partial<Record<ModelKey, number>> = { kws: 10, str_ww: 9, ad01: 10 };

for (const [key, n] of Object.entries(EXPECTED_LAYERS) as [ModelKey, number][]) {
  test(`${key}: every conv / depthwise / FC layer is bit-exact with the golden runtime on 2 inputs`, async (t) => {
    const path = modelPath(key);
    if (!path) { t.skip(`model ${key} not present`); return; }
    const { graph } = loadModel(path);
    const { report } = await runCgraTarget(graph, { arch: makeArch(), arith: 'tflm', strategy: 'auto', inputs: 2, seed: 11 });
    assert.equal(report.layers.length, n);
    for (const l of report.layers) {
      assert.equal(l.cgra.mismatches, 0, `layer ${l.index} (${l.op}, ${l.cgra.strategy})`);
      assert.equal(l.cgra.inputsChecked, 2);
      assert.ok(l.cgra.cycles > l.cgra.launches * 190, 'cycles include the call cost');
      assert.ok(l.cgra.estimate.exact, `layer ${l.index}: the cost model that chose ${l.cgra.strategy} matches the simulation`);
    }
    assert.equal(report.totals.bitExactLayers, n);
    // Every other layer is listed as run by the host, with its reason; mapped + host = all layers.
    const kinds = new Set(report.host!.map((h) => h.op));
    assert.ok(report.host!.every((h) => h.reason.length > 0));
    assert.ok(![...kinds].some((k) => k === 'conv2d' || k === 'depthwise_conv2d' || k === 'fully_connected'), `host layers: ${[...kinds]}`);
    assert.equal(report.layers.length + report.host!.length, graph.ops.length);
  });
}

test('kws: the host layers are its pool, reshape and softmax, with the reasons their op definitions give', async (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('model kws not present'); return; }
  const { graph } = loadModel(path);
  const { report } = await runCgraTarget(graph, { arch: makeArch(), arith: 'tflm', strategy: 'auto', inputs: 1, seed: 3 });
  // kws ends average pool -> reshape -> softmax (its graph); each host row carries its definition's reason.
  assert.deepEqual(report.host!.map((h) => h.op), ['average_pool2d', 'reshape', 'softmax']);
  for (const h of report.host!) {
    const placement = OPS[h.op as 'average_pool2d' | 'reshape' | 'softmax'].cgra;
    assert.ok('host' in placement && h.reason === placement.host, `${h.op}: ${h.reason}`);
  }
});

test('cgra map --json and a replayed launch.json', (t) => {
  const path = modelPath('ad01');
  if (!path) { t.skip('model ad01 not present'); return; }
  const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
  const out = scratchDir();
  const r = spawnSync(process.execPath, [bin, 'cgra', 'map', path, '--json', '--out', out, '--strategy', 'checker'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.layers.length, 10);
  const l0 = doc.layers[0];
  assert.equal(l0.op, 'fully_connected');
  assert.equal(l0.macs, 81920);
  assert.equal(l0.cgra.strategy, 'checker');
  for (const k of ['cycles', 'macPerCycle', 'cyclesPorts', 'launches', 'peUtilisation', 'memAccesses', 'energyJ', 'hostWork']) assert.ok(k in l0.cgra, k);
  assert.equal(doc.totals.bitExact, true);
  assert.ok(Math.abs(doc.totals.macPerCycle - doc.totals.macs / doc.totals.cycles) < 1e-9);
  // Replay layer 1 alone: cgra sim's dump equals the words the mapper read back (its launch count and cycles too).
  const files = readdirSync(out);
  const launch = files.find((f) => f.startsWith('layer-1-') && f.endsWith('.launch.json'))!;
  const bits = files.find((f) => f.startsWith('layer-1-') && f.endsWith('.bitstream.h'))!;
  const sim = spawnSync(process.execPath, [bin, 'cgra', 'sim', '--bitstream', join(out, bits), '--launch', join(out, launch), '--bus', 'shared', '--json'], { encoding: 'utf8' });
  assert.equal(sim.status, 0, sim.stderr);
  const res = JSON.parse(sim.stdout);
  const lf = JSON.parse(readFileSync(join(out, launch), 'utf8'));
  assert.equal(res.launches.length, lf.launches.length);
  const cycles = res.launches.reduce((a: number, s: { cyclesWithCall: number }) => a + s.cyclesWithCall, 0);
  assert.equal(cycles, doc.layers[1].cgra.cycles);
  assert.ok(res.dump.length > 0 && res.dump[0].words.some((w: number) => w !== 0));
});

// Issue 16: a config with another array size. On 8x8 every conv / depthwise / FC layer of kws is mapped
// (mesh-fxp and tiled copies) and bit-exact, with estimates equal to the simulation; on 2x2 no hand strategy
// fits, so auto falls through to the general mapper, which maps every layer bit-exactly.
test('kws on 8x8: every layer mapped and bit-exact; on 2x2 every layer mapped by the general mapper', async (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('model kws not present'); return; }
  const { graph } = loadModel(path);
  const big = await runCgraTarget(graph, { arch: makeArch({ rows: 8, cols: 8 }), arith: 'tflm', strategy: 'auto', optimise: 'ports', inputs: 1, seed: 5 });
  assert.equal(big.report.layers.length, EXPECTED_LAYERS.kws);
  for (const l of big.report.layers) {
    assert.equal(l.cgra.mismatches, 0, `8x8 layer ${l.index} (${l.op}, ${l.cgra.strategy})`);
    assert.ok(l.cgra.estimate.exact, `8x8 layer ${l.index}: estimate = simulation`);
  }
  const small = await runCgraTarget(graph, { arch: makeArch({ rows: 2, cols: 2 }), arith: 'tflm', strategy: 'auto', inputs: 1, seed: 5 });
  assert.equal(small.report.layers.length, EXPECTED_LAYERS.kws);
  for (const l of small.report.layers) {
    assert.equal(l.cgra.strategy, 'general');
    assert.equal(l.cgra.mismatches, 0, `2x2 layer ${l.index} (${l.op})`);
    assert.ok(l.cgra.estimate.exact, `2x2 layer ${l.index}: estimate = simulation`);
  }
});
