// The host program's fast requantisation (cgra-mapper/host/requant.ts: one MULH and one shift) against
// TFLite's MultiplyByQuantizedMultiplier as compiler/quant/multiplier.ts implements it (BigInt), on random
// accumulators and on the values next to every rounding boundary, for both arithmetics, with and without the
// clamp that lets the negative-side correction go; and the host's table ADD (cpu-add.ts) on every int8 pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clamp, multiplyByQuantizedMultiplier, quantizeMultiplier, type Arith } from '../../compiler/quant/multiplier.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { applyFast, applyMul32, clampRange, fastLimit, fastRequant, mul32Prefix, mul32Requant } from '../../cgra-mapper/host/requant.ts';
import { hostAddElement, planHostAdd } from '../../cgra-mapper/host/cpu-add.ts';
import type { KAdd } from '../../compiler/kernel-ir/types.ts';

function check(arith: Arith, m: number, shift: number, zp: number, lo: number, hi: number, accs: number[]): number {
  const f = fastRequant(m, shift, arith, zp, lo);
  assert.ok(f, `fast path for m=${m} shift=${shift}`);
  let n = 0;
  for (const a of accs) {
    if (Math.abs(a) > fastLimit(f)) continue;
    const want = clamp(multiplyByQuantizedMultiplier(a, { multiplier: m, shift }, arith) + zp, lo, hi);
    assert.equal(applyFast(a, f, lo, hi), want, `${arith} a=${a} m=${m} shift=${shift} zp=${zp} [${lo}, ${hi}]`);
    n++;
  }
  return n;
}

test('fast requant equals TFLite on random accumulators and at every rounding boundary', () => {
  const r = mulberry32(15);
  let checked = 0;
  for (let t = 0; t < 300; t++) {
    const arith: Arith = t % 3 === 2 ? 'tflite' : 'tflm';
    const m = 2 ** 30 + Math.floor(r() * 2 ** 30);
    const shift = arith === 'tflm' && t % 7 === 0 ? Math.floor(r() * 3) : -Math.floor(r() * 14);
    const zp = Math.floor(r() * 256) - 128;
    const relu = t % 2 === 0;
    const [lo, hi] = relu ? [zp, 127] : [-128, 127];
    const accs: number[] = [];
    for (let i = 0; i < 300; i++) accs.push(Math.floor((r() - 0.5) * 2 ** (12 + (i % 16))));
    // Boundaries: the accumulators whose real product is closest to each half-step of the output.
    const scale = m * 2 ** shift / 2 ** 31;
    for (let k = -140; k <= 140; k++) {
      const c = Math.round((k + 0.5) / scale);
      for (let d = -2; d <= 2; d++) accs.push(c + d, -(c + d));
    }
    checked += check(arith, m, shift, zp, lo, hi, accs);
  }
  assert.ok(checked > 100_000, `checked ${checked}`);
});

test('fast requant: the int8 extremes of the multiplier range and zero multiplier', () => {
  for (const m of [2 ** 30, 2 ** 31 - 1]) for (const shift of [-1, -8, -20]) {
    check('tflm', m, shift, -128, -128, 127, [0, 1, -1, 2 ** 20, -(2 ** 20), 2 ** 28, -(2 ** 28)]);
  }
  assert.equal(applyFast(12345, fastRequant(0, 0, 'tflm', 5, -128)!, -128, 127), 5);
});

test('clamp thresholds (clampRange): s <= lo gives actMin, s > hi gives actMax, between them no clamp, equal to TFLite', () => {
  const r = mulberry32(77);
  let checked = 0;
  for (let t = 0; t < 200; t++) {
    const arith: Arith = t % 3 === 2 ? 'tflite' : 'tflm';
    const m = 2 ** 30 + Math.floor(r() * 2 ** 30), shift = -1 - Math.floor(r() * 12);
    const zp = Math.floor(r() * 256) - 128;
    const [lo, hi] = t % 4 === 0 ? [-128, 127] : t % 4 === 1 ? [zp, 127] : t % 4 === 2 ? [Math.min(Math.max(zp, -100), 80), 90] : [-128, Math.min(127, zp + 60)];
    const f = fastRequant(m, shift, arith, zp, lo);
    assert.ok(f);
    const packed = arith === 'tflm' && f.pre === 2 && t % 2 === 0;
    const bound = 2 ** (10 + (t % 12));
    const { lo: sLo, hi: sHi } = clampRange(f, packed, lo, hi, bound);
    const step = packed ? 512 : 1;
    const accs: number[] = [];
    for (let i = 0; i < 200; i++) accs.push(Math.round((r() * 2 - 1) * bound));
    for (const x of [sLo, sHi]) for (let d = -3; d <= 3; d++) accs.push(Math.floor(x / step) + d);
    for (const a of accs) {
      if (Math.abs(a) > bound) continue;
      const want = clamp(multiplyByQuantizedMultiplier(a, { multiplier: m, shift }, arith) + zp, lo, hi);
      const s = a * step;
      if (s <= sLo) assert.equal(want, lo, `a=${a} <= lo`);
      else if (s > sHi) assert.equal(want, hi, `a=${a} > hi`);
      else assert.equal(applyFast(a, f, -1e9, 1e9), want, `a=${a} in (lo, hi]: unclamped`);
      checked++;
    }
  }
  assert.ok(checked > 30_000, `checked ${checked}`);
});

// The one-MUL form is accepted only where its breakpoints provably match; checked here independently by brute
// force: every accumulator of the range, TFLite's 64-bit arithmetic (BigInt) against the C's 32-bit wrap-around.
test('one-MUL requantisation (mul32Requant, mul32Prefix): equal to TFLite on every accumulator of the range (prefix) wherever it is offered', () => {
  const r = mulberry32(31);
  let offered = 0, refused = 0, prefixes = 0, checked = 0;
  for (let t = 0; t < 160; t++) {
    const arith: Arith = t % 3 === 2 ? 'tflite' : 'tflm';
    const m = 2 ** 30 + Math.floor(r() * 2 ** 30), shift = -1 - Math.floor(r() * 10);
    const zp = Math.floor(r() * 256) - 128;
    const [lo, hi] = t % 4 === 0 ? [-128, 127] : t % 4 === 1 ? [zp, 127] : t % 4 === 2 ? [Math.min(Math.max(zp, -100), 80), 90] : [-128, Math.min(127, zp + 60)];
    const ref = (a: number): number => clamp(multiplyByQuantizedMultiplier(a, { multiplier: m, shift }, arith) + zp, lo, hi);
    // Ranges from a few output steps to all 256 (the step is ~2^(1 - shift) sums wide).
    const span = Math.floor(2 ** (1 - shift) * (2 + r() * 400));
    const aMin = Math.floor(-r() * span) + Math.floor((r() - 0.5) * 2 ** 12), aMax = aMin + span;
    const f = mul32Requant(ref, aMin, aMax, lo, hi);
    if (!f) {
      refused++;
      // The prefix form: the MUL on (lo, mid], every accumulator up to mid checked.
      const pf = mul32Prefix(ref, aMin, aMax, lo, hi);
      if (pf) {
        prefixes++;
        for (let a = aMin; a <= pf.hi; a++) {
          const got = applyMul32(a, pf, lo, hi), want = ref(a);
          if (got !== want) assert.fail(`prefix: ${arith} m=${m} shift=${shift} zp=${zp} [${lo}, ${hi}] range [${aMin}, ${pf.hi}]: a=${a} gives ${got}, TFLite ${want}`);
          checked++;
        }
        assert.ok(pf.hi < aMax && ref(pf.hi + 1) > ref(pf.hi), 'the prefix ends at a level end below the range end');
      }
      continue;
    }
    offered++;
    for (let a = aMin; a <= aMax; a++) {
      const got = applyMul32(a, f, lo, hi), want = ref(a);
      if (got !== want) assert.fail(`${arith} m=${m} shift=${shift} zp=${zp} [${lo}, ${hi}] range [${aMin}, ${aMax}]: a=${a} gives ${got}, TFLite ${want}`);
      checked++;
    }
  }
  // Both outcomes occur (wide ranges need more slope bits than 24), and the accepted ones were checked in full.
  assert.ok(offered > 40 && refused > 5 && prefixes > 3, `offered ${offered}, refused ${refused}, prefixes ${prefixes}`);
  assert.ok(checked > 100_000, `checked ${checked}`);
});

test('host table ADD (cpu-add.ts): every int8 pair equals TFLite\'s ADD (three double-rounding rescalings) for random scales', () => {
  const r = mulberry32(1515);
  let planned = 0;
  for (let t = 0; t < 24; t++) {
    // Scales as TFLite's ADD derives them: twice the larger input scale, left shift 20.
    const s1 = 0.01 + r() * 0.2, s2 = 0.01 + r() * 0.2, so = 0.02 + r() * 0.3;
    const twice = 2 * Math.max(s1, s2);
    const q1 = quantizeMultiplier(s1 / twice), q2 = quantizeMultiplier(s2 / twice), qo = quantizeMultiplier(twice / (2 ** 20 * so));
    const off1 = Math.floor(r() * 256) - 128, off2 = Math.floor(r() * 256) - 128, outOff = Math.floor(r() * 256) - 128;
    const [actMin, actMax] = t % 2 ? [outOff, 127] : [-128, 127];
    const op = { kind: 'add', name: `add${t}`, index: 0, sourceOp: 0, inputs: [0, 1], output: 2, macs: 0, outShape: [1, 1, 1, 8], aShape: [1, 1, 1, 8], bShape: [1, 1, 1, 8],
      input1Offset: off1, input2Offset: off2, outputOffset: outOff, leftShift: 20, input1Q: q1, input2Q: q2, outputQ: qo, actMin, actMax } as unknown as KAdd;
    const p = planHostAdd(op);
    if ('reason' in p) continue;
    planned++;
    const mb = (x: number, q: typeof q1) => multiplyByQuantizedMultiplier(x, q, 'tflm');
    for (let a = -128; a < 128; a++) for (let b = -128; b < 128; b++) {
      const want = clamp(mb(mb((a + off1) * 2 ** 20, q1) + mb((b + off2) * 2 ** 20, q2), qo) + outOff, actMin, actMax);
      if (hostAddElement(p, a, b, actMin, actMax) !== want) assert.fail(`add ${t}: a=${a} b=${b}: ${hostAddElement(p, a, b, actMin, actMax)} != ${want}`);
    }
  }
  assert.ok(planned >= 20, `table form planned for ${planned} of 24`);
});
