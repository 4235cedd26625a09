// The generated Cortex-M C under the host's sanitizers and strict warnings (issue #19):
//  - AddressSanitizer + UndefinedBehaviorSanitizer (gcc -fsanitize=address,undefined,float-cast-overflow
//    -fno-sanitize-recover=all, plus -pedantic and the harness's -Wall -Wextra -Werror): the five MLPerf
//    Tiny models and the small MUST_PASS zoo models, each on extreme inputs (every byte -128, every byte
//    127; a float32 edge: the lowest and highest values its QUANTIZE represents, and +-1e30 beyond them) and
//    two seeded random inputs (int16 inputs: every value -32768, every value 32767), in two builds: the M4 variant table (fast DSP kernels, their prelude's
//    portable C; the generic kernels of the other ops) with runtime.h's SIMD path (-DTF_HOST_SIMD=1), and
//    the generic kernels with the portable path. Every output is compared byte for byte with the golden runtime (tflm).
//    A sanitizer report aborts the program (non-zero exit), which fails the run with the report.
//    The four large models (vww, person_detect, retinaface, mobilenet_v2: one to ten minutes of ASan compile
//    each on this machine) run only with SANITIZE_LARGE=1 (the large zoo ones on one input); without it the
//    summary test names them (TFLite Micro's 99 int16 seanet models run under the same flags in
//    seanet.test.ts: every tenth in npm test, all with SANITIZE_LARGE=1); SANITIZE_MODELS=<name>,<name> restricts the run to those models. The warning checks of every model's C are in strict-c.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { bytesPerElement, numElements, type Graph } from '../../compiler/ir/graph.ts';
import { floatInputRange } from '../../compiler/quant/quantize.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { compileHost, runHost } from '../../mcu-backend/harness/run.ts';
import { randomGraphInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { scratchDir } from '../helpers/paths.ts';
import { INT16_EXTRA_KINDS, INT16_GOLDEN_ONLY_KINDS, INT16_OP_KINDS, randomInt16Graph } from '../helpers/random-int16.ts';
import { missingModel, realModels, type RealModel } from '../helpers/zoo.ts';
import { needTools } from './helpers/tools.ts';
import { SANITIZE_FLAGS, sanitizeAll } from './helpers/sanitize.ts';

const work = scratchDir('tinyforge-sanitize-');
const LARGE = new Set(['vww', 'tflm-person_detect', 'tflm-retinaface', 'tflm-xtensa-mobilenet_v2_quantized_1x3x224x224']);
const ONE_INPUT = new Set(['tflm-retinaface', 'tflm-xtensa-mobilenet_v2_quantized_1x3x224x224']);
const large = sanitizeAll;
const only = process.env.SANITIZE_MODELS ? new Set(process.env.SANITIZE_MODELS.split(',')) : undefined;
const SANITIZE = SANITIZE_FLAGS;

type Model = RealModel;
const models: Model[] = realModels();
const missing = missingModel;

/** Input sets as raw bytes: extreme ones (int8 -128 / 127, int16 -32768 / 32767, int32 at the int16 extremes,
 *  float32 as above), then two seeded random ones. */
function extremeInputs(graph: Graph, count: number): Array<{ label: string; bytes: Int8Array }> {
  const fill = (label: string, int8: number, float: (r: [number, number] | undefined) => number) => {
    const wide = int8 < 0 ? -32768 : 32767;
    const parts = graph.inputs.map((id) => {
      const t = graph.tensors[id]!, n = numElements(t.shape);
      if (t.dtype === 'int8') return new Int8Array(n).fill(int8);
      if (t.dtype === 'int16') return new Int8Array(new Int16Array(n).fill(wide).buffer);
      if (t.dtype === 'int32') return new Int8Array(new Int32Array(n).fill(wide).buffer);
      if (t.dtype === 'float32') { const f = new Float32Array(n).fill(float(floatInputRange(graph, id))); return new Int8Array(f.buffer); }
      throw new Error(`input '${t.name}' is ${t.dtype}: no extreme inputs for it here`);
    });
    const out = new Int8Array(parts.reduce((s, p) => s + p.length, 0));
    let off = 0;
    for (const p of parts) { out.set(p, off); off += p.length; }
    assert.equal(out.length, graph.inputs.reduce((s, id) => s + numElements(graph.tensors[id]!.shape) * bytesPerElement(graph.tensors[id]!.dtype), 0));
    return { label, bytes: out };
  };
  const hasFloat = graph.inputs.some((id) => graph.tensors[id]!.dtype === 'float32');
  const sets = [
    fill('all -128 / lowest', -128, (r) => r?.[0] ?? -1),
    fill('all 127 / highest', 127, (r) => r?.[1] ?? 1),
    ...(hasFloat ? [fill('float -1e30', -128, () => -1e30), fill('float +1e30', 127, () => 1e30)] : []),
    ...randomGraphInputs(graph, 2, 29).map((bytes, i) => ({ label: `random ${i}`, bytes })),
  ];
  return sets.slice(0, count);
}

let golden: GoldenRuntime | undefined;

for (const m of models) {
  const big = LARGE.has(m.name);
  if ((big && !large) || (only && !only.has(m.name))) continue;
  test(`${m.name}: ASan + UBSan clean on the host, outputs equal the golden runtime (M4 table + SIMD, generic portable)`, { timeout: big ? 3_600_000 : 600_000 }, async (t) => {
    if (!m.path) { t.skip(missing(m)); return; }
    if (!needTools(t, 'host')) return;
    golden ??= await GoldenRuntime.load();
    const graph = loadModel(m.path).graph;
    const module = runPipeline(graph, { arith: 'tflm' });
    const sets = extremeInputs(graph, ONE_INPUT.has(m.name) ? 1 : 8);
    const inputs = sets.map((s) => s.bytes);
    const builds = [
      { label: 'M4 table, SIMD', em: emitModel(module, { cpu: 'm4', dsp: true }), simd: true },
      ...(ONE_INPUT.has(m.name) ? [] : [{ label: 'generic, portable', em: emitModel(module, { cpu: 'm4', dsp: false }), simd: false }]),
    ];
    for (const b of builds) {
      const v = await verifyMcu(graph, module, b.em, 'host', {
        inputs, golden, simd: b.simd, host: { flags: SANITIZE, ...(big ? { timeoutMs: 1_800_000 } : {}) }, workDir: join(work, m.name, b.label.replace(/\W+/g, '-')),
      });
      assert.equal(v.results.length, sets.length);
      for (const r of v.results) assert.ok(r.ok, `${m.name} (${b.label}), input '${sets[r.input]!.label}': ${JSON.stringify(r)}`);
    }
  });
}

// int16 (16x8) single-op graphs, one per kind the Cortex-M backend runs (tests/helpers/random-int16.ts), under
// the same flags on the extreme int16 inputs and two random ones, generic portable kernels and the M4 table.
test('int16 single-op graphs: ASan + UBSan clean on the host on extreme inputs, outputs equal the golden runtime', { timeout: 600_000 }, async (t) => {
  if (!needTools(t, 'host')) return;
  golden ??= await GoldenRuntime.load();
  const kinds = [...INT16_OP_KINDS, ...INT16_GOLDEN_ONLY_KINDS, ...INT16_EXTRA_KINDS];
  for (const [k, kind] of kinds.entries()) {
    const graph = randomInt16Graph(990000 + k, kind);
    const module = runPipeline(graph, { arith: 'tflm' });
    const sets = extremeInputs(graph, 4);
    const dsp = k % 2 === 0; // alternate the two builds, to keep the ASan compiles few
    const v = await verifyMcu(graph, module, emitModel(module, { cpu: 'm4', dsp }), 'host', {
      inputs: sets.map((s) => s.bytes), golden, simd: dsp, host: { flags: SANITIZE }, workDir: join(work, 'int16', kind),
    });
    assert.equal(v.results.length, sets.length);
    for (const r of v.results) assert.ok(r.ok, `${graph.name} (${dsp ? 'M4 table, SIMD' : 'generic'}), input '${sets[r.input]!.label}': ${JSON.stringify(r)}`);
  }
});

// The flags do catch what they should: a program with an out-of-bounds read and one with a signed overflow,
// built exactly as the models above (compileHost with SANITIZE), must abort with the sanitizer's report.
test('sanitize: the host build with SANITIZE aborts on an out-of-bounds read (ASan) and on a signed overflow (UBSan)', (t) => {
  if (!needTools(t, 'host')) return;
  const dir = join(work, 'self-check');
  mkdirSync(dir, { recursive: true });
  const cases = [
    { name: 'oob', body: 'static int8_t a[8]; int8_t *volatile p = a; volatile int i = 8; int main(void) { return p[i]; }', report: 'AddressSanitizer' },
    { name: 'overflow', body: 'volatile int32_t x = INT32_MAX; int main(void) { int32_t y = x + 1; return y == 0; }', report: 'runtime error' },
  ];
  for (const c of cases) {
    const src = join(dir, `${c.name}.c`), exe = join(dir, c.name);
    writeFileSync(src, `#include <stdint.h>\n${c.body}\n`);
    compileHost({ sources: [src], includeDirs: [] }, exe, { simd: false, flags: SANITIZE });
    const r = runHost(exe, 30_000);
    assert.notEqual(r.status, 0, `${c.name}: expected a sanitizer abort, got exit 0`);
    assert.ok(r.stderr.includes(c.report), `${c.name}: no '${c.report}' report in: ${r.stderr.slice(0, 500)}`);
  }
});

test('sanitize: which models ran under the sanitizers', (t) => {
  const ran = models.filter((m) => m.path && (large || !LARGE.has(m.name)) && (!only || only.has(m.name))).map((m) => m.name);
  t.diagnostic(`ASan + UBSan: ${ran.length} models (${ran.join(', ')})`);
  if (!large) t.diagnostic(`not here (SANITIZE_LARGE=1 runs them; ${[...ONE_INPUT].join(', ')} on one input): ${[...LARGE].join(', ')}`);
  if (only) assert.equal(ran.length, only.size, `SANITIZE_MODELS names models that are not here: ${[...only].filter((n) => !ran.includes(n)).join(', ')}`);
  else assert.ok(ran.length >= models.length - (large ? 0 : LARGE.size) || models.some((m) => !m.path));
});
