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
