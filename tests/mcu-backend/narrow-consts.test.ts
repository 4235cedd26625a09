// Narrowed constant tables (mcu-backend/emit/narrow-consts.ts): the stored form decodes back to the exact
// constant block (a JavaScript model of SXTB16 / SXTB16 ROR #8 / SADD16 on a hand-made table), and models
// whose fast layers all take the narrowed variants stay bit-exact with the golden runtime on the host and
// on QEMU Cortex-M4, with less flash for the layers' constants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { narrowForm } from '../../mcu-backend/emit/narrow-consts.ts';
import { VARIANTS } from '../../mcu-backend/emit/registry.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { modelPath, scratchDir, type ModelKey } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

/** SXTB16 of x (ror: rotated right by 8 first): the sign-extended bytes 0 and 2 as the two halves. */
const sxtb16 = (x: number, ror: boolean) => { const v = ror ? (x >>> 8 | x << 24) >>> 0 : x; const lo = (v << 24) >> 24, hi = (v << 8) >> 24; return ((lo & 0xffff) | (hi & 0xffff) << 16) >>> 0; };
/** SADD16 of x with itself: both halves doubled (mod 2^16). */
const sadd16 = (x: number) => ((((x << 16) >> 16) * 2 & 0xffff) | (((x >> 16) * 2) & 0xffff) << 16) >>> 0;

function decode(words: Uint32Array, runs: number[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const n = runs[i]! & 0x3fff, k = runs[i]! >> 14;
    for (let j = 0; j < n; j++) { const x = words[s++]!; for (const ror of [false, true]) { let y = sxtb16(x, ror); for (let j2 = 0; j2 < k; j2++) y = sadd16(y); out.push(y); } }
    for (let j = 0; j < runs[i + 1]!; j++) out.push(words[s++]!);
  }
  return out;
}

const pack = (lo: number, hi: number) => ((lo & 0xffff) | (hi & 0xffff) << 16) >>> 0;

test('narrowForm: int8 pairs, doubled int8 pairs and raw words decode to the exact block', () => {
  // Hand-made table of 16 words (64 bytes, a multiple of 16): int8 weights, a bias, doubled weights.
  const w = [pack(3, -4), pack(127, -128), pack(-1, 0), pack(5, 6), // units 0, 1: int8 halves
    pack(1000, 0), 70000, // unit 2: raw (bias-like)
    pack(254, -256), pack(2, 4), pack(-200, 100), pack(8, -12), // units 3, 4: 2 x int8 (unit 4 also 4 x int8)
    pack(129, 0), pack(0, 0), // unit 5: 129 neither int8 nor even -> raw
    pack(0, 1), pack(2, 3), pack(-7, 7), pack(9, -9)];
  const k = { data: `static const uint32_t t_w[16] __attribute__((aligned(8))) = {${w.map((v) => `${v}u`).join(',')}};`, code: '', constBytes: 64 };
  const f = narrowForm(k);
  assert.ok(!('reason' in f), 'reason' in f ? f.reason : '');
  assert.deepEqual(decode(f.words, f.runs), w);
  // runs: 2 int8 units + 2 raw words, 2 doubled units + 2 raw words, 2 int8 units.
  assert.deepEqual(f.runs, [2, 2, 2 | 1 << 14, 2, 2, 0]);
  assert.equal(f.flashBytes, 4 * (2 + 2 + 2 + 2 + 2) + 2 * 6);
});

const work = scratchDir('tinyforge-narrow-');
let golden: GoldenRuntime | undefined;

for (const key of ['vww', 'str_ww'] as ModelKey[]) {
  test(`${key}: every narrowable fast layer narrowed, bit-exact with the golden runtime on host and QEMU M4`, async (t) => {
    const path = modelPath(key);
    if (!path) { t.skip(`model ${key} not found`); return; }
    if (!needTools(t, 'm4')) return;
    golden ??= await GoldenRuntime.load();
    const graph = loadModel(path).graph;
    const module = runPipeline(graph, { arith: 'tflm' });
    const table = VARIANTS.map((v) => (v.name.endsWith('.narrowed') ? { ...v, priority: 20 } : v));
    const base = emitModel(module, { cpu: 'm4', dsp: true });
    const em = emitModel(module, { cpu: 'm4', dsp: true }, { table });
    const narrowed = em.layers.filter((l) => l.variant.endsWith('.narrowed'));
    assert.ok(narrowed.length >= 3, `${narrowed.length} narrowed layers`);
    assert.ok(em.constBytes < 0.8 * base.constBytes, `constants ${em.constBytes} against ${base.constBytes}`);
    const inputs = randomInputs(graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0), 2, 31);
    for (const on of ['host', 'm4'] as const) {
      const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, `${key}-${on}`), golden });
      for (const r of v.results) assert.ok(r.ok, `${key} on ${on}, input ${r.input}: ${JSON.stringify(r).slice(0, 400)}`);
    }
  });
}
