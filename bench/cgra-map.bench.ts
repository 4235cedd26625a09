// CGRA mapping speed, in simulated cycles (deterministic; no wall-clock timing):
//  1. the CF'24 paper's layer in int8 (16x16x16 -> 14x14x16, 3x3, valid) under every strategy, shared bus
//     with a 190-cycle CPU call per launch (the headline) and the ports bus, each checked exact against a
//     direct loop over the layer's definition;
//  2. the five models with `auto`: per-layer and total cycles / MAC per cycle, every layer bit-exact against
//     the golden runtime on 2 random inputs, and the layers furthest below the paper layer's figure (ranked
//     by the cycles they lose against it), with the reason read off each layer's own figures (dataflow
//     ceiling, multiply slots without a real MAC, call cost, epilogues);
//  3. the paper's strategies forced on three models;
//  4. array sizes side by side (2x2, 4x4, 4x8, 8x8): per model, layers mapped / on the host (with the reason),
//     all mapped layers bit-exact, MAC/cycle on both buses and the ports-bus ratio against 4x4;
//  5. the general mapper alone (`strategies: [general]`, issue 16) on 4x4, 2x2, 4x8 and 8x8: every layer
//     bit-exact, cycles per model against the best hand strategy (section 2's auto, shared bus with calls) and
//     on the paper layer, the 8x8 / 4x4 MAC/cycle ratio on the ports bus, and per layer the II the mapper
//     reached against its lower bound (resources, recurrence).
import { loadModel } from '../compiler/frontend/load.ts';
import { makeArch } from '../cgra-mapper/arch.ts';
import type { LayerResult } from '../cgra-mapper/map-model.ts';
import { runPlan } from '../cgra-mapper/run.ts';
import { STRATEGIES } from '../cgra-mapper/strategies/index.ts';
import { runCgraTarget } from '../cgra-mapper/target.ts';
import { setSearchBudget } from '../cgra-mapper/general/index.ts';
import { modelPath, type ModelKey } from '../tests/helpers/paths.ts';
import { paperLayer } from '../tests/helpers/paper-layer.ts';

const arch = makeArch({ callCycles: 190 });

/** Why a layer falls below the paper layer's figure, from its own numbers. */
function explain(l: LayerResult): string {
  const c = l.cgra;
  const why: string[] = [];
  const ceiling: Record<string, string> = {
    'checker-dw': 'depthwise has no reduction over channels, so each input byte feeds one multiply: 8 multipliers share lagged input windows (kW + stride columns per window), and the loop needs 2 control steps per 16-cycle iteration',
    'checker-dw4': 'depthwise with 4 multipliers on private feeders',
    'dw-reuse': 'depthwise 3x3 with resident weights, every loaded packed pair multiplied twice: 2 loads per 3-cycle multiply step, one int32 store per pixel',
    'dw-resident': 'depthwise with resident weights: 4 loader/multiplier/accumulator chains, every packed input pair is one load (4 loads + up to 1 store per 3-cycle multiply step on the shared bus), ceil(T/2) >= 4 pair slots per pixel',
    checker: 'checkerboard body: 8 MACs per 4 cycles',
    'checker-fxp': 'two products per FXPMUL: 64 MACs per 20-cycle body (12 word loads per tap pair)',
    'checker-slide': 'two products per FXPMUL, each input word shown to two pixels: 192 MACs per 52-cycle block of 3 taps (28 word loads)',
    'fc-fxp': 'single pixel: every packed weight word is used once, 7 loads per multiply step on the shared bus',
  };
  if (c.peakMacPerCycle < 3.2 || (c.strategy !== 'checker-fxp' && c.strategy !== 'checker-slide')) why.push(`${c.strategy} peaks at ${c.peakMacPerCycle.toFixed(2)} MAC/cycle (${ceiling[c.strategy] ?? 'a paper strategy'})`);
  const waste = 1 - l.macs / c.slotMacs;
  if (waste > 0.05) {
    const what = c.strategy === 'fc-fxp' ? 'the zero-weight iteration per pass, a zero tap for odd reductions and unused channels of the last tile'
      : c.strategy === 'checker-fxp' ? 'the priming iteration per launch, a zero tap for odd reductions, pixels past the last group of 4 and unused channels of the last 8-channel tile'
      : c.strategy === 'checker-slide' ? 'a zero tap for odd channel counts, the dummy right pixel of odd-width rows, pairs past the last group of 4 and unused channels of the last 4-channel tile'
      : l.op === 'fully_connected' ? 'a single pixel leaves the second pixel of each pair (and unused channels of the last 16-channel tile) idle'
      : c.strategy === 'checker-dw' ? 'the lagged windows, the zero-weight iteration and pixels past the row end'
      : c.strategy === 'dw-reuse' ? '12 pair slots for 9 taps (the tap-2 column rides in a half-empty pair), one dummy pixel per line, padding slots of the last iteration and unused channels of the last group'
      : c.strategy === 'dw-resident' ? 'zero taps up to 2n pair slots (n >= 4 packed words), the drain iteration per 4-channel group and unused channels of the last group'
      : l.op === 'depthwise_conv2d' ? 'the zero-weight iteration, the idle half of the multipliers and pixels past the row end'
      : 'padding bytes of the input columns, pixels past the row end, unused channels of the last tile and the zero-weight iteration';
    why.push(`${(100 * waste).toFixed(0)}% of its multiply slots do no real MAC (${what})`);
  }
  const calls = (c.launches * arch.callCycles) / c.cycles;
  if (calls > 0.05) why.push(`${(100 * calls).toFixed(0)}% of its cycles are the ${c.launches} CPU calls`);
  const body = c.slotMacs / c.peakMacPerCycle;
  const rest = c.cycles - body - c.launches * arch.callCycles;
  if (rest / c.cycles > 0.05) why.push(`${(100 * rest / c.cycles).toFixed(0)}% go to pass epilogues (32 int32 stores per pass on the shared bus, resets, pointer jumps), prologues and launch overhead`);
  return why.join('; ') || 'close to its ceiling';
}

export default async function run(): Promise<object> {
  // The general mapper searches 6x its default budget per unroll here (one run; the tests use the default).
  setSearchBudget(6);
  // 1. The paper layer.
  const { L, input, want } = paperLayer();
  const paper: Record<string, object> = {};
  const lines: string[] = ['paper layer, int8 16x16x16 -> 14x14x16, 3x3 valid (451,584 MACs); cycles include 190 per launch'];
  for (const s of STRATEGIES) {
    if (s.supports(L)) continue;
    const plan = s.plan(L, arch);
    const sh = runPlan(plan, input, 'tflm', arch, 'shared');
    const po = runPlan(plan, input, 'tflm', arch, 'ports');
    const exact = sh.output.every((v, i) => v === want[i]) && po.output.every((v, i) => v === want[i]);
    paper[s.name] = {
      paperStrategy: s.paper, launches: sh.figures.launches, cyclesShared: sh.figures.cycles, macPerCycleShared: L.macs / sh.figures.cycles,
      cyclesPorts: po.figures.cycles, macPerCyclePorts: L.macs / po.figures.cycles, arrayCyclesShared: sh.figures.arrayCycles,
      estimateShared: plan.cost.shared + plan.cost.launches * arch.callCycles, peUtilisation: sh.figures.peUtilisation,
      loads: sh.figures.loads, stores: sh.figures.stores, energyJ: sh.figures.energyJ, hostPreBytes: plan.hostWork.preBytes, exact,
    };
    lines.push(`  ${s.name.padEnd(10)} ${s.paper ? 'paper' : 'new  '}  launches ${String(sh.figures.launches).padStart(5)}  shared ${String(sh.figures.cycles).padStart(8)} cycles ` +
      `${(L.macs / sh.figures.cycles).toFixed(3)} MAC/c   ports ${String(po.figures.cycles).padStart(8)} ${(L.macs / po.figures.cycles).toFixed(3)} MAC/c  ${exact ? 'exact' : 'NOT EXACT'}`);
  }
  console.log(lines.join('\n'));
  // The headline: the fastest strategy on the paper layer (shared bus with calls); checker shown next to it.
  const rate = (n: string): number => (paper[n] as { macPerCycleShared: number }).macPerCycleShared;
  const headlineStrategy = Object.keys(paper).reduce((a, b) => (rate(b) > rate(a) ? b : a));
  const headline = rate(headlineStrategy);
  console.log(`headline: ${headlineStrategy} ${headline.toFixed(3)} MAC/cycle vs checker ${rate('checker').toFixed(3)} (shared bus, with calls)`);

  // 2. The models.
  const models: Record<string, object> = {};
  for (const key of ['kws', 'vww', 'resnet', 'str_ww', 'ad01'] as ModelKey[]) {
    const path = modelPath(key);
    if (!path) { models[key] = { skipped: 'model not present' }; continue; }
    const { graph } = loadModel(path);
    const { report } = await runCgraTarget(graph, { arch, arith: 'tflm', strategy: 'auto', inputs: 2, seed: 7 });
    // Ranked by the cycles they lose against the paper layer's figure (what they cost the model in total).
    const lost = (l: LayerResult): number => l.cgra.cycles - l.macs / headline;
    const below = [...report.layers].filter((l) => l.cgra.macPerCycle < headline).sort((a, b) => lost(b) - lost(a)).slice(0, 4);
    const strategies: Record<string, number> = {};
    for (const l of report.layers) strategies[l.cgra.strategy] = (strategies[l.cgra.strategy] ?? 0) + 1;
    models[key] = {
      totals: report.totals, strategies,
      layers: report.layers.map((l) => ({ index: l.index, op: l.op, macs: l.macs, strategy: l.cgra.strategy, launches: l.cgra.launches, cycles: l.cgra.cycles,
        macPerCycle: l.cgra.macPerCycle, cyclesPorts: l.cgra.cyclesPorts, macPerCyclePorts: l.cgra.macPerCyclePorts, bitExact: l.cgra.bitExact })),
      furthestBelowPaperLayer: below.map((l) => ({ index: l.index, name: l.name, op: l.op, strategy: l.cgra.strategy, macPerCycle: l.cgra.macPerCycle,
        shareOfCycles: l.cgra.cycles / report.totals.cycles, cyclesLostVsPaperLayer: Math.round(lost(l)), why: explain(l) })),
    };
    console.log(`\n${key}: ${report.totals.macs.toLocaleString('en-US')} MACs, ${report.totals.cycles.toLocaleString('en-US')} cycles (shared + calls) = ` +
      `${report.totals.macPerCycle.toFixed(3)} MAC/cycle; ports ${report.totals.macPerCyclePorts.toFixed(3)}; bit-exact layers ${report.totals.bitExactLayers}/${report.totals.layers}`);
    for (const l of below) {
      console.log(`  layer ${l.index} ${l.op} (${l.cgra.strategy}) ${l.cgra.macPerCycle.toFixed(3)} MAC/c, ${(100 * l.cgra.cycles / report.totals.cycles).toFixed(0)}% of cycles, ${Math.round(lost(l)).toLocaleString('en-US')} lost: ${explain(l)}`);
    }
  }
  // 3. The same three models with each of the paper's strategies forced on every layer it can map (auto for
  //    the rest), for a whole-model comparison; one input set (bit-exactness is checked on it too).
  const forced: Record<string, Record<string, object>> = {};
  for (const key of ['kws', 'vww', 'resnet'] as ModelKey[]) {
    const path = modelPath(key);
    if (!path) continue;
    const { graph } = loadModel(path);
    forced[key] = {};
    const row: string[] = [];
    for (const s of STRATEGIES.filter((x) => x.paper)) {
      const { report } = await runCgraTarget(graph, { arch, arith: 'tflm', strategy: s.name, inputs: 1, seed: 7 });
      const t = report.totals;
      forced[key][s.name] = { cycles: t.cycles, macPerCycle: t.macPerCycle, launches: t.launches, bitExact: t.bitExact,
        layersMappedByIt: report.layers.filter((l) => l.cgra.strategy === s.name).length, layers: t.layers };
      row.push(`${s.name} ${t.macPerCycle.toFixed(3)}`);
    }
    console.log(`${key} with a paper strategy forced (MAC/cycle, shared bus + calls): ${row.join(', ')}`);
  }
  // 4. Array sizes side by side (issue 16): every conv / depthwise / FC layer of the five models under auto on
  //    each array, one input set; a layer no strategy accepts on that array runs on the host (counted, with the
  //    reason). Here `auto` minimises the ports-bus estimate (the bus of the >= 3x target), on 4x4 too, so the
  //    ratio compares like with like; one input set per model.
  const sizes: [number, number][] = [[4, 4], [2, 2], [4, 8], [8, 8]];
  const arrays: Record<string, Record<string, object>> = {};
  const ports4: Record<string, number> = {};
  for (const [rows, cols] of sizes) {
    const name = `${rows}x${cols}`;
    arrays[name] = {};
    const a = makeArch({ rows, cols, callCycles: 190 });
    for (const key of ['kws', 'vww', 'resnet', 'str_ww', 'ad01'] as ModelKey[]) {
      const path = modelPath(key);
      if (!path) continue;
      const { graph } = loadModel(path);
      const { report } = await runCgraTarget(graph, { arch: a, arith: 'tflm', strategy: 'auto', optimise: 'ports', inputs: 1, seed: 7 });
      const onHost = (report.host ?? []).filter((h) => ['conv2d', 'depthwise_conv2d', 'fully_connected'].includes(h.op));
      const t = report.totals;
      const allMacs = t.macs + onHost.reduce((x, h) => x + h.macs, 0);
      const strategies: Record<string, number> = {};
      for (const l of report.layers) strategies[l.cgra.strategy] = (strategies[l.cgra.strategy] ?? 0) + 1;
      if (name === '4x4') ports4[key] = t.macPerCyclePorts;
      arrays[name][key] = {
        layersMapped: t.layers, layersOnHost: onHost.length, bitExactMapped: t.bitExactLayers, allExact: t.bitExact, mappedMacShare: allMacs ? t.macs / allMacs : 0,
        macPerCycleShared: t.macPerCycle, macPerCyclePorts: t.macPerCyclePorts, launches: t.launches, strategies,
        ...(ports4[key] ? { portsVs4x4: t.macPerCyclePorts / ports4[key] } : {}),
        hostReasons: [...new Set(onHost.map((h) => h.reason.replace(/ \(.*$/, '')))],
      };
      console.log(`${name} ${key.padEnd(7)} mapped ${t.layers}/${t.layers + onHost.length} (bit-exact ${t.bitExactLayers}), ${(100 * (allMacs ? t.macs / allMacs : 0)).toFixed(0)}% of MACs; ` +
        `MAC/cycle shared ${t.macPerCycle.toFixed(3)}, ports ${t.macPerCyclePorts.toFixed(3)}${ports4[key] ? ` (${(t.macPerCyclePorts / ports4[key]).toFixed(2)}x 4x4)` : ''}; ${JSON.stringify(strategies)}`);
    }
  }
  // 5. The general mapper alone.
  const general: Record<string, Record<string, object>> = {};
  const gPorts4: Record<string, number> = {};
  const handCycles: Record<string, number> = {};
  for (const key of Object.keys(models)) { const t = (models[key] as { totals?: { cycles: number } }).totals; if (t) handCycles[key] = t.cycles; }
  const gPaper = (() => {
    const plan = STRATEGIES.find((x) => x.name === 'general')!.plan(L, arch);
    const sh = runPlan(plan, input, 'tflm', arch, 'shared'), po = runPlan(plan, input, 'tflm', arch, 'ports');
    const best = Math.min(...Object.entries(paper).filter(([n]) => n !== 'general').map(([, v]) => (v as { cyclesShared: number }).cyclesShared));
    const exact = sh.output.every((v, i) => v === want[i]) && po.output.every((v, i) => v === want[i]);
    const r = { cyclesShared: sh.figures.cycles, cyclesPorts: po.figures.cycles, macPerCycleShared: L.macs / sh.figures.cycles, bestHandCyclesShared: best, vsBestHand: sh.figures.cycles / best, exact, schedule: plan.schedule };
    console.log(`general on the paper layer: ${sh.figures.cycles} cycles (${r.macPerCycleShared.toFixed(3)} MAC/c) = ${r.vsBestHand.toFixed(2)}x the best hand strategy's ${best}; ${exact ? 'exact' : 'NOT EXACT'}; II ${plan.schedule?.II} (lower bound ${Math.max(plan.schedule?.resMII ?? 0, plan.schedule?.recMII ?? 0)})`);
    return r;
  })();
  for (const [rows, cols] of [[4, 4], [2, 2], [4, 8], [8, 8]] as [number, number][]) {
    const name = `${rows}x${cols}`;
    general[name] = {};
    const a = makeArch({ rows, cols, callCycles: 190 });
    for (const key of ['kws', 'vww', 'resnet', 'str_ww', 'ad01'] as ModelKey[]) {
      const path = modelPath(key);
      if (!path) continue;
      const { graph } = loadModel(path);
      const { report, mapped } = await runCgraTarget(graph, { arch: a, arith: 'tflm', strategy: 'auto', strategies: ['general'], inputs: 1, seed: 7 });
      const t = report.totals;
      const onHost = (report.host ?? []).filter((h) => ['conv2d', 'depthwise_conv2d', 'fully_connected'].includes(h.op));
      if (name === '4x4') gPorts4[key] = t.macPerCyclePorts;
      const byIndex = new Map(mapped.map((m) => [m.op.index, m.choice.plan.schedule]));
      const perLayer = report.layers.map((l) => {
        const sc = byIndex.get(l.index);
        return { index: l.index, op: l.op, macs: l.macs, unroll: sc?.unroll, II: sc?.II, lowerBound: sc ? Math.max(sc.resMII, sc.recMII) : undefined, resMII: sc?.resMII, recMII: sc?.recMII,
          cycles: l.cgra.cycles, macPerCycle: l.cgra.macPerCycle, macPerCyclePorts: l.cgra.macPerCyclePorts, bitExact: l.cgra.bitExact, estimateExact: l.cgra.estimate.exact };
      });
      const atBound = perLayer.filter((x) => x.II !== undefined && x.II === x.lowerBound).length;
      general[name][key] = {
        layersMapped: t.layers, layersOnHost: onHost.length, bitExactMapped: t.bitExactLayers, allExact: t.bitExact && onHost.length === 0,
        cycles: t.cycles, macPerCycleShared: t.macPerCycle, macPerCyclePorts: t.macPerCyclePorts,
        ...(name === '4x4' && handCycles[key] ? { bestHandCycles: handCycles[key], vsBestHand: t.cycles / handCycles[key] } : {}),
        ...(gPorts4[key] ? { portsVs4x4: t.macPerCyclePorts / gPorts4[key] } : {}),
        layersAtIILowerBound: atBound, layers: perLayer,
      };
      console.log(`general ${name} ${key.padEnd(7)} mapped ${t.layers}/${t.layers + onHost.length}, bit-exact ${t.bitExactLayers}; MAC/cycle shared ${t.macPerCycle.toFixed(3)}, ports ${t.macPerCyclePorts.toFixed(3)}` +
        `${name === '4x4' && handCycles[key] ? `; ${(t.cycles / handCycles[key]).toFixed(2)}x the best hand cycles` : ''}${gPorts4[key] && name !== '4x4' ? `; ports ${(t.macPerCyclePorts / gPorts4[key]).toFixed(2)}x 4x4` : ''}; II at its lower bound on ${atBound}/${perLayer.length} layers`);
      for (const x of perLayer) console.log(`    layer ${x.index} ${x.op.padEnd(16)} unroll ${x.unroll} II ${x.II} (bound ${x.lowerBound}: res ${x.resMII}, rec ${x.recMII}) ${x.macPerCycle.toFixed(3)} MAC/c${x.bitExact ? '' : ' NOT EXACT'}`);
    }
  }
  return {
    arch: { rows: 4, cols: 4, callCycles: 190 },
    arraySizes: arrays,
    generalMapper: { paperLayer: gPaper, arrays: general },
    modelsWithPaperStrategyForced: forced,
    paperLayer: { macs: L.macs, headlineStrategy, headlineMacPerCycleShared: headline,
      sideBySide: Object.fromEntries(['checker', headlineStrategy].map((n) => [n, { shared: rate(n), ports: (paper[n] as { macPerCyclePorts: number }).macPerCyclePorts }])),
      strategies: paper,
      reference: { paperWpBest: 0.665, rtlWpShared: 0.70, handMappedInt8Shared: 1.937 } },
    models,
  };
}
