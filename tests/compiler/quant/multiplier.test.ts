// Known answers for the fixed-point helpers, each derived by hand in the comment next to it
// (frexp: x = q * 2^e with 0.5 <= q < 1; multiplier = round_half_away(q * 2^31)).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  multiplyByQuantizedMultiplier, quantizeMultiplier, roundingDivideByPOT, roundHalfAway, srdhm,
} from '../../../compiler/quant/multiplier.ts';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

test('quantizeMultiplier: exactly 0.5 and powers of two', () => {
  // 0.5 = 0.5 * 2^0 -> 0.5 * 2^31 = 2^30 = 1073741824, shift 0
  assert.deepEqual(quantizeMultiplier(0.5), { multiplier: 1073741824, shift: 0 });
  // 1 = 0.5 * 2^1 -> 2^30, shift 1
  assert.deepEqual(quantizeMultiplier(1), { multiplier: 1073741824, shift: 1 });
  // 0.25 = 0.5 * 2^-1 -> 2^30, shift -1
  assert.deepEqual(quantizeMultiplier(0.25), { multiplier: 1073741824, shift: -1 });
  // 0 is special-cased to (0, 0)
  assert.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
});

test('quantizeMultiplier: an ordinary value', () => {
  // 0.1 = 0.8 * 2^-3; 0.8 * 2147483648 = 1717986918.4 -> 1717986918
  assert.deepEqual(quantizeMultiplier(0.1), { multiplier: 1717986918, shift: -3 });
  // 3 = 0.75 * 2^2; 0.75 * 2^31 = 1610612736 (a multiplier > 1)
  assert.deepEqual(quantizeMultiplier(3), { multiplier: 1610612736, shift: 2 });
});

test('quantizeMultiplier: mantissa rounding up to 2^31 carries into the exponent', () => {
  // 1 - 2^-40 = (1 - 2^-40) * 2^0; q * 2^31 = 2^31 - 2^-9 rounds to 2^31 -> halve: 2^30, shift 0 + 1 = 1
  assert.deepEqual(quantizeMultiplier(1 - 2 ** -40), { multiplier: 1073741824, shift: 1 });
  // just below: 1 - 2^-31 -> q * 2^31 = 2^31 - 1 exactly, no carry
  assert.deepEqual(quantizeMultiplier(1 - 2 ** -31), { multiplier: 2147483647, shift: 0 });
});

test('quantizeMultiplier: ties round half away from zero (also for negative multipliers)', () => {
  // 0.5 + 2^-32: q * 2^31 = 2^30 + 0.5 -> 2^30 + 1
  assert.deepEqual(quantizeMultiplier(0.5 + 2 ** -32), { multiplier: 1073741825, shift: 0 });
  // the negative twin rounds to -(2^30 + 1), where Math.round would give -2^30
  assert.deepEqual(quantizeMultiplier(-(0.5 + 2 ** -32)), { multiplier: -1073741825, shift: 0 });
});

test('quantizeMultiplier: tiny multipliers underflow to 0', () => {
  // 2^-32 = 0.5 * 2^-31: shift -31 is still allowed
  assert.deepEqual(quantizeMultiplier(2 ** -32), { multiplier: 1073741824, shift: -31 });
  // 2^-33 = 0.5 * 2^-32: shift < -31 -> flushed to (0, 0)
  assert.deepEqual(quantizeMultiplier(2 ** -33), { multiplier: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(1e-12), { multiplier: 0, shift: 0 });
});

test('quantizeMultiplier: single rounding limits the shift to 30', () => {
  // 2^31 = 0.5 * 2^32: shift 32 > 30 -> saturate to (2^31 - 1, 30) in single-rounding builds only
  assert.deepEqual(quantizeMultiplier(2 ** 31, true), { multiplier: 2147483647, shift: 30 });
  assert.deepEqual(quantizeMultiplier(2 ** 31, false), { multiplier: 1073741824, shift: 32 });
  // 2^29 = 0.5 * 2^30: shift 30 is allowed either way
  assert.deepEqual(quantizeMultiplier(2 ** 29, true), { multiplier: 1073741824, shift: 30 });
});

test('roundHalfAway', () => {
  assert.equal(roundHalfAway(2.5), 3);
  assert.equal(roundHalfAway(-2.5), -3);
  assert.equal(roundHalfAway(-0.5), -1);
  assert.equal(roundHalfAway(-2.4), -2);
});

test('srdhm: products, ties and saturation', () => {
  // 2^30 * 2^30 = 2^60; (2^60 + 2^30) / 2^31 = 2^29 + 0.5, truncated -> 2^29 (0.5 * 0.5 = 0.25 in Q31)
  assert.equal(srdhm(2 ** 30, 2 ** 30), 536870912);
  // 3 * 2^30 / 2^31 = 1.5: positive nudge 2^30 -> (3 * 2^30 + 2^30) / 2^31 = 2
  assert.equal(srdhm(3, 2 ** 30), 2);
  // -1.5: nudge 1 - 2^30 -> (-3 * 2^30 + 1 - 2^30) / 2^31 = (-2^32 + 1) / 2^31 = -1.99.., truncated -> -1
  assert.equal(srdhm(-3, 2 ** 30), -1);
  // -0.5: (-2^30 + 1 - 2^30) / 2^31 = (-2^31 + 1) / 2^31 -> 0 (negative ties go toward zero)
  assert.equal(srdhm(-1, 2 ** 30), 0);
  // -1.75: -7 * 2^29 + 1 - 2^30 = -9 * 2^29 + 1 -> / 2^31 = -2.24.. -> -2
  assert.equal(srdhm(-7, 2 ** 29), -2);
  // the one overflow: INT32_MIN * INT32_MIN saturates to INT32_MAX
  assert.equal(srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
  // (2^31 - 1)^2 = 2^62 - 2^32 + 1; + 2^30; / 2^31 = 2^31 - 2 + (2^30 + 1) / 2^31 -> 2^31 - 2
  assert.equal(srdhm(INT32_MAX, INT32_MAX), 2147483646);
  // -2^31 * (2^31 - 1) = -2^62 + 2^31; + 1 - 2^30; / 2^31 = -2^31 + 1 - 0.5 + 2^-31 -> -2^31 + 1
  assert.equal(srdhm(INT32_MIN, INT32_MAX), -2147483647);
});

test('roundingDivideByPOT: ties away from zero, negatives, large exponents', () => {
  assert.equal(roundingDivideByPOT(5, 1), 3); // 2.5 -> 3
  assert.equal(roundingDivideByPOT(-5, 1), -3); // -2.5 -> -3
  assert.equal(roundingDivideByPOT(-6, 2), -2); // -1.5 -> -2
  assert.equal(roundingDivideByPOT(-5, 2), -1); // -1.25 -> -1
  assert.equal(roundingDivideByPOT(7, 2), 2); // 1.75 -> 2
  assert.equal(roundingDivideByPOT(123, 0), 123);
  assert.equal(roundingDivideByPOT(INT32_MAX, 31), 1); // 0.99999.. -> 1
  assert.equal(roundingDivideByPOT(INT32_MIN, 31), -1); // exactly -1
  assert.equal(roundingDivideByPOT(-(2 ** 30), 31), -1); // -0.5 -> -1
  assert.equal(roundingDivideByPOT(2 ** 30, 31), 1); // 0.5 -> 1
  assert.equal(roundingDivideByPOT(2 ** 30 - 1, 31), 0); // just below 0.5 -> 0
});

test('multiplyByQuantizedMultiplier: single vs double rounding', () => {
  const quarter = { multiplier: 2 ** 30, shift: -1 }; // 0.5 * 2^-1 = 0.25
  // x = 5, real 1.25. tflm: srdhm(5, 2^30) = 2.5 -> 3, then 3 / 2 = 1.5 -> 2 (double rounding error)
  assert.equal(multiplyByQuantizedMultiplier(5, quarter, 'tflm'), 2);
  // tflite: (5 * 2^30 + 2^31) >> 32 = floor(7 * 2^30 / 2^32) = floor(1.75) = 1
  assert.equal(multiplyByQuantizedMultiplier(5, quarter, 'tflite'), 1);
  // x = -5, real -1.25. tflm: srdhm = -2.5 -> -2, then -2 / 2 = -1. tflite: (-5 * 2^30 + 2^31) >> 32 = floor(-0.75) = -1
  assert.equal(multiplyByQuantizedMultiplier(-5, quarter, 'tflm'), -1);
  assert.equal(multiplyByQuantizedMultiplier(-5, quarter, 'tflite'), -1);
  // left shift: real 2 = 0.5 * 2^2. tflm: 3 << 2 = 12, srdhm(12, 2^30) = 6. tflite: (3 * 2^30 + 2^28) >> 29 = 6
  const two = { multiplier: 2 ** 30, shift: 2 };
  assert.equal(multiplyByQuantizedMultiplier(3, two, 'tflm'), 6);
  assert.equal(multiplyByQuantizedMultiplier(3, two, 'tflite'), 6);
  // tflite with shift 0: x = -3, real -1.5: (-3 * 2^30 + 2^30) >> 31 = -1 (round half up)
  assert.equal(multiplyByQuantizedMultiplier(-3, { multiplier: 2 ** 30, shift: 0 }, 'tflite'), -1);
});
