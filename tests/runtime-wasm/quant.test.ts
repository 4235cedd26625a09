// The wasm's fixed-point helpers against hand-computed answers (ties, negatives, saturation, large shifts)
// and against the host's BigInt implementation in compiler/quant/multiplier.ts on random operands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { multiplyByQuantizedMultiplier } from '../../compiler/quant/multiplier.ts';
import { rng, randInt } from './graphs.ts';

const MIN = -2147483648;
const MAX = 2147483647;
const runtimes = [await GoldenRuntime.load({ simd: false }), await GoldenRuntime.load({ simd: true })];

for (const rt of runtimes) {
  const ex = rt.ex;
  const name = rt.simd ? 'simd' : 'scalar';

  test(`${name}: SaturatingRoundingDoublingHighMul known answers`, () => {
    assert.equal(ex.qSrdhm(MIN, MIN), MAX); // the one overflow case saturates
    assert.equal(ex.qSrdhm(1 << 30, 1 << 30), 1 << 29); // 0.5 * 0.5 = 0.25, exact
    assert.equal(ex.qSrdhm(3, 1 << 30), 2); // 1.5 -> 2
    assert.equal(ex.qSrdhm(-3, 1 << 30), -1); // -1.5: (-3*2^30 + 1 - 2^30) / 2^31 truncates to -1
    assert.equal(ex.qSrdhm(-1, 1 << 30), 0); // -0.5 -> 0
    assert.equal(ex.qSrdhm(MAX, MAX), MAX - 1);
    assert.equal(ex.qSrdhm(MIN, MAX), MIN + 1);
  });

  test(`${name}: RoundingDivideByPOT known answers`, () => {
    assert.equal(ex.qRdbpot(5, 1), 3); // 2.5 -> 3
    assert.equal(ex.qRdbpot(-5, 1), -3); // -2.5 -> -3 (away from zero)
    assert.equal(ex.qRdbpot(-4, 1), -2);
    assert.equal(ex.qRdbpot(6, 2), 2); // 1.5 -> 2
    assert.equal(ex.qRdbpot(-6, 2), -2); // -1.5 -> -2
    assert.equal(ex.qRdbpot(7, 2), 2); // 1.75 -> 2
    assert.equal(ex.qRdbpot(-7, 2), -2);
    assert.equal(ex.qRdbpot(42, 0), 42);
    assert.equal(ex.qRdbpot(MIN, 31), -1);
    assert.equal(ex.qRdbpot(MAX, 31), 1); // 0.99999... -> 1
    assert.equal(ex.qRdbpot(-1, 31), 0);
  });

  test(`${name}: MultiplyByQuantizedMultiplier, tflm (double) vs tflite (single rounding)`, () => {
    // 5 * 0.25: double rounding 5*0.5 = 2.5 -> 3, 3/2 = 1.5 -> 2; single rounding 1.25 -> 1.
    assert.equal(ex.qMultiply(5, 1 << 30, -1, 0), 2);
    assert.equal(ex.qMultiply(5, 1 << 30, -1, 1), 1);
    // -5 * 0.25 = -1.25: both -1.
    assert.equal(ex.qMultiply(-5, 1 << 30, -1, 0), -1);
    assert.equal(ex.qMultiply(-5, 1 << 30, -1, 1), -1);
    // Exact tie -6 * 0.25 = -1.5: tflm rounds away (-2), tflite rounds half up (-1).
    assert.equal(ex.qMultiply(-6, 1 << 30, -1, 0), -2);
    assert.equal(ex.qMultiply(-6, 1 << 30, -1, 1), -1);
    // Left shift: 3 * 0.5 * 2^2 = 6 in both.
    assert.equal(ex.qMultiply(3, 1 << 30, 2, 0), 6);
    assert.equal(ex.qMultiply(3, 1 << 30, 2, 1), 6);
    // Saturation through the multiply: INT32_MIN * INT32_MIN (shift 0) -> INT32_MAX.
    assert.equal(ex.qMultiply(MIN, MIN, 0, 0), MAX);
    // Largest right shift (31): 2^30 * 0.5 / 2^31 = 0.25 -> 0; MAX * ~1 / 2^31 ~ 1 -> 1.
    assert.equal(ex.qMultiply(1 << 30, 1 << 30, -31, 0), 0);
    assert.equal(ex.qMultiply(MAX, MAX, -31, 0), 1);
    assert.equal(ex.qMultiply(MAX, MAX, -31, 1), 1); // (2^62 - 2^32 + 1 + 2^61) >> 62
    // Largest single-rounding left shift (30): 1 * (2^30 / 2^31) * 2^30 = 2^29.
    assert.equal(ex.qMultiply(1, 1 << 30, 30, 1), 1 << 29);
  });

  test(`${name}: MultiplyByQuantizedMultiplier equals compiler/quant/multiplier.ts on 20000 random operands`, () => {
    const r = rng(2024);
    for (let i = 0; i < 20000; i++) {
      const x = i % 4 === 0 ? randInt(r, -(1 << 20), 1 << 20) : (r() * 4294967296 - 2147483648) | 0;
      const m = { multiplier: randInt(r, 1 << 30, MAX), shift: randInt(r, -31, 8) };
      // Keep x * 2^shift inside int32 for left shifts, as TFLite's callers do.
      const xs = m.shift > 0 ? x >> m.shift : x;
      assert.equal(ex.qMultiply(xs, m.multiplier, m.shift, 0), multiplyByQuantizedMultiplier(xs, m, 'tflm'), `tflm ${xs} ${m.multiplier} ${m.shift}`);
      if (m.shift <= 30) assert.equal(ex.qMultiply(xs, m.multiplier, m.shift, 1), multiplyByQuantizedMultiplier(xs, m, 'tflite'), `tflite ${xs} ${m.multiplier} ${m.shift}`);
    }
  });

  test(`${name}: gemmlowp exp_on_negative_values (Q5 -> Q0) and 1/(1+x) approximate the real functions`, () => {
    assert.equal(ex.qExpOnNegativeValues(0), MAX); // exp(0) = 1 saturates to the Q0 one
    for (const x of [-0.001, -0.125, -0.25, -0.5, -1, -2, -3.7, -8, -16, -31.9]) {
      const raw = Math.round(x * 2 ** 26);
      const got = ex.qExpOnNegativeValues(raw) / 2 ** 31;
      assert.ok(Math.abs(got - Math.exp(raw / 2 ** 26)) < 1e-6, `exp(${x}) = ${got}`);
    }
    for (const x of [0.001, 0.25, 0.5, 0.75, 0.999]) {
      const got = ex.qOneOverOnePlusX(Math.round(x * 2 ** 31)) / 2 ** 31;
      assert.ok(Math.abs(got - 1 / (1 + x)) < 1e-6, `1/(1+${x}) = ${got}`);
    }
  });
}
