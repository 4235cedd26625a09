// The generated kernels of every kernel-IR op, bit-exact with an independent TypeScript evaluation of
// TFLite's reference definitions (helpers/kmodule.ts) in both arithmetics. The generic variants (the
// lean kernels every op kind has): on the host (SIMD source via the portable intrinsics, and the
// portable path), on QEMU Cortex-M4 (DSP path) and Cortex-M3 (portable path; a DSP instruction would
// fault there). The whole variant table (fast Cortex-M4 variants where they apply) on QEMU M4.
// Softmax against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { quantizeMultiplier } from '../../compiler/quant/multiplier.ts';
import { calculateInputRadius } from '../../compiler/quant/params.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { VARIANTS } from '../../mcu-backend/emit/registry.ts';
import type { AnyVariant } from '../../mcu-backend/emit/variant.ts';
import { GENERIC } from './helpers/generic.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { scratchDir } from '../helpers/paths.ts';
import { evaluate, KBuilder, randInt8, rng } from './helpers/kmodule.ts';
import { zooModule } from './helpers/zoo.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-kernels-');


function checkZoo(arith: Arith, on: RunOn, simd = true, table: AnyVariant[] = GENERIC): void {
  const m = zooModule(arith);
  const em = emitModel(m, { cpu: on === 'host' ? 'm4' : on, dsp: on !== 'm3' }, { table });
  if (table === GENERIC) for (const l of em.layers) assert.ok(GENERIC.some((v) => v.name === l.variant));
  const r = rng(arith === 'tflm' ? 11 : 12);
  const inputs = [randInt8(r, em.inputBytes), randInt8(r, em.inputBytes), new Int8Array(em.inputBytes).fill(-128)];
  const res = runModel(em, inputs, on, { debug: true, simd, workDir: join(work, `${arith}-${on}-${simd}`) });
  inputs.forEach((x, ri) => {
    const ref = evaluate(m, x);
    ref.forEach((want, li) => {
      const got = res.layers![ri][li];
      assert.ok(got, `layer ${li} output missing`);
      assert.deepEqual(Array.from(got), Array.from(want), `${arith} on ${on}: input ${ri}, layer ${li} (${m.ops[li].kind})`);
      if (ri === 0) {
        // The test data must exercise the arithmetic, not only the clamps.
        const op = m.ops[li] as { actMin?: number; actMax?: number };
        const lo = op.actMin ?? -128, hi = op.actMax ?? 127;
        const inside = Array.from(want).filter((v) => v > lo && v < hi).length;
        assert.ok(inside >= want.length * 0.3, `layer ${li} (${m.ops[li].kind}): only ${inside}/${want.length} values unclamped`);
      }
    });
    assert.deepEqual(Array.from(res.outputs[ri]), Array.from(ref[ref.length - 1]));
  });
}

for (const arith of ['tflm', 'tflite'] as const) {
  test(`every op kind bit-exact on the host, SIMD source (${arith})`, (t) => { if (needTools(t, 'host')) checkZoo(arith, 'host', true); });
  // The portable path on the host once (the M3 runs cover it in both arithmetics).
  if (arith === 'tflm') test('every op kind bit-exact on the host, portable source (tflm)', (t) => { if (needTools(t, 'host')) checkZoo(arith, 'host', false); });
  test(`every op kind bit-exact on QEMU Cortex-M4, DSP path (${arith})`, (t) => { if (needTools(t, 'm4')) checkZoo(arith, 'm4'); });
  test(`every op kind bit-exact on QEMU Cortex-M3, portable path (${arith})`, (t) => { if (needTools(t, 'm3')) checkZoo(arith, 'm3'); });
  test(`every op kind bit-exact on QEMU Cortex-M4 with the whole variant table (${arith})`, (t) => {
    if (needTools(t, 'm4')) checkZoo(arith, 'm4', true, VARIANTS);
  });
}

test('softmax matches hand-computed TFLite Micro results', (t) => {
  if (!needTools(t, 'host')) return;
  // Input scale 1, beta 1: real multiplier 2^26 -> (2^30, shift 27); diff_min = -floor(31 * 2^26 / 2^27) = -15.
  const q = quantizeMultiplier(2 ** 26);
  assert.deepEqual(q, { multiplier: 2 ** 30, shift: 27 });
  const diffMin = -calculateInputRadius(5, q.shift);
  assert.equal(diffMin, -15);
  const k = new KBuilder('smax', 'tflm');
  const x = k.buffer('x', [4, 4], 'input');
  const y = k.op({ kind: 'softmax', name: 'softmax', rows: 4, depth: 4, inputMultiplier: q.multiplier, inputLeftShift: q.shift, diffMin, outputOffset: -128, macs: 0 }, [x], [4, 4]);
  const m = k.done([y]);
  const em = emitModel(m, { cpu: 'm4', dsp: true }, { table: GENERIC });
  // Rows: four equal values -> 1/4 each -> 64 - 128 = -64; one dominant value (the others 255 below, under
  // diff_min) -> 1.0 -> 256 - 128 saturates to 127, the others -128; two equal maxima -> 0.5 -> 0;
  // differences -20 (< diff_min = -15) give exactly 0 probability.
  const input = Int8Array.from([5, 5, 5, 5, 127, -128, -128, -128, 10, 10, -128, -128, 0, -20, -20, -20]);
  const want = [-64, -64, -64, -64, 127, -128, -128, -128, 0, 0, -128, -128, 127, -128, -128, -128];
  const res = runModel(em, [input], 'host', { workDir: join(work, 'softmax') });
  assert.deepEqual(Array.from(res.outputs[0]), want);
});
