// int16 LOGISTIC and TANH (16x8 models), the Prepare integers and the element arithmetic on the host:
//   tflm    TFLite Micro always runs reference_integer_ops::Logistic / Tanh for int16: the input rescaled to
//           units of 1/(3 * 4096) ((x * multiplier + round) >> shift, the multiplier a truncated double below
//           2^15), then a linear interpolation in TFLite's 256-entry table of sigmoid(i / 24) in 0.16 fixed
//           point (LOGISTIC: 9 fraction bits of the index, TANH: 8, as tanh(x) = 2 sigmoid(2x) - 1), the sign
//           folded back, rounded to Q0.15. A power-of-two input scale (2^-12; TANH also 2^-11) takes
//           multiplier 3 << shift, shift 0.
//   tflite  desktop TFLite takes the same table path for other scales (its input_multiplier > 0), but for the
//           power-of-two ones its optimized kernel: gemmlowp logistic / tanh on FixedPoint<int16, 3> (the
//           TANH input at 2^-11 first doubled with saturation), compiler/quant/fixedpoint.ts.
// The output is scale 1/32768, zero point 0 in both (required). The golden runtime's twin is
// runtime-wasm/assembly/int16.ts sigmoid16, the C's mcu-backend/emit/int16.ts.
import type { Arith } from './multiplier.ts';
import { logistic16, satLeftShift16, tanh16 } from './fixedpoint.ts';

/** TFLite's sigmoid_table_uint16 (kernels/internal/common.h): sigmoid(i / 24) in 0.16, the published values
 *  (they are not a plain rounding of the function, so they are data here). */
export const SIGMOID_TABLE_U16: readonly number[] = [
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
  43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
  51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
  57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
  61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
  63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
  64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
  64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
  65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
  65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
  65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
  65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
  65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
  65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
  65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
  65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
];

export type Sigmoid16Fn = 'logistic' | 'tanh';

/** How one int16 LOGISTIC / TANH computes: the table (input multiplier and right shift) or gemmlowp (input pre-shift). */
export type Sigmoid16Params =
  | { mode: 'lut'; multiplier: number; shift: number }
  | { mode: 'gemmlowp'; preShift: 0 | 1 };

/** TFLite's CheckedLog2 (float32 log2 rounded, exact within 1e-3). */
function checkedLog2(x: number): { pot: boolean; log2: number } {
  const l = Math.fround(Math.fround(Math.log(x)) * Math.fround(1 / Math.log(2)));
  const r = Math.round(l);
  return { pot: Math.abs(Math.fround(l - r)) < 1e-3, log2: r };
}

/** The Prepare of TFLite Micro (tflm) or desktop TFLite (tflite) for an int16 input of float32 scale `scale`. */
export function sigmoid16Params(fn: Sigmoid16Fn, scale: number, arith: Arith): Sigmoid16Params {
  const { pot, log2 } = checkedLog2(scale);
  const leftShift = 12 + log2;
  if (pot && (leftShift === 0 || (fn === 'tanh' && leftShift === 1))) {
    return arith === 'tflite' ? { mode: 'gemmlowp', preShift: leftShift as 0 | 1 } : { mode: 'lut', multiplier: 3 << leftShift, shift: 0 };
  }
  let multiplier = scale * 4096 * 3, shift = 0;
  while (multiplier <= 32767 / 2 && shift <= 30) { shift++; multiplier *= 2; }
  return { mode: 'lut', multiplier: Math.trunc(multiplier), shift };
}

/** One element (int16 in, Q0.15 out). */
export function sigmoid16(fn: Sigmoid16Fn, p: Sigmoid16Params, x: number): number {
  if (p.mode === 'gemmlowp') {
    return fn === 'logistic' ? logistic16(x, 3) : tanh16(p.preShift ? satLeftShift16(x, 1) : x, 3);
  }
  const round = p.shift > 0 ? 2 ** (p.shift - 1) : 0;
  const v = Math.floor((x * p.multiplier + round) / 2 ** p.shift);
  const a = Math.abs(v);
  const T = SIGMOID_TABLE_U16;
  if (fn === 'logistic') {
    const uh = Math.floor(a / 512);
    const r = uh >= 255 ? 0x7fff * 1024 : T[uh]! * 512 + (a % 512) * (T[uh + 1]! - T[uh]!);
    return Math.floor((v >= 0 ? r + 512 : 2 ** 25 - r + 511) / 1024);
  }
  const uh = Math.floor(a / 256);
  const r = uh >= 255 ? 0xffff * 256 : T[uh]! * 256 + (a % 256) * (T[uh + 1]! - T[uh]!);
  return Math.floor((v >= 0 ? r - 2 ** 23 + 128 : -r + 2 ** 23 + 127) / 256);
}
