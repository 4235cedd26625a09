// The model zoo table: every .tflite of ../shared/models/zoo (tests/helpers/zoo.ts lists and scans them), one
// row each, through every stage the project has, each stage guarded so that a model failing it gets the
// stage's one-line error in its row and the bench goes on:
//   scan      operator histogram straight from the flatbuffer (supported or not), scope (int16 activations
//             and recurrent operators without an operator definition are the next issue's: reported with the
//             reason, not run; models with state run their inputs as one sequence, state carried)
//   inspect   whether the importer and validator accept it (else the first unsupported thing); MACs
//   golden    golden runtime (`tflite` arithmetic) == TFLite's interpreter on every operator output, 5 seeded
//             inputs (the comparison of tests/zoo, tests/helpers/zoo.ts compareLayers)
//   mcu       `tinyforge build`'s Cortex-M4 step (buildMcu) within the QEMU board's 4 MiB flash / 4 MiB SRAM,
//             its C (tflm arithmetic) == golden on the host (5 inputs) and on QEMU mps2-an386 (5 inputs, 1 for
//             models over 20 M MACs), instructions of the whole invoke per MAC (icount plugin), flash and RAM as
//             the build measures them (the model and a minimal main, arm-none-eabi-size), arena and constants
//   cgra      layers the op registry maps onto OpenEdgeCGRA (`cgra: {maps}`) and for which a strategy plans
//             (cgra-mapper choosePlan, `auto`), against the layers run on the host, with the reasons
//   speed     golden SIMD against TFLite's interpreter (plain wasm, XNNPACK off, 1 thread), timed interleaved
//             in this run, median ms and the ratio (issue #11 asks >= 3x on every zoo model the golden runs)
// The runner writes bench/results/zoo.json; this file also writes bench/results/zoo.md (the README's table).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../compiler/frontend/load.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { graphStats } from '../compiler/ir/stats.ts';
import { opDef } from '../compiler/ops/index.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { makeArch } from '../cgra-mapper/arch.ts';
import { layerOf } from '../cgra-mapper/layer.ts';
import { choosePlan } from '../cgra-mapper/strategies/index.ts';
import { buildMcu } from '../mcu-backend/build.ts';
import { missingTools, type RunOn } from '../mcu-backend/harness/run.ts';
import { runModel } from '../mcu-backend/runner.ts';
import { GoldenRuntime, GoldenState } from '../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../runtime-wasm/oracle/tflite-interpreter.ts';
import { repoRoot } from '../tests/helpers/paths.ts';
import {
  MUST_PASS, SEANET_PREFIX, compareLayers, zooDir, rawBytes, oneLine, outOfScope, scanTflite, forTfliteInterpreter, ioSignature, zooFiles, zooInputs, type InputData, type ZooScan,
} from '../tests/helpers/zoo.ts';

const SEED = 11;
const INPUTS = 5;
/** Above this many MACs QEMU runs one input (an emulated invoke of a 300 M MAC model takes minutes). */
const QEMU_ALL_INPUTS_MACS = 20e6;
const QEMU_TIMEOUT_MS = 1_800_000;

type Stage<T> = ({ ok: true } & T) | { ok: false; error: string };

function stage<T extends object>(f: () => T): Stage<T> {
  try { return { ok: true, ...f() }; } catch (e) { return { ok: false, error: oneLine(e) }; }
}

interface Timing { medianMs: number; minMs: number; runs: number }

/** As golden.bench.ts: configurations timed interleaved (3 warm-up rounds, then >= 5 rounds until `budgetMs`). */
function timeInterleaved<K extends string>(fns: Record<K, () => void>, budgetMs: number): Record<K, Timing> {
  const keys = Object.keys(fns) as K[];
  const ms = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < 3; i++) for (const k of keys) fns[k]();
  const start = performance.now();
  for (let round = 0; round < 200 && (round < 5 || performance.now() - start < budgetMs); round++) {
    for (const k of keys) {
      const t = performance.now();
      fns[k]();
      ms[k].push(performance.now() - t);
    }
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return Object.fromEntries(keys.map((k) => {
    const v = ms[k].sort((a, b) => a - b);
    return [k, { medianMs: r3(v[v.length >> 1]!), minMs: r3(v[0]!), runs: v.length }];
  })) as Record<K, Timing>;
}

/**
 * Where a slow model's golden time goes: each op run alone as a one-op graph on its real input tensors
 * (median of interleaved rounds), slowest first, with its share of the ops' total.
 */
function goldenOpTimes(golden: GoldenRuntime, g: Graph, x: InputData[]) {
  const all = golden.run(g, x as never, { arith: 'tflite', keepAll: true }).tensors!;
  const fns: Record<string, () => void> = {};
  g.ops.forEach((op, k) => {
    const inputs = op.inputs.filter((id) => id >= 0 && !g.tensors[id]!.data);
    const one: Graph = { name: `${g.name}-op${k}`, tensors: g.tensors, ops: [op], inputs, outputs: op.outputs };
    const xs = inputs.map((id) => all.get(id)!);
    fns[`${k} ${op.kind}`] = () => golden.run(one, xs as never, { arith: 'tflite' });
  });
  const t = timeInterleaved(fns, 1000);
  const total = Object.values(t).reduce((a, v) => a + v.medianMs, 0);
  return Object.entries(t).sort((a, b) => b[1].medianMs - a[1].medianMs)
    .map(([op, v]) => ({ op, medianMs: v.medianMs, share: total ? Math.round((v.medianMs / total) * 100) / 100 : 0 }));
}

function cgraFigures(graph: Graph) {
  const arch = makeArch();
  const module = runPipeline(graph, { arith: 'tflm' });
  const host: Record<string, string> = {};
  let mapped = 0, planned = 0;
  const notPlanned: string[] = [];
  for (const op of graph.ops) {
    const c = opDef(op.kind).cgra;
    if ('host' in c) host[op.kind] = c.host;
    else mapped++;
  }
  for (const kop of module.ops) {
    const L = layerOf(kop, module.consts);
    if (!L) continue;
    try { choosePlan(L, arch, 'auto'); planned++; } catch (e) { notPlanned.push(`${kop.name}: ${oneLine(e)}`); }
  }
  const hostLayers = graph.ops.length - mapped;
  return { mappedLayers: mapped, plannedLayers: planned, hostLayers, hostKinds: host, ...(notPlanned.length ? { notPlanned } : {}) };
}

/** The QEMU mps2-an386 board's code and data SSRAM (mcu-backend/harness/link.ld): the build's budgets. */
const BOARD = { cpu: 'cortex-m4', flash: 4 * 1024 * 1024, sram: 4 * 1024 * 1024 };

function mcuFigures(name: string, graph: Graph, sets: InputData[][], macs: number, golden: GoldenRuntime, dir: string) {
  type Built = { inputs: number; instructions: number; instructionsPerMac: number | null; flashBytes: number; ramBytes: number; arenaBytes: number; constBytes: number };
  const out: { build?: Stage<{ flashBytes: number; ramBytes: number }>; host?: Stage<{ inputs: number }>; m4?: Stage<Built> } = {};
  // Raw bytes in and out (float32 edges as their little-endian bytes), the harness's format.
  const inputs = sets.map(rawBytes);
  let em: ReturnType<typeof buildMcu>['em'] | undefined;
  let totals: ReturnType<typeof buildMcu>['totals'] | undefined;
  // `tinyforge build`'s Cortex-M step (mcu-backend/build.ts buildMcu): variant selection within the board's
  // flash, arena within its SRAM, sizes measured on a minimal program.
  out.build = stage(() => {
    const module = runPipeline(graph, { arith: 'tflm' });
    const b = buildMcu(module, BOARD, join(dir, name, 'build'));
    em = b.em;
    totals = b.totals;
    return { flashBytes: b.totals.flashBytes, ramBytes: b.totals.ramBytes };
  });
  if (!em || !totals) return out;
  const built = em, t = totals;
  // The harness runs the inputs in order in one program: consecutive invocations, recurrent state carried.
  const state = new GoldenState(graph);
  const want = sets.map((x) => rawBytes(golden.run(graph, x as never, { arith: 'tflm', state }).outputs));
  const check = (on: RunOn, outs: Int8Array[]) => outs.forEach((o, i) => {
    const w = want[i]!;
    const at = w.findIndex((v, j) => v !== o[j]);
    if (at >= 0 || w.length !== o.length) throw new Error(`${on}: input ${i}: output byte ${at} differs from the golden runtime (tflm)`);
  });
  out.host = stage(() => {
    const missing = missingTools('host');
    if (missing) throw new Error(missing);
    check('host', runModel(built, inputs, 'host', { workDir: join(dir, name, 'host'), timeoutMs: 600_000 }).outputs);
    return { inputs: inputs.length };
  });
  out.m4 = stage(() => {
    const missing = missingTools('m4');
    if (missing) throw new Error(missing);
    const n = macs > QEMU_ALL_INPUTS_MACS ? 1 : inputs.length;
    const r = runModel(built, inputs.slice(0, n), 'm4', { workDir: join(dir, name, 'm4'), count: true, timeoutMs: QEMU_TIMEOUT_MS });
    check('m4', r.outputs);
    const instructions = r.invokeInstructions![0]!;
    return {
      inputs: n, instructions, instructionsPerMac: macs ? +(instructions / macs).toFixed(3) : null,
      flashBytes: t.flashBytes, ramBytes: t.ramBytes, arenaBytes: t.arenaBytes, constBytes: t.constBytes,
      variants: Object.fromEntries([...new Set(built.layers.map((l) => l.variant))].map((v) => [v, built.layers.filter((l) => l.variant === v).length])),
      ...(t.flashReplacements.length ? { flashReplacements: t.flashReplacements.length } : {}),
    };
  });
  return out;
}

export default async function run() {
  const golden = await GoldenRuntime.load({ simd: true });
  const tfl = await TfliteInterpreter.load();
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-zoo-bench-'));
  const files = zooFiles();
  if (files.length === 0) throw new Error(`no .tflite models in ${zooDir}: the zoo bench needs ../shared/models/zoo`);
  const seanet = files.filter((m) => m.name.startsWith(SEANET_PREFIX));
  const rows: Array<Record<string, unknown>> = [];
  const outOfScopeRows: Array<{ model: string; ops: Record<string, number>; why: string }> = [];
  for (const m of files.filter((f) => !f.name.startsWith(SEANET_PREFIX))) {
    const t0 = performance.now();
    const bytes = new Uint8Array(readFileSync(m.path));
    let scan: ZooScan;
    try { scan = scanTflite(bytes, m.file); } catch (e) { rows.push({ model: m.name, error: oneLine(e) }); continue; }
    const why = outOfScope(m.name, scan);
    if (why) { outOfScopeRows.push({ model: m.name, ops: scan.histogram, why }); console.log(`${m.name}: out of scope: ${why}`); continue; }
    const row: Record<string, unknown> = { model: m.name, bytes: bytes.length, io: ioSignature(scan), ops: scan.histogram, mustPass: MUST_PASS.includes(m.name) };
    rows.push(row);
    let graph: Graph | undefined;
    const inspect = stage(() => { graph = loadModel(m.path).graph; return { macs: graphStats(graph).totals.macs }; });
    row.inspect = inspect;
    if (!inspect.ok || !graph) { console.log(`${m.name}: not supported: ${inspect.ok ? '' : inspect.error}`); continue; }
    const g = graph;
    const macs = inspect.macs;
    const sets = zooInputs(scan, INPUTS, SEED);
    row.golden = stage(() => {
      const r = compareLayers(g, bytes, sets, golden, tfl);
      if (!r.ok) throw new Error(r.error);
      return { layers: r.layers, inputs: r.inputs, ...(r.patched ? { note: `TFLite ran a copy with ${r.patched} rank-1 bias quantized_dimension(s) set to 0 (desktop TFLite rejects the published value; TFLite Micro ignores it)` } : r.note ? { note: r.note } : {}) };
    });
    row.mcu = mcuFigures(m.name, g, sets, macs, golden, dir);
    row.cgra = stage(() => cgraFigures(g));
    row.speed = stage(() => {
      const model = tfl.prepare(forTfliteInterpreter(bytes, m.file).bytes);
      try {
        const x = sets[0]!;
        const t = timeInterleaved({
          golden: () => golden.run(g, x as never, { arith: 'tflite' }),
          tflite: () => model.runTensors(x),
        }, macs > 50e6 ? 6000 : 2000);
        const ratio = Math.round((t.tflite.medianMs / t.golden.medianMs) * 100) / 100;
        return { goldenMs: t.golden, tfliteMs: t.tflite, tfliteOverGolden: ratio, meets3x: ratio >= 3,
          ...(ratio < 3 ? { goldenOps: goldenOpTimes(golden, g, x) } : {}) };
      } finally { model.dispose(); }
    });
    console.log(`${m.name} (${((performance.now() - t0) / 1000).toFixed(1)} s): ${JSON.stringify(row)}`);
  }
  rmSync(dir, { recursive: true, force: true });
  const date = new Date().toISOString();
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverage1m: Math.round(loadavg()[0] * 100) / 100 };
  const md = markdown(rows, outOfScopeRows, seanet.length, date, machine);
  writeFileSync(join(repoRoot, 'bench', 'results', 'zoo.md'), md);
  console.log('\n' + md);
  console.log('wrote bench/results/zoo.md');
  return {
    description: 'every .tflite of ../shared/models/zoo through every stage (scan, inspect, golden vs TFLite every layer, Cortex-M4 host + QEMU, CGRA placement, golden vs TFLite speed); a failed stage carries its one-line error',
    seed: SEED, inputs: INPUTS, machine,
    board: 'QEMU 7.2 mps2-an386 (Cortex-M4), arm-none-eabi-gcc -O2, instructions of the whole invoke (markers 3/4, icount plugin)',
    summary: summary(rows, outOfScopeRows.length + seanet.length),
    models: rows,
    outOfScope: [...outOfScopeRows, { model: `${SEANET_PREFIX}* (${seanet.length} files)`, ops: {}, why: 'int16 activations (TFLite Micro integration tests): the next issue\'s' }],
  };
}

type Row = Record<string, unknown> & {
  model: string; ops?: Record<string, number>; inspect?: Stage<{ macs: number }>; golden?: Stage<{ layers: number; inputs: number; note?: string }>;
  mcu?: ReturnType<typeof mcuFigures>; cgra?: Stage<ReturnType<typeof cgraFigures>>;
  speed?: Stage<{ goldenMs: Timing; tfliteMs: Timing; tfliteOverGolden: number; meets3x: boolean }>;
};

function summary(rowsIn: Array<Record<string, unknown>>, outOfScope: number) {
  const rows = rowsIn as Row[];
  const ok = (s?: { ok: boolean }) => s?.ok === true;
  return {
    inScope: rows.length, outOfScope,
    load: rows.filter((r) => ok(r.inspect)).length,
    goldenBitExact: rows.filter((r) => ok(r.golden)).length,
    mcuHost: rows.filter((r) => ok(r.mcu?.host)).length,
    mcuQemuM4: rows.filter((r) => ok(r.mcu?.m4)).length,
    speed3x: rows.filter((r) => r.speed?.ok && r.speed.meets3x).length,
  };
}

function markdown(rowsIn: Array<Record<string, unknown>>, oos: Array<{ model: string; ops: Record<string, number>; why: string }>, seanet: number,
  date: string, machine: { cpu: string; cores: number; loadAverage1m: number }): string {
  const rows = rowsIn as Row[];
  const hist = (h?: Record<string, number>) => Object.entries(h ?? {}).map(([k, v]) => (v > 1 ? `${k} x${v}` : k)).join(', ');
  const err = (s: { ok: false; error: string }) => `no: ${s.error.replace(/\|/g, '\\|')}`;
  const kb = (b: number) => `${(b / 1024).toFixed(1)}`;
  const lines = [
    '# Model zoo: every stage, every model',
    '',
    `\`npm run bench -- zoo\`, ${date}; ${machine.cores}-core ${machine.cpu}, load ${machine.loadAverage1m} (shared machine: timings are noisy).`,
    `Golden == TFLite: every operator output, ${INPUTS} seeded inputs, \`tflite\` arithmetic. M4: Cortex-M4 C in \`tflm\` arithmetic == golden on the`,
    `host (${INPUTS} inputs) and on QEMU mps2-an386 (${INPUTS} inputs, 1 above ${QEMU_ALL_INPUTS_MACS / 1e6} M MACs); instr/MAC: whole invoke, icount plugin;`,
    'flash / RAM: as `tinyforge build` measures them (model + minimal main) within the board\'s 4 MiB / 4 MiB. CGRA: layers mapped onto the array / run on the host.',
    'Speed: median ms per inference, golden SIMD vs TFLite\'s interpreter (plain wasm, XNNPACK off, 1 thread), same run.',
    '',
    '| model | ops | MACs | inspect | golden == TFLite | M4 host | M4 QEMU | instr/MAC | flash KiB | RAM KiB | CGRA mapped / host | golden ms | TFLite ms | TFLite / golden |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const c: string[] = [r.model + (r.mustPass ? ' *' : ''), hist(r.ops)];
    if (!r.inspect) { c.push('', `no: ${String(r.error)}`); lines.push(`| ${c.join(' | ')} |`); continue; }
    if (!r.inspect.ok) { c.push('', err(r.inspect)); while (c.length < 14) c.push(''); lines.push(`| ${c.join(' | ')} |`); continue; }
    const mac = r.inspect.macs;
    c.push(mac < 1e6 ? mac.toLocaleString('en-US') : `${(mac / 1e6).toFixed(2)} M`, 'yes');
    c.push(r.golden?.ok ? `yes (${r.golden.layers} layer${r.golden.layers === 1 ? '' : 's'}${r.golden.note ? ', see note' : ''})` : r.golden ? err(r.golden) : '');
    const b = r.mcu?.build, h = r.mcu?.host, q = r.mcu?.m4;
    c.push(b && !b.ok ? `build: ${err(b)}` : h?.ok ? 'yes' : h ? err(h) : '');
    c.push(q?.ok ? `yes (${q.inputs})` : q ? err(q) : '');
    c.push(q?.ok ? String(q.instructionsPerMac ?? '-') : '', b?.ok ? kb(b.flashBytes) : '', b?.ok ? kb(b.ramBytes) : '');
    const g = r.cgra;
    c.push(g?.ok ? `${g.plannedLayers} / ${g.hostLayers}` + (g.mappedLayers !== g.plannedLayers ? ` (${g.mappedLayers - g.plannedLayers} unplanned)` : '') : g ? err(g) : '');
    const s = r.speed;
    c.push(s?.ok ? s.goldenMs.medianMs.toFixed(3) : s ? err(s) : '', s?.ok ? s.tfliteMs.medianMs.toFixed(3) : '',
      s?.ok ? `${s.tfliteOverGolden.toFixed(2)}${s.meets3x ? '' : ' (< 3x)'}` : '');
    lines.push(`| ${c.join(' | ')} |`);
  }
  for (const r of rows) if (r.golden?.ok && r.golden.note) lines.push('', `Note, ${r.model}: ${r.golden.note}.`);
  const slow = rows.filter((r) => r.speed?.ok && !r.speed.meets3x);
  if (slow.length) {
    lines.push('', 'Below 3x, where the golden time goes (each op alone, share of the ops\' total):', '');
    for (const r of slow) {
      const ops = r.speed?.ok ? (r.speed as { goldenOps?: Array<{ op: string; medianMs: number; share: number }> }).goldenOps ?? [] : [];
      lines.push(`- ${r.model}: ${ops.slice(0, 3).map((o) => `${o.op} ${o.medianMs.toFixed(3)} ms (${Math.round(o.share * 100)}%)`).join(', ')}`);
    }
  }
  const sm = summary(rows, oos.length + seanet);
  lines.push('', `\\* on the MUST_PASS list of tests/helpers/zoo.ts. In scope: ${sm.inScope}; load: ${sm.load}; golden bit-exact: ${sm.goldenBitExact}; ` +
    `M4 host: ${sm.mcuHost}; M4 QEMU: ${sm.mcuQemuM4}; golden >= 3x TFLite: ${sm.speed3x}.`, '',
  '## Out of scope (the next issue)', '', '| model | ops | why |', '|---|---|---|');
  for (const o of oos) lines.push(`| ${o.model} | ${hist(o.ops)} | ${o.why} |`);
  lines.push(`| ${SEANET_PREFIX}* (${seanet} files) | one op each | int16 activations (TFLite Micro integration tests) |`, '');
  return lines.join('\n');
}
