// Fixed-point requantisation on the host: the one place this arithmetic lives in TypeScript.
// QuantizeMultiplier turns a real multiplier into (int32 multiplier, shift) exactly as TFLite does
// (frexp, round the mantissa to 31 bits half away from zero, carry 2^31 into the exponent); the
// multiply helpers implement both arithmetics named in ../shared/docs/tflite-reference.md:
//   tflm   - SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT (double rounding);
//   tflite - one 64-bit multiply and one round-half-up right shift (single rounding, shift <= 30).

export type Arith = 'tflm' | 'tflite';
export const ARITH_MODES: readonly Arith[] = ['tflm', 'tflite'];

export interface QuantizedMultiplier {
  /** Q31 mantissa in [2^30, 2^31) (or 0). */
  multiplier: number;
  /** Power-of-two exponent: positive = left shift (TFLite's convention). */
  shift: number;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** TfLiteRound / std::round: half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** std::frexp: x = m * 2^e with 0.5 <= |m| < 1 (m = 0, e = 0 for x = 0). Exact for finite doubles. */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let m = x * Math.pow(2, -e);
  // log2 can be off by one near powers of two; normalise.
  while (Math.abs(m) < 0.5) { m *= 2; e -= 1; }
  while (Math.abs(m) >= 1) { m /= 2; e += 1; }
  return [m, e];
}

/** TFLite's QuantizeMultiplier. `singleRounding` applies the TFLITE_SINGLE_ROUNDING shift limit of 30. */
export function quantizeMultiplier(real: number, singleRounding = false): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  const [q, e] = frexp(real);
  let shift = e;
  let qFixed = roundHalfAway(q * 2147483648);
  if (qFixed > 2147483648) throw new Error(`quantizeMultiplier(${real}): mantissa overflow`);
  if (qFixed === 2147483648) { qFixed /= 2; shift += 1; }
  if (shift < -31) { shift = 0; qFixed = 0; }
  if (singleRounding && shift > 30) { shift = 30; qFixed = 2147483647; }
  return { multiplier: qFixed, shift };
}

/** gemmlowp SaturatingRoundingDoublingHighMul (int32 x int32 -> int32). */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  // C++ integer division truncates toward zero; BigInt division does too.
  return Number((ab + nudge) / (1n << 31n));
}

/** gemmlowp RoundingDivideByPOT: round half away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = (1 << exponent) - 1 >>> 0;
  const remainder = (x & mask) >>> 0;
  const threshold = (mask >>> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite's MultiplyByQuantizedMultiplier in the chosen arithmetic. Returns an int32. */
export function multiplyByQuantizedMultiplier(x: number, m: QuantizedMultiplier, arith: Arith): number {
  if (arith === 'tflm') {
    const left = m.shift > 0 ? m.shift : 0;
    const right = m.shift > 0 ? 0 : -m.shift;
    // x * (1 << left) wraps like the C++ int32 multiply does in practice for in-range values.
    return roundingDivideByPOT(srdhm(Math.imul(x, 2 ** left | 0) | 0, m.multiplier), right);
  }
  // Single rounding (TFLITE_SINGLE_ROUNDING): total_shift = 31 - shift, round = 1 << (total_shift - 1).
  if (m.shift > 30 || m.shift < -31) throw new Error(`shift ${m.shift} out of range for single rounding`);
  const totalShift = BigInt(31 - m.shift);
  const round = 1n << (totalShift - 1n);
  const r = (BigInt(x) * BigInt(m.multiplier) + round) >> totalShift;
  return Number(BigInt.asIntN(32, r));
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
