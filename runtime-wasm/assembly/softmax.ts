// int8 softmax over the last axis, bit-exact with TFLite's reference kernel (reference_ops::Softmax for
// int8 in / int8 out, used by TFLite Micro): differences to the row maximum are rescaled into Q5 by the
// beta multiplier, exponentiated with gemmlowp's exp_on_negative_values, summed in Q12, inverted with
// one_over_one_plus_x_for_x_in_0_1, and each output is exp * 1/sum shifted down to 8 bits, offset -128.
// Differences below diffMin contribute nothing and output -128. outBits 16: the int8 -> int16 form (TFLite
// Micro's reference_ops::Softmax with int16 output, as keyword_scrambled's): shifted down to 16 bits instead,
// offset -32768, clamped to int16.
import { expOnNegativeValuesQ5, mbqmDouble, oneOverOnePlusX, rdbpot, srdhm } from './quant';

export function softmax(x: usize, out: usize, rows: i32, depth: i32, inputMultiplier: i32, inputLeftShift: i32, diffMin: i32, outBits: i32): void {
  const lo: i32 = outBits == 16 ? -32768 : -128;
  const hi: i32 = outBits == 16 ? 32767 : 127;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * <usize>depth;
    const orow = out + (<usize>r * <usize>depth << (outBits == 16 ? 1 : 0));
    let maxv = -128;
    for (let i = 0; i < depth; i++) maxv = max(maxv, <i32>load<i8>(row + <usize>i));
    let sum = 0;
    for (let i = 0; i < depth; i++) {
      const diff = <i32>load<i8>(row + <usize>i) - maxv;
      if (diff >= diffMin) {
        const scaled = srdhm(diff * (1 << inputLeftShift), inputMultiplier);
        sum += rdbpot(expOnNegativeValuesQ5(scaled), 12); // Rescale Q0 -> Q12
      }
    }
    const headroomPlusOne = <i32>clz<u32>(<u32>sum);
    const numBitsOverUnit = 12 - headroomPlusOne;
    const shiftedSumMinusOne = <i32>((<u32>sum << <u32>headroomPlusOne) - (<u32>1 << 31));
    const shiftedScale = oneOverOnePlusX(shiftedSumMinusOne);
    for (let i = 0; i < depth; i++) {
      const diff = <i32>load<i8>(row + <usize>i) - maxv;
      let v = lo;
      if (diff >= diffMin) {
        const scaled = srdhm(diff * (1 << inputLeftShift), inputMultiplier);
        const e = expOnNegativeValuesQ5(scaled);
        v = rdbpot(srdhm(shiftedScale, e), numBitsOverUnit + 31 - outBits) + lo;
        v = v < lo ? lo : v > hi ? hi : v;
      }
      if (outBits == 16) store<i16>(orow + (<usize>i << 1), <i16>v); else store<i8>(orow + <usize>i, <i8>v);
    }
  }
}

/** table[255 - max + x[i]]: exp(scale * (max - x[i])). */
// @ts-ignore: decorator
@inline function expAt(table: usize, row: usize, i: i32, maxv: i32): f32 {
  return load<f32>(table + (<usize>(255 - maxv + <i32>load<i8>(row + <usize>i)) << 2));
}

/**
 * Desktop TFLite's int8 -> int16 softmax (optimized_ops::Softmax with the float table of
 * PopulateSoftmaxLookupTable; arith `tflite`): table[255 - v] = expf(scale * v) for v in 0..255 with
 * scale = -inputScale * beta (float32, musl's expf); per row, sum (float32, in order) of table[255 - max + x],
 * inv = 1 / (sum * outScale), each output round(table[..] * inv) (half away from zero) + zeroPoint, clamped
 * to int16. `table` is 256 f32 of scratch.
 */
export function softmaxFloat16(x: usize, out: usize, rows: i32, depth: i32, scale: f32, outScale: f32, zeroPoint: i32, table: usize): void {
  for (let v = 0; v <= 255; v++) store<f32>(table + (<usize>(255 - v) << 2), NativeMathf.exp(scale * <f32>v));
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * <usize>depth;
    const orow = out + ((<usize>r * <usize>depth) << 1);
    let maxv = -128;
    for (let i = 0; i < depth; i++) maxv = max(maxv, <i32>load<i8>(row + <usize>i));
    let sum: f32 = 0;
    for (let i = 0; i < depth; i++) sum += expAt(table, row, i, maxv);
    const inv: f32 = <f32>1.0 / (sum * outScale);
    for (let i = 0; i < depth; i++) {
      const p: f32 = expAt(table, row, i, maxv) * inv;
      const fl: f32 = NativeMathf.floor(p);
      let q = <i32>fl + (p - fl >= <f32>0.5 ? 1 : 0) + zeroPoint;
      q = q < -32768 ? -32768 : q > 32767 ? 32767 : q;
      store<i16>(orow + (<usize>i << 1), <i16>q);
    }
  }
}

// @ts-ignore: decorator
@inline function lut16(lut: usize, v: i32): i32 {
  const index = 256 + (v >> 7), offset = v & 0x7f;
  const base = <i32>load<i16>(lut + (<usize>index << 1));
  const slope = <i32><i16>(<i32>load<i16>(lut + (<usize>(index + 1) << 1)) - base);
  return <i32><i16>(base + ((slope * offset + 64) >> 7));
}

// @ts-ignore: decorator
@inline function sat16(v: i32): i32 { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }

/**
 * int16 -> int16 softmax (TFLite's reference_ops::SoftmaxInt16): diff to the row maximum rescaled by
 * MultiplyByQuantizedMultiplier (double rounding) so that [-65535, 0] is [-10, 0], exp from the 513-entry exp
 * table (lut_lookup_with_interpolation) at diff + 32767, summed in int32; 1 / sum from the 1/(1+x) table at the
 * sum normalised by its leading zeros; each output (exp * recip + round) >> (31 - clz(sum)), clamped to
 * [0, 32767]. The tables come from the host (compiler/quant/softmax16.ts, gen_lut in the arithmetic's precision).
 */
export function softmax16(x: usize, out: usize, rows: i32, depth: i32, mult: i32, shift: i32, expLut: usize, recipLut: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * depth) << 1), yr = out + (<usize>(r * depth) << 1);
    let mx: i32 = -32768;
    for (let c = 0; c < depth; c++) mx = max(mx, <i32>load<i16>(xr + (<usize>c << 1)));
    let sum: i32 = 0;
    for (let c = 0; c < depth; c++) {
      const e = lut16(expLut, sat16(mbqmDouble(<i32>load<i16>(xr + (<usize>c << 1)) - mx, mult, shift) + 32767));
      store<i16>(yr + (<usize>c << 1), <i16>e);
      sum += e;
    }
    const h = <i32>clz<u32>(<u32>sum);
    const shifted = <i32>(((<i64>sum << <i64>(h - 1)) + 8192) >> 14);
    const recip = <i64>lut16(recipLut, sat16(shifted - 98304));
    const rs = <i64>(31 - h);
    for (let c = 0; c < depth; c++) {
      const e = <i64>load<i16>(yr + (<usize>c << 1));
      const v = <i32>((e * recip + (<i64>1 << (rs - 1))) >> rs);
      store<i16>(yr + (<usize>c << 1), <i16>(v < 0 ? 0 : v > 32767 ? 32767 : v));
    }
  }
}
