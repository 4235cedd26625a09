// Elementwise ADD with NumPy broadcasting (TFLite ADD, int8): both inputs are offset, shifted left by
// leftShift (20 for int8), rescaled to a common scale with double-rounding multipliers, summed, rescaled
// to the output scale, offset and clamped. Broadcasting is by strides over a 4-D output: a stride of 0
// repeats an input along that dimension (the host computes the strides). The SIMD build does four
// elements of the innermost dimension per step with the same integer steps (quant.ts mbqm4Uniform).
import { mbqm4Uniform, mbqmDouble, store4 } from './quant';

export function add(a: usize, bIn: usize, out: usize,
  d0: i32, d1: i32, d2: i32, d3: i32,
  as0: i32, as1: i32, as2: i32, as3: i32,
  bs0: i32, bs1: i32, bs2: i32, bs3: i32,
  in1Offset: i32, in2Offset: i32, outOffset: i32, leftShift: i32,
  m1: i32, s1: i32, m2: i32, s2: i32, mo: i32, so: i32, actMin: i32, actMax: i32): void {
  let o: usize = out;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const pa = a + <usize>(i0 * as0 + i1 * as1 + i2 * as2);
        const pb = bIn + <usize>(i0 * bs0 + i1 * bs1 + i2 * bs2);
        let i3 = 0;
        if (ASC_FEATURE_SIMD) {
          // Four elements at a time along the innermost dimension (stride 1, or 0 when broadcast).
          const off1 = i32x4.splat(in1Offset);
          const off2 = i32x4.splat(in2Offset);
          for (; i3 + 4 <= d3; i3 += 4) {
            const xa = as3 == 0 ? i32x4.splat(<i32>load<i8>(pa)) : i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(pa + <usize>i3)));
            const xb = bs3 == 0 ? i32x4.splat(<i32>load<i8>(pb)) : i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(pb + <usize>i3)));
            const sa = mbqm4Uniform(i32x4.shl(i32x4.add(xa, off1), leftShift), m1, s1);
            const sb = mbqm4Uniform(i32x4.shl(i32x4.add(xb, off2), leftShift), m2, s2);
            let r = i32x4.add(mbqm4Uniform(i32x4.add(sa, sb), mo, so), i32x4.splat(outOffset));
            r = i32x4.min_s(i32x4.max_s(r, i32x4.splat(actMin)), i32x4.splat(actMax));
            store4(o, r);
            o += 4;
          }
        }
        for (; i3 < d3; i3++) {
          const va = (<i32>load<i8>(pa + <usize>(i3 * as3)) + in1Offset) * (1 << leftShift);
          const vb = (<i32>load<i8>(pb + <usize>(i3 * bs3)) + in2Offset) * (1 << leftShift);
          const sum = mbqmDouble(va, m1, s1) + mbqmDouble(vb, m2, s2);
          let r = mbqmDouble(sum, mo, so) + outOffset;
          r = r < actMin ? actMin : r;
          r = r > actMax ? actMax : r;
          store<i8>(o, <i8>r);
          o++;
        }
      }
    }
  }
}
