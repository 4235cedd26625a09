// int8 element-wise activations and requantisation, bit-exact with TFLite's kernels (the host passes the
// Prepare-time integers from compiler/quant/unary.ts; which arithmetic each op uses in `tflm` and `tflite`
// is listed there):
//   rescale8      ReluX / Requantize: (x - zp_in) * M (double rounding) + zp_out, clamped to [lo, hi]
//                 (RELU, RELU6, RELU_N1_TO_1, QUANTIZE int8 -> int8; TFLite Micro's RELU6 as a plain clamp);
//   leakyRelu8    reference QuantizeLeakyRelu: identity multiplier for x >= zp_in, alpha multiplier below;
//   hardSwish8    reference HardSwish: int16 fixed point (hires input, reluish multiplier, SQDMULH product);
//   logisticQ4s8 / tanhQ4s8   TFLite Micro's reference integer LOGISTIC / TANH (gemmlowp on a Q4 input);
//   sigmoidLut8   desktop TFLite's int8 LOGISTIC / TANH: a 256-entry table of float32 1/(1+expf(-x)) or
//                 tanhf(x), rounded half away from zero onto the output scale (NativeMathf is musl's libm);
//   prelu8        reference BroadcastPrelu4DSlow: x >= zp_in -> identity multiplier, else x * alpha with the
//                 second multiplier; alpha broadcast over the 4-D output by byte strides (0 = broadcast).
import { logisticQ4, mbqmDouble, rdbpot, rdbpot16, satLeftShift16, sdhm16, srdhm16, tanhQ4 } from './quant';

// @ts-ignore: decorator
@inline function clamp8(v: i32, lo: i32, hi: i32): i32 { return v < lo ? lo : v > hi ? hi : v; }

// An int8 -> int8 function of the input byte alone is evaluated once per possible input (256 values, the
// same scalar code) into a table when the tensor is larger than the table, then looked up: same bits, less
// work. The SIMD build looks up 16 bytes at a time with i8x16.swizzle over the table's 16 rows.
const LUT: usize = memory.data(256, 16);
const LUT_MIN = 512;

/** out[i] = LUT[x[i] + 128] for i < n. */
function mapLut(x: usize, out: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const t0 = v128.load(LUT), t1 = v128.load(LUT, 16), t2 = v128.load(LUT, 32), t3 = v128.load(LUT, 48);
    const t4 = v128.load(LUT, 64), t5 = v128.load(LUT, 80), t6 = v128.load(LUT, 96), t7 = v128.load(LUT, 112);
    const t8 = v128.load(LUT, 128), t9 = v128.load(LUT, 144), t10 = v128.load(LUT, 160), t11 = v128.load(LUT, 176);
    const t12 = v128.load(LUT, 192), t13 = v128.load(LUT, 208), t14 = v128.load(LUT, 224), t15 = v128.load(LUT, 240);
    const sixteen = i8x16.splat(16);
    for (; i + 16 <= n; i += 16) {
      // Table index x + 128 as a byte; row k answers indices 16k..16k+15 (swizzle gives 0 outside 0..15).
      let idx = v128.xor(v128.load(x + <usize>i), i8x16.splat(-128));
      let r = i8x16.swizzle(t0, idx);
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t1, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t2, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t3, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t4, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t5, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t6, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t7, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t8, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t9, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t10, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t11, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t12, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t13, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t14, idx));
      idx = i8x16.sub(idx, sixteen); r = v128.or(r, i8x16.swizzle(t15, idx));
      v128.store(out + <usize>i, r);
    }
  }
  for (; i < n; i++) store<i8>(out + <usize>i, load<i8>(LUT + <usize>(<i32>load<i8>(x + <usize>i) + 128)));
}

// @ts-ignore: decorator
@inline function rescaleOne(x: i32, inZp: i32, mult: i32, shift: i32, outZp: i32, lo: i32, hi: i32): i32 {
  return clamp8(outZp + mbqmDouble(x - inZp, mult, shift), lo, hi);
}

export function rescale8(x: usize, out: usize, n: i32, inZp: i32, mult: i32, shift: i32, outZp: i32, lo: i32, hi: i32): void {
  if (n >= LUT_MIN) {
    for (let v = -128; v < 128; v++) store<i8>(LUT + <usize>(v + 128), <i8>rescaleOne(v, inZp, mult, shift, outZp, lo, hi));
    mapLut(x, out, n);
    return;
  }
  for (let i = 0; i < n; i++) store<i8>(out + <usize>i, <i8>rescaleOne(<i32>load<i8>(x + <usize>i), inZp, mult, shift, outZp, lo, hi));
}

// @ts-ignore: decorator
@inline function leakyOne(x: i32, inZp: i32, outZp: i32, multId: i32, shiftId: i32, multAlpha: i32, shiftAlpha: i32): i32 {
  const v = x - inZp;
  const r = v >= 0 ? mbqmDouble(v, multId, shiftId) : mbqmDouble(v, multAlpha, shiftAlpha);
  return clamp8(outZp + r, -128, 127);
}

export function leakyRelu8(x: usize, out: usize, n: i32, inZp: i32, outZp: i32, multId: i32, shiftId: i32, multAlpha: i32, shiftAlpha: i32): void {
  if (n >= LUT_MIN) {
    for (let v = -128; v < 128; v++) store<i8>(LUT + <usize>(v + 128), <i8>leakyOne(v, inZp, outZp, multId, shiftId, multAlpha, shiftAlpha));
    mapLut(x, out, n);
    return;
  }
  for (let i = 0; i < n; i++) store<i8>(out + <usize>i, <i8>leakyOne(<i32>load<i8>(x + <usize>i), inZp, outZp, multId, shiftId, multAlpha, shiftAlpha));
}

export function hardSwish8(x: usize, out: usize, n: i32, inZp: i32, outZp: i32, outMult16: i32, outExp: i32, reluishMult16: i32, reluishExp: i32): void {
  for (let i = 0; i < n; i++) {
    const hires = (<i32>load<i8>(x + <usize>i) - inZp) << 7;
    const preshift = srdhm16(hires, outMult16);
    let reluish = hires;
    if (reluishExp > 0) reluish = satLeftShift16(reluish, reluishExp - 1);
    reluish = srdhm16(reluish, reluishMult16);
    if (reluishExp > 0) reluish = satLeftShift16(reluish, 1);
    if (reluishExp < 0) reluish = rdbpot16(reluish, -reluishExp);
    reluish = (reluish + 32768) >> 1;
    const v = rdbpot16(sdhm16(reluish, preshift), -outExp) + outZp;
    store<i8>(out + <usize>i, <i8>clamp8(v, -128, 127));
  }
}

export function logisticQ4s8(x: usize, out: usize, n: i32, inZp: i32, radius: i32, mult: i32, shift: i32): void {
  for (let i = 0; i < n; i++) {
    const v = <i32>load<i8>(x + <usize>i) - inZp;
    let r: i32;
    if (v <= -radius) r = -128;
    else if (v >= radius) r = 127;
    else r = clamp8(rdbpot(logisticQ4(mbqmDouble(v, mult, shift)), 23) - 128, -128, 127);
    store<i8>(out + <usize>i, <i8>r);
  }
}

export function tanhQ4s8(x: usize, out: usize, n: i32, inZp: i32, radius: i32, mult: i32, shift: i32): void {
  for (let i = 0; i < n; i++) {
    const v = <i32>load<i8>(x + <usize>i) - inZp;
    let r: i32;
    if (v <= -radius) r = -128;
    else if (v >= radius) r = 127;
    else r = clamp8(rdbpot(tanhQ4(mbqmDouble(v, mult, shift)), 24), -128, 127);
    store<i8>(out + <usize>i, <i8>r);
  }
}

/** isTanh: 0 = logistic, 1 = tanh. `table` is 256 bytes of scratch. */
export function sigmoidLut8(x: usize, out: usize, n: i32, isTanh: i32, inScale: f32, inZp: i32, outScale: f32, outZp: i32, table: usize): void {
  const inverseScale: f32 = <f32>1.0 / outScale;
  for (let v = -128; v <= 127; v++) {
    const real: f32 = inScale * <f32>(v - inZp);
    const t: f32 = isTanh != 0 ? NativeMathf.tanh(real) : <f32>1.0 / (<f32>1.0 + NativeMathf.exp(-real));
    const scaled: f32 = t * inverseScale;
    // roundf: half away from zero (|s| - floor(|s|) is exact, unlike |s| + 0.5).
    const a: f32 = NativeMathf.abs(scaled);
    let m: f32 = NativeMathf.floor(a);
    if (a - m >= <f32>0.5) m += <f32>1.0;
    const rounded: f32 = scaled < 0 ? -m : m;
    store<i8>(table + <usize>(v & 0xff), <i8>clamp8(<i32>(rounded + <f32>outZp), -128, 127));
  }
  for (let i = 0; i < n; i++) store<i8>(out + <usize>i, load<i8>(table + <usize>load<u8>(x + <usize>i)));
}

export function prelu8(x: usize, alpha: usize, out: usize, d0: i32, d1: i32, d2: i32, d3: i32,
  as0: i32, as1: i32, as2: i32, as3: i32, inputOffset: i32, alphaOffset: i32, outputOffset: i32,
  mult1: i32, shift1: i32, mult2: i32, shift2: i32): void {
  let o: usize = 0;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const arow = alpha + <usize>(i0 * as0 + i1 * as1 + i2 * as2);
        for (let i3 = 0; i3 < d3; i3++) {
          const v = inputOffset + <i32>load<i8>(x + o);
          let r: i32;
          if (v >= 0) r = mbqmDouble(v, mult1, shift1);
          else r = mbqmDouble(v * (alphaOffset + <i32>load<i8>(arow + <usize>(i3 * as3))), mult2, shift2);
          store<i8>(out + o, <i8>clamp8(r + outputOffset, -128, 127));
          o++;
        }
      }
    }
  }
}
