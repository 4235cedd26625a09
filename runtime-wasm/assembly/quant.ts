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

// ---- four channels at once (SIMD build only) ----
// The requantisation table `rq` of a layer with oc channels holds, per channel, what the double-rounding
// MultiplyByQuantizedMultiplier needs as lane-wise operands (wasm SIMD has no per-lane variable shift):
//   leftMul i32 [oc] = 1 << max(shift, 0), mask i32 [oc] = 2^right - 1, rightMul i64 [oc] = 2^(32 - right),
// with right = max(-shift, 0). x >> right is computed as (x * 2^(32 - right)) >> 32 in 64-bit lanes.

/** Double-rounding requantisation of channels oc..oc+3 (acc lanes), offset, clamp; returns i32x4. */
// @ts-ignore: decorator
@inline export function requant4Double(acc: v128, oc: i32, nChannels: i32, mult: usize, rq: usize,
  outOffset: i32, actMin: i32, actMax: i32): v128 {
  const o4 = <usize>oc << 2;
  const m = v128.load(mult + o4);
  const x = i32x4.mul(acc, v128.load(rq + o4));
  // SaturatingRoundingDoublingHighMul (the INT32_MIN * INT32_MIN case cannot occur: multipliers are >= 0).
  const hiLo = srdhm2(i64x2.extmul_low_i32x4_s(x, m));
  const hiHi = srdhm2(i64x2.extmul_high_i32x4_s(x, m));
  const r = v128.shuffle<i32>(hiLo, hiHi, 0, 2, 4, 6);
  // RoundingDivideByPOT with per-lane exponents.
  const mask = v128.load(rq + (<usize>nChannels << 2) + o4);
  const rMul = rq + (<usize>nChannels << 3) + (<usize>oc << 3);
  const fLo = i64x2.shr_s(i64x2.mul(i64x2.extend_low_i32x4_s(r), v128.load(rMul)), 32);
  const fHi = i64x2.shr_s(i64x2.mul(i64x2.extend_high_i32x4_s(r), v128.load(rMul + 16)), 32);
  const floorShift = v128.shuffle<i32>(fLo, fHi, 0, 2, 4, 6);
  const remainder = v128.and(r, mask);
  const threshold = i32x4.sub(i32x4.shr_u(mask, 1), i32x4.shr_s(r, 31));
  let v = i32x4.sub(floorShift, i32x4.gt_s(remainder, threshold));
  v = i32x4.add(v, i32x4.splat(outOffset));
  v = i32x4.max_s(v, i32x4.splat(actMin));
  return i32x4.min_s(v, i32x4.splat(actMax));
}

/**
 * srdhm's rounding division by 2^31 on two 64-bit products: gemmlowp's (ab + nudge) / 2^31 truncating, with
 * nudge 2^30 (ab >= 0) or 1 - 2^30 (ab < 0), equals floor((ab + 2^30) / 2^31) for every ab (for ab < 0 the
 * truncation is a ceiling, and ceil((ab + 1 - 2^30) / 2^31) = floor((ab + 2^30) / 2^31)), so one add and one
 * arithmetic shift.
 */
// @ts-ignore: decorator
@inline function srdhm2(ab: v128): v128 {
  return i64x2.shr_s(i64x2.add(ab, i64x2.splat(<i64>1 << 30)), 31);
}

/** Stores the four int8 values of an i32x4 already clamped to int8. */
// @ts-ignore: decorator
@inline export function store4(dst: usize, v: v128): void {
  const n16 = i16x8.narrow_i32x4_s(v, v);
  v128.store32_lane(dst, i8x16.narrow_i16x8_s(n16, n16), 0);
}

/** Double-rounding MultiplyByQuantizedMultiplier of four lanes sharing one (multiplier, shift). */
// @ts-ignore: decorator
@inline export function mbqm4Uniform(x: v128, multiplier: i32, shift: i32): v128 {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot4(srdhm4(i32x4.shl(x, left), i32x4.splat(multiplier)), right);
}

/**
 * SaturatingRoundingDoublingHighMul of four lanes by the multiplier lanes m; the INT32_MIN * INT32_MIN
 * saturation is not emulated: callers' multipliers are never INT32_MIN (QuantizeMultiplier gives
 * |m| < 2^31).
 */
// @ts-ignore: decorator
@inline export function srdhm4(x: v128, m: v128): v128 {
  return v128.shuffle<i32>(srdhm2(i64x2.extmul_low_i32x4_s(x, m)), srdhm2(i64x2.extmul_high_i32x4_s(x, m)), 0, 2, 4, 6);
}

/** RoundingDivideByPOT of four lanes by one exponent (0..31). */
// @ts-ignore: decorator
@inline export function rdbpot4(r: v128, right: i32): v128 {
  const mask = i32x4.splat(<i32>((<u32>1 << <u32>right) - 1));
  const threshold = i32x4.sub(i32x4.shr_u(mask, 1), i32x4.shr_s(r, 31));
  return i32x4.sub(i32x4.shr_s(r, right), i32x4.gt_s(v128.and(r, mask), threshold));
}

/**
 * mbqm4Uniform(v << lshift, multiplier, shift) for |v| <= 255 (an int8 value plus an offset) and
 * 15 <= L <= 23, L = lshift + max(shift, 0), in 32-bit lanes only: then v * 2^L fits in int32 (no wrap to
 * emulate) and srdhm(v * 2^L, m) = floor((v * m * 2^L + 2^30) / 2^31) = floor((v * m + 2^(k-1)) / 2^k) with
 * k = 31 - L in [8, 16]; splitting m = mh * 2^16 + ml (ml in [0, 2^16)) gives
 * v * mh * 2^(16-k) + floor((v * ml + 2^(k-1)) / 2^k), exact modulo 2^32 (|v * ml| < 2^24) and the result
 * fits in int32. Then RoundingDivideByPOT by max(-shift, 0). Callers check smallShiftOk first.
 */
// @ts-ignore: decorator
@inline export function mbqm4Small(v: v128, lshift: i32, multiplier: i32, shift: i32): v128 {
  const k = 31 - lshift - (shift > 0 ? shift : 0);
  const hi = i32x4.shl(i32x4.mul(v, i32x4.splat(multiplier >> 16)), 16 - k);
  const lo = i32x4.shr_s(i32x4.add(i32x4.mul(v, i32x4.splat(multiplier & 0xffff)), i32x4.splat(1 << (k - 1))), k);
  return rdbpot4(i32x4.add(hi, lo), shift > 0 ? 0 : -shift);
}

/** Whether mbqm4Small applies: offsets within int8 zero points (|v| <= 255) and 15 <= lshift + max(shift, 0) <= 23. */
// @ts-ignore: decorator
@inline export function smallShiftOk(offset: i32, lshift: i32, shift: i32): bool {
  const l = lshift + (shift > 0 ? shift : 0);
  return offset >= -128 && offset <= 128 && l >= 15 && l <= 23;
}

// ---- gemmlowp logistic / tanh on a Q4 input (TFLite Micro's int8 LOGISTIC and TANH) ----

/** exp_on_negative_values for a raw input with `intBits` integer bits (4 or 5 here); result Q0. */
export function expOnNegativeValues(a: i32, intBits: i32): i32 {
  const fracBits = 31 - intBits;
  const quarter = 1 << (fracBits - 2);
  const aModQuarterMinusQuarter = (a & (quarter - 1)) - quarter;
  let result = expOnIntervalNegQuarterTo0(satShiftLeft(aModQuarterMinusQuarter, intBits));
  const remainder = aModQuarterMinusQuarter - a;
  // Barrel shifter: exp(-2^k) for the set bits fracBits + k of the remainder, k = -2 .. intBits - 1.
  if (intBits > -2 && (remainder & (1 << (fracBits - 2)))) result = srdhm(result, 1672461947);
  if (intBits > -1 && (remainder & (1 << (fracBits - 1)))) result = srdhm(result, 1302514674);
  if (intBits > 0 && (remainder & (1 << fracBits))) result = srdhm(result, 790015084);
  if (intBits > 1 && (remainder & (1 << (fracBits + 1)))) result = srdhm(result, 290630308);
  if (intBits > 2 && (remainder & (1 << (fracBits + 2)))) result = srdhm(result, 39332535);
  if (intBits > 3 && (remainder & (1 << (fracBits + 3)))) result = srdhm(result, 720401);
  if (intBits > 4 && (remainder & (1 << (fracBits + 4)))) result = srdhm(result, 242);
  return a == 0 ? i32.MAX_VALUE : result;
}

/** gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: (1 - a) / (1 + a), Q0 -> Q0. */
export function oneMinusXOverOnePlusX(a: i32): i32 {
  const halfDenominator = roundingHalfSum(a, i32.MAX_VALUE);
  let x = 1515870810 + srdhm(halfDenominator, -1010580540);
  for (let i = 0; i < 3; i++) {
    const oneMinusHalfDenTimesX = (1 << 29) - srdhm(halfDenominator, x);
    x = x + satShiftLeft(srdhm(x, oneMinusHalfDenTimesX), 2);
  }
  return satShiftLeft(x - (1 << 29), 2);
}

/** gemmlowp logistic of a Q4 raw value; Q0 result. */
export function logisticQ4(a: i32): i32 {
  if (a == 0) return 1 << 30;
  const pos = oneOverOnePlusX(expOnNegativeValues(a > 0 ? -a : a, 4));
  return a > 0 ? pos : i32.MAX_VALUE - pos;
}

/** gemmlowp tanh of a Q4 raw value; Q0 result (exp(2x) read as Q5 of the same raw value). */
export function tanhQ4(a: i32): i32 {
  if (a == 0) return 0;
  const t = oneMinusXOverOnePlusX(expOnNegativeValues(a < 0 ? a : -a, 5));
  return a < 0 ? -t : t;
}

// ---- int16 fixed point of TFLite's int8 HARD_SWISH ----

/** gemmlowp SaturatingRoundingDoublingHighMul on int16 values. */
// @ts-ignore: decorator
@inline export function srdhm16(a: i32, b: i32): i32 {
  if (a == -32768 && b == -32768) return 32767;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return <i32><i16>((ab + nudge) / 32768);
}

/** (a * b) / 2^15 truncated (TFLite's SaturatingDoublingHighMul, like SQDMULH). */
// @ts-ignore: decorator
@inline export function sdhm16(a: i32, b: i32): i32 {
  if (a == -32768 && b == -32768) return 32767;
  return <i32><i16>((a * b) / 32768);
}

/** gemmlowp RoundingDivideByPOT on int16 (mask and threshold are int16: degenerate for exponent >= 16). */
// @ts-ignore: decorator
@inline export function rdbpot16(x: i32, exponent: i32): i32 {
  const mask = <i32><i16>((<i64>1 << <i64>exponent) - 1);
  const remainder = <i32><i16>(x & mask);
  const threshold = <i32><i16>((mask >> 1) + (x < 0 ? 1 : 0));
  return <i32><i16>((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/** int16 left shift saturated to int16. */
// @ts-ignore: decorator
@inline export function satLeftShift16(x: i32, amount: i32): i32 {
  const v = <i64>x << <i64>amount;
  return v > 32767 ? 32767 : v < -32768 ? -32768 : <i32>v;
}
