// Element-wise binary ops with NumPy broadcasting over up to 6 dimensions, TFLite's int8 arithmetic:
//   0 ADD / 1 SUB   inputs offset, shifted left by leftShift (20), rescaled to a common scale (double
//                   rounding), summed / subtracted, rescaled to the output. SUB with a negative input-2
//                   multiplier adds (desktop TFLite runs SUB as its ADD kernel with that multiplier negated);
//                   with a positive one it subtracts (TFLite Micro).
//   2 MUL           (x1 + off1) * (x2 + off2) times one multiplier (any shift), plus the output offset.
//   3 SQUARED_DIFFERENCE  as SUB with leftShift 7, the difference squared, then the output multiplier.
//   4 MAXIMUM / 5 MINIMUM  compare the raw int8 values (TFLite does not rescale).
// Then the clamp [actMin, actMax]. The host passes the output dims and each input's element strides
// (0 along a broadcast dimension) as 18 int32 at `geom`: d0..d5, a0..a5, b0..b5 (host-side coalesced, so the
// innermost loop is long). The SIMD build does four elements of the innermost dimension per step where both
// strides are 0 or 1, with the same integer steps in 32/64-bit lanes (quant.ts mbqm4Small / mbqm4Uniform).
import { mbqm4Small, mbqm4Uniform, mbqmDouble, smallShiftOk, store4 } from './quant';

export const BIN_ADD = 0;
export const BIN_SUB = 1;
export const BIN_MUL = 2;
export const BIN_SQDIFF = 3;
export const BIN_MAX = 4;
export const BIN_MIN = 5;

// @ts-ignore: decorator
@inline function element(opcode: i32, x1: i32, x2: i32, off1: i32, off2: i32, outOffset: i32, leftShift: i32,
  m1: i32, s1: i32, m2: i32, s2: i32, mo: i32, so: i32): i32 {
  if (opcode == BIN_MAX) return x1 > x2 ? x1 : x2;
  if (opcode == BIN_MIN) return x1 < x2 ? x1 : x2;
  if (opcode == BIN_MUL) return mbqmDouble((x1 + off1) * (x2 + off2), mo, so) + outOffset;
  const a = mbqmDouble((x1 + off1) * (1 << leftShift), m1, s1);
  const b = mbqmDouble((x2 + off2) * (1 << leftShift), m2, s2);
  if (opcode == BIN_ADD) return mbqmDouble(a + b, mo, so) + outOffset;
  if (opcode == BIN_SUB) return mbqmDouble(m2 < 0 ? a + b : a - b, mo, so) + outOffset;
  const d = a - b;
  return mbqmDouble(d * d, mo, so) + outOffset;
}

/** Four lanes of element() (SIMD build only); x1, x2 are the raw int8 values widened to i32x4. */
// @ts-ignore: decorator
@inline function element4(opcode: i32, x1: v128, x2: v128, off1: i32, off2: i32, outOffset: i32, leftShift: i32,
  m1: i32, s1: i32, m2: i32, s2: i32, mo: i32, so: i32): v128 {
  if (opcode == BIN_MAX) return i32x4.max_s(x1, x2);
  if (opcode == BIN_MIN) return i32x4.min_s(x1, x2);
  const v1 = i32x4.add(x1, i32x4.splat(off1)), v2 = i32x4.add(x2, i32x4.splat(off2));
  const oo = i32x4.splat(outOffset);
  if (opcode == BIN_MUL) return i32x4.add(mbqm4Uniform(i32x4.mul(v1, v2), mo, so), oo);
  const a = smallShiftOk(off1, leftShift, s1) ? mbqm4Small(v1, leftShift, m1, s1) : mbqm4Uniform(i32x4.shl(v1, leftShift), m1, s1);
  const b = smallShiftOk(off2, leftShift, s2) ? mbqm4Small(v2, leftShift, m2, s2) : mbqm4Uniform(i32x4.shl(v2, leftShift), m2, s2);
  if (opcode == BIN_ADD) return i32x4.add(mbqm4Uniform(i32x4.add(a, b), mo, so), oo);
  if (opcode == BIN_SUB) return i32x4.add(mbqm4Uniform(m2 < 0 ? i32x4.add(a, b) : i32x4.sub(a, b), mo, so), oo);
  const d = i32x4.sub(a, b);
  return i32x4.add(mbqm4Uniform(i32x4.mul(d, d), mo, so), oo);
}

export function binary(opcode: i32, a: usize, b: usize, out: usize, geom: usize,
  in1Offset: i32, in2Offset: i32, outOffset: i32, leftShift: i32,
  m1: i32, s1: i32, m2: i32, s2: i32, mo: i32, so: i32, actMin: i32, actMax: i32): void {
  const d0 = load<i32>(geom), d1 = load<i32>(geom, 4), d2 = load<i32>(geom, 8), d3 = load<i32>(geom, 12), d4 = load<i32>(geom, 16), d5 = load<i32>(geom, 20);
  const a0 = load<i32>(geom, 24), a1 = load<i32>(geom, 28), a2 = load<i32>(geom, 32), a3 = load<i32>(geom, 36), a4 = load<i32>(geom, 40), a5 = load<i32>(geom, 44);
  const b0 = load<i32>(geom, 48), b1 = load<i32>(geom, 52), b2 = load<i32>(geom, 56), b3 = load<i32>(geom, 60), b4 = load<i32>(geom, 64), b5 = load<i32>(geom, 68);
  let o: usize = out;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        for (let i3 = 0; i3 < d3; i3++) {
          for (let i4 = 0; i4 < d4; i4++) {
            const pa = a + <usize>(i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4);
            const pb = b + <usize>(i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4);
            let i5 = 0;
            if (ASC_FEATURE_SIMD) {
              if ((a5 == 0 || a5 == 1) && (b5 == 0 || b5 == 1)) {
                const lo = i32x4.splat(actMin), hi = i32x4.splat(actMax);
                for (; i5 + 4 <= d5; i5 += 4) {
                  const x1 = a5 == 0 ? i32x4.splat(<i32>load<i8>(pa)) : i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(pa + <usize>i5)));
                  const x2 = b5 == 0 ? i32x4.splat(<i32>load<i8>(pb)) : i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(pb + <usize>i5)));
                  const r = element4(opcode, x1, x2, in1Offset, in2Offset, outOffset, leftShift, m1, s1, m2, s2, mo, so);
                  store4(o, i32x4.min_s(i32x4.max_s(r, lo), hi));
                  o += 4;
                }
              }
            }
            for (; i5 < d5; i5++) {
              const x1 = <i32>load<i8>(pa + <usize>(i5 * a5));
              const x2 = <i32>load<i8>(pb + <usize>(i5 * b5));
              let r = element(opcode, x1, x2, in1Offset, in2Offset, outOffset, leftShift, m1, s1, m2, s2, mo, so);
              r = r < actMin ? actMin : r;
              r = r > actMax ? actMax : r;
              store<i8>(o, <i8>r);
              o++;
            }
          }
        }
      }
    }
  }
}
