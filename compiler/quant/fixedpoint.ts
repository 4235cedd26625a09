// gemmlowp fixed-point functions on the host, for the lookup tables of the int8 element-wise operators
// (compiler/quant/unary.ts): logistic and tanh on a Q4 input (TFLite Micro's int8 LOGISTIC and TANH), and
// the int16 helpers of TFLite's int8 HARD_SWISH. Raw int32 values; "Qn" = n integer bits, 31 - n fractional.
// The golden runtime's twin is runtime-wasm/assembly/quant.ts; the two are written independently and
// checked against each other (and against TFLite) by the tests.
import { roundingDivideByPOT, srdhm } from './multiplier.ts';

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** SaturatingRoundingMultiplyByPOT<e>, e > 0 (a left shift that saturates), int32. */
function satMulPot(x: number, e: number): number {
  const v = x * 2 ** e;
  return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v;
}

/** exp(a) for a in [-1/4, 0): a and result Q0. */
function expQuarter(a: number): number {
  const c = 1895147668; // exp(-1/8)
  const oneThird = 715827883;
  const x = (a + (1 << 28)) | 0;
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT((srdhm((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1);
  return (c + srdhm(c, (x + poly) | 0)) | 0;
}

/** gemmlowp exp_on_negative_values for a raw value with `intBits` integer bits (a <= 0); result Q0. */
export function expOnNegative(a: number, intBits: number): number {
  const frac = 31 - intBits;
  const quarter = 2 ** (frac - 2);
  const aModQuarterMinusQuarter = ((a & (quarter - 1)) - quarter) | 0;
  let result = expQuarter(satMulPot(aModQuarterMinusQuarter, intBits));
  const remainder = (aModQuarterMinusQuarter - a) | 0;
  // exp(-2^k) for k = -2 .. 4, applied for each set bit of the remainder (bit frac + k), while k < intBits.
  const mults = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242];
  for (let k = -2; k <= 4; k++) {
    if (intBits > k && (remainder & 2 ** (frac + k)) !== 0) result = srdhm(result, mults[k + 2]!);
  }
  if (intBits > 5) {
    const clampAt = -(2 ** (36 - intBits)); // -32 in Q(intBits)
    if (a < clampAt) result = 0;
  }
  return a === 0 ? INT32_MAX : result;
}

/** gemmlowp RoundingHalfSum (int32, in 64-bit). */
function roundingHalfSum(a: number, b: number): number {
  const s = a + b;
  return Math.trunc((s + (s >= 0 ? 1 : -1)) / 2);
}

/** Newton-Raphson for 1 / (2 * halfDenominator) in Q2, the shared part of the two divisions below. */
function newtonQ2(halfDen: number): number {
  let x = (1515870810 + srdhm(halfDen, -1010580540)) | 0; // 48/17 - 32/17 * d
  for (let i = 0; i < 3; i++) {
    const oneMinus = ((1 << 29) - srdhm(halfDen, x)) | 0;
    x = (x + satMulPot(srdhm(x, oneMinus), 2)) | 0;
  }
  return x;
}

/** 1 / (1 + a) for a in [0, 1): Q0 -> Q0. */
export function oneOverOnePlusX(a: number): number {
  return satMulPot(newtonQ2(roundingHalfSum(a, INT32_MAX)), 1);
}

/** (1 - a) / (1 + a) for a in [0, 1): Q0 -> Q0. */
export function oneMinusXOverOnePlusX(a: number): number {
  return satMulPot((newtonQ2(roundingHalfSum(a, INT32_MAX)) - (1 << 29)) | 0, 2);
}

/** gemmlowp logistic of a Q`intBits` value; result Q0 (1/2 for 0). */
export function logisticFx(a: number, intBits: number): number {
  if (a === 0) return 1 << 30;
  const abs = a > 0 ? a : -a;
  const pos = oneOverOnePlusX(expOnNegative(-abs, intBits));
  return a > 0 ? pos : (INT32_MAX - pos) | 0;
}

/** gemmlowp tanh of a Q`intBits` value; result Q0. */
export function tanhFx(a: number, intBits: number): number {
  if (a === 0) return 0;
  const n = a < 0 ? a : -a;
  // exp(2n): the raw value reread with one more integer bit (ExactMulByPot<1>).
  const t = oneMinusXOverOnePlusX(expOnNegative(n, intBits + 1));
  return a < 0 ? -t : t;
}

// ---- int16 helpers of HARD_SWISH (gemmlowp's int16 specialisations, TFLite's hard_swish.h) ----

const I16_MIN = -32768, I16_MAX = 32767;
const i16 = (v: number): number => ((v << 16) >> 16);

/** gemmlowp SaturatingRoundingDoublingHighMul for int16. */
export function srdhm16(a: number, b: number): number {
  if (a === I16_MIN && b === I16_MIN) return I16_MAX;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return i16(Math.trunc((ab + nudge) / 32768));
}

/** SQDMULH-like: (a * b) / 2^15 truncated toward zero, saturating only -32768 * -32768. */
export function sdhm16(a: number, b: number): number {
  if (a === I16_MIN && b === I16_MIN) return I16_MAX;
  return i16(Math.trunc((a * b) / 32768));
}

/**
 * gemmlowp RoundingDivideByPOT on int16: the mask (2^e - 1) is an int16 too, so for e >= 16 it is -1 and
 * the result degenerates (1 for x >= 0, -1 for x < 0); kept, since TFLite computes exactly that.
 */
export function rdbpot16(x: number, e: number): number {
  const mask = i16(2 ** e - 1);
  const remainder = i16(x & mask);
  const threshold = i16((mask >> 1) + (x < 0 ? 1 : 0));
  return i16((x >> e) + (remainder > threshold ? 1 : 0));
}

/** Left shift of an int16 by `amount`, saturated to int16. */
export function satLeftShift16(x: number, amount: number): number {
  const v = x * 2 ** amount;
  return v > I16_MAX ? I16_MAX : v < I16_MIN ? I16_MIN : v;
}

// ---- int16 logistic and tanh of TFLite's integer LSTM (gemmlowp's FixedPoint<int16_t, ib>) ----
// The host's copy, for compile-time tables (the Cortex-M lstm.lut kernel); the golden runtime's twin is
// runtime-wasm/assembly/lstm.ts, the C's runtime.h tf_logistic16 / tf_tanh16, all checked equal on every input.

/** A gemmlowp int32 fixed-point constant rounded to 16 bits (RescaleConstantInitializer). */
const k16 = (c: number): number => i16(roundingDivideByPOT(c, 16));

/** exp(a) on [-1/4, 0), Q0.15. */
function expQuarter16(a: number): number {
  const ct = k16(1895147668);
  const x = i16(a + (1 << 12));
  const x2 = srdhm16(x, x), x3 = srdhm16(x2, x), x4 = srdhm16(x2, x2);
  const poly = rdbpot16(i16(srdhm16(i16(rdbpot16(x4, 2) + x3), k16(715827883)) + x2), 1);
  const r = ct + srdhm16(ct, i16(x + poly));
  return r > I16_MAX ? I16_MAX : r; // AddSaturatingIf16Bit
}

const EXP_BARREL = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242];

/** gemmlowp exp_on_negative_values on FixedPoint<int16, ib> (a <= 0); Q0.15. */
function expNeg16(a: number, ib: number): number {
  const frac = 15 - ib;
  const quarter = 1 << (frac - 2);
  const amq = i16((a & (quarter - 1)) - quarter);
  let r = expQuarter16(ib > 0 ? satLeftShift16(amq, ib) : amq);
  const rem = i16(amq - a);
  EXP_BARREL.forEach((c, j) => {
    const e = j - 2;
    if (ib > e && (rem & (1 << (frac + e))) !== 0) r = srdhm16(r, k16(c));
  });
  if (ib > 5 && a < k16(-(2 ** (36 - ib)))) r = 0;
  return a === 0 ? I16_MAX : r;
}

/** Newton-Raphson of gemmlowp's one_over_one_plus_x / one_minus_x_over_one_plus_x: x in Q2.13. */
function newton16(a: number): number {
  const sum = a + I16_MAX;
  const half = i16(Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2));
  let x = i16(k16(1515870810) + srdhm16(half, k16(-1010580540)));
  for (let i = 0; i < 3; i++) x = i16(x + satLeftShift16(srdhm16(x, i16(8192 - srdhm16(half, x))), 2));
  return x;
}

/** gemmlowp logistic of an int16 with `ib` integer bits; Q0.15 (16384 for 0). */
export function logistic16(a: number, ib: number): number {
  if (a === 0) return 16384;
  const pos = satLeftShift16(newton16(expNeg16(a > 0 ? i16(-a) : a, ib)), 1);
  return a > 0 ? pos : i16(I16_MAX - pos);
}

/** gemmlowp tanh of an int16 with `ib` integer bits; Q0.15. */
export function tanh16(a: number, ib: number): number {
  if (a === 0) return 0;
  const t = satLeftShift16(i16(newton16(expNeg16(a < 0 ? a : i16(-a), ib + 1)) - 8192), 2);
  return a < 0 ? i16(-t) : t;
}
