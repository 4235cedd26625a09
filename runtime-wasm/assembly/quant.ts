// Fixed-point helpers of the golden runtime: the AssemblyScript twin of compiler/quant/multiplier.ts
// (TFLite's MultiplyByQuantizedMultiplier in both named arithmetics) plus the gemmlowp fixed-point
// functions TFLite's int8 softmax is built from. Every kernel requantises through this file, so the
// rounding rules live in one place.
//   tflm   (double rounding): SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT.
//   tflite (single rounding): one 64-bit multiply, one round-half-up arithmetic right shift.

/** gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating INT32_MIN * INT32_MIN. */
// @ts-ignore: decorator
@inline export function srdhm(a: i32, b: i32): i32 {
  if (a == i32.MIN_VALUE && b == i32.MIN_VALUE) return i32.MAX_VALUE;
  const ab = <i64>a * <i64>b;
  const nudge: i64 = ab >= 0 ? <i64>(1 << 30) : <i64>1 - <i64>(1 << 30);
  // C++ (and wasm's i64.div_s) divide truncating toward zero.
  return <i32>((ab + nudge) / (<i64>1 << 31));
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero (0 <= exponent <= 31). */
// @ts-ignore: decorator
@inline export function rdbpot(x: i32, exponent: i32): i32 {
  const mask = <i32>((<u32>1 << <u32>exponent) - 1);
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite Micro's MultiplyByQuantizedMultiplier (double rounding). shift > 0 is a left shift. */
// @ts-ignore: decorator
@inline export function mbqmDouble(x: i32, multiplier: i32, shift: i32): i32 {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(x * (1 << left), multiplier), right);
}

/** TFLite's MultiplyByQuantizedMultiplier in TFLITE_SINGLE_ROUNDING builds (shift in [-31, 30]). */
// @ts-ignore: decorator
@inline export function mbqmSingle(x: i32, multiplier: i32, shift: i32): i32 {
  const total = <i64>(31 - shift);
  const round = <i64>1 << (total - 1);
  return <i32>((<i64>x * <i64>multiplier + round) >> total);
}

/** MultiplyByQuantizedMultiplier in the chosen arithmetic (single != 0: single rounding). */
// @ts-ignore: decorator
@inline export function mbqm(x: i32, multiplier: i32, shift: i32, single: i32): i32 {
  return single != 0 ? mbqmSingle(x, multiplier, shift) : mbqmDouble(x, multiplier, shift);
}

/** Requantise an int32 accumulator to int8: multiply, add the output zero point, clamp to the activation range. */
// @ts-ignore: decorator
@inline export function requant(acc: i32, multiplier: i32, shift: i32, single: i32, outOffset: i32, actMin: i32, actMax: i32): i32 {
  let v = mbqm(acc, multiplier, shift, single) + outOffset;
  v = v < actMin ? actMin : v;
  return v > actMax ? actMax : v;
}

// ---- gemmlowp fixed point (raw int32 values; "Qn" = n integer bits) ----

/** SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0: saturating left shift. */
// @ts-ignore: decorator
@inline export function satShiftLeft(x: i32, exponent: i32): i32 {
  const threshold = (1 << (31 - exponent)) - 1;
  if (x > threshold) return i32.MAX_VALUE;
  if (x < -threshold) return i32.MIN_VALUE;
  return x << exponent;
}

/** gemmlowp RoundingHalfSum: (a + b) / 2 rounded half away from zero, in 64 bits. */
export function roundingHalfSum(a: i32, b: i32): i32 {
  const sum = <i64>a + <i64>b;
  const sign: i64 = sum >= 0 ? 1 : -1;
  return <i32>((sum + sign) / 2);
}

/** exp(a) for a in [-1/4, 0), a and result in Q0. */
export function expOnIntervalNegQuarterTo0(a: i32): i32 {
  const constantTerm = 1895147668; // exp(-1/8) in Q0
  const oneThird = 715827883; // 1/3 in Q0
  const x = a + (1 << 28); // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = rdbpot(x4, 2);
  const poly = rdbpot(srdhm(x4Over4 + x3, oneThird) + x2, 1);
  return constantTerm + srdhm(constantTerm, x + poly);
}

/** gemmlowp exp_on_negative_values for a Q5 input (TFLite softmax's kScaledDiffIntegerBits = 5); result Q0. */
export function expOnNegativeValuesQ5(a: i32): i32 {
  const quarter = 1 << 24; // 1/4 in Q5 (26 fractional bits)
  const aModQuarterMinusQuarter = (a & (quarter - 1)) - quarter;
  let result = expOnIntervalNegQuarterTo0(satShiftLeft(aModQuarterMinusQuarter, 5));
  const remainder = aModQuarterMinusQuarter - a;
  // Barrel shifter: multiply by exp(-2^k) for every set bit k of the remainder (bit 26 + k).
  if (remainder & (1 << 24)) result = srdhm(result, 1672461947); // exp(-1/4)
  if (remainder & (1 << 25)) result = srdhm(result, 1302514674); // exp(-1/2)
  if (remainder & (1 << 26)) result = srdhm(result, 790015084); // exp(-1)
  if (remainder & (1 << 27)) result = srdhm(result, 290630308); // exp(-2)
  if (remainder & (1 << 28)) result = srdhm(result, 39332535); // exp(-4)
  if (remainder & (1 << 29)) result = srdhm(result, 720401); // exp(-8)
  if (remainder & (1 << 30)) result = srdhm(result, 242); // exp(-16)
  return a == 0 ? i32.MAX_VALUE : result;
}

/** gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a), a and result in Q0 (Newton-Raphson in Q2). */
export function oneOverOnePlusX(a: i32): i32 {
  const halfDenominator = roundingHalfSum(a, i32.MAX_VALUE);
  let x = 1515870810 + srdhm(halfDenominator, -1010580540); // 48/17 - 32/17 * d, Q2
  for (let i = 0; i < 3; i++) {
    const oneMinusHalfDenTimesX = (1 << 29) - srdhm(halfDenominator, x);
    x = x + satShiftLeft(srdhm(x, oneMinusHalfDenTimesX), 2);
  }
  return satShiftLeft(x, 1);
}
