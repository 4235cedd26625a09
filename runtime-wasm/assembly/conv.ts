// Convolution family: conv2d (groups, dilation, same/valid padding), fully connected (a 1x1 conv over a
// 1x1 image), shift convolution and add (L1 / AdderNet) convolution. All four share one shape: for each
// output pixel gather an int16 "patch" of (input + inputOffset) values (0 where a tap falls in padding,
// which is exactly TFLite's "skip the tap"), then one dot product per output channel against int16 weight
// rows of length kp (k rounded up to 8, zero-filled), plus bias, requantised per channel.
// Integer sums are exact in int32, so the SIMD path (i32x4.dot_i16x8_s, 4 output channels at a time) and
// the scalar path give identical bits.
import { requant, requant4Double, store4 } from './quant';

/** Dot products / L1 distances of one patch against the weight rows ocBegin..ocEnd, requantised into outPix[oc]. */
function finishPixel(l1: i32, patch: usize, kp: i32, k: i32, w: usize, ocBegin: i32, ocEnd: i32,
  bias: usize, mult: usize, shift: usize, rq: usize, nChannels: i32, outPix: usize, outOffset: i32, actMin: i32, actMax: i32, single: i32): void {
  let oc = ocBegin;
  if (ASC_FEATURE_SIMD) {
    const rowBytes = <usize>kp << 1;
    for (; oc + 4 <= ocEnd; oc += 4) {
      const w0 = w + <usize>oc * rowBytes;
      const w1 = w0 + rowBytes;
      const w2 = w1 + rowBytes;
      const w3 = w2 + rowBytes;
      let a0 = i32x4.splat(0);
      let a1 = i32x4.splat(0);
      let a2 = i32x4.splat(0);
      let a3 = i32x4.splat(0);
      if (l1 == 0) {
        for (let o: usize = 0; o < rowBytes; o += 16) {
          const p = v128.load(patch + o);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(p, v128.load(w0 + o)));
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(p, v128.load(w1 + o)));
          a2 = i32x4.add(a2, i32x4.dot_i16x8_s(p, v128.load(w2 + o)));
          a3 = i32x4.add(a3, i32x4.dot_i16x8_s(p, v128.load(w3 + o)));
        }
      } else {
        for (let o: usize = 0; o < rowBytes; o += 16) {
          const p = v128.load(patch + o);
          a0 = i32x4.add(a0, i32x4.extadd_pairwise_i16x8_s(i16x8.abs(i16x8.sub(p, v128.load(w0 + o)))));
          a1 = i32x4.add(a1, i32x4.extadd_pairwise_i16x8_s(i16x8.abs(i16x8.sub(p, v128.load(w1 + o)))));
          a2 = i32x4.add(a2, i32x4.extadd_pairwise_i16x8_s(i16x8.abs(i16x8.sub(p, v128.load(w2 + o)))));
          a3 = i32x4.add(a3, i32x4.extadd_pairwise_i16x8_s(i16x8.abs(i16x8.sub(p, v128.load(w3 + o)))));
        }
      }
      finishFour(l1, hsum4(a0, a1, a2, a3), oc, bias, mult, shift, rq, nChannels, outPix, outOffset, actMin, actMax, single);
    }
    for (; oc < ocEnd; oc++) {
      const wr = w + <usize>oc * rowBytes;
      let a = i32x4.splat(0);
      for (let o: usize = 0; o < rowBytes; o += 16) {
        const p = v128.load(patch + o);
        const q = v128.load(wr + o);
        a = i32x4.add(a, l1 == 0 ? i32x4.dot_i16x8_s(p, q) : i32x4.extadd_pairwise_i16x8_s(i16x8.abs(i16x8.sub(p, q))));
      }
      const sum = i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
      finishChannel(l1, sum, oc, bias, mult, shift, outPix, outOffset, actMin, actMax, single);
    }
  } else {
    for (; oc < ocEnd; oc++) {
      const wr = w + ((<usize>oc * <usize>kp) << 1);
      let sum = 0;
      if (l1 == 0) {
        for (let i = 0; i < k; i++) sum += <i32>load<i16>(patch + (<usize>i << 1)) * <i32>load<i16>(wr + (<usize>i << 1));
      } else {
        for (let i = 0; i < k; i++) sum += abs<i32>(<i32>load<i16>(patch + (<usize>i << 1)) - <i32>load<i16>(wr + (<usize>i << 1)));
      }
      finishChannel(l1, sum, oc, bias, mult, shift, outPix, outOffset, actMin, actMax, single);
    }
  }
}

/**
 * Two output pixels (patches pa, pb) at once against the same weight rows: each weight vector loaded feeds
 * two dot products. Multiply-accumulate only (not L1). Same sums, so the same bits, as two finishPixel calls.
 */
function finishPixelPair(pa: usize, pb: usize, kp: i32, k: i32, w: usize, ocBegin: i32, ocEnd: i32,
  bias: usize, mult: usize, shift: usize, rq: usize, nChannels: i32, outA: usize, outB: usize, outOffset: i32, actMin: i32, actMax: i32, single: i32): void {
  let oc = ocBegin;
  if (ASC_FEATURE_SIMD) {
    const rowBytes = <usize>kp << 1;
    for (; oc + 4 <= ocEnd; oc += 4) {
      const w0 = w + <usize>oc * rowBytes;
      const w1 = w0 + rowBytes;
      const w2 = w1 + rowBytes;
      const w3 = w2 + rowBytes;
      let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
      let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
      for (let o: usize = 0; o < rowBytes; o += 16) {
        const p = v128.load(pa + o);
        const q = v128.load(pb + o);
        const v0 = v128.load(w0 + o);
        const v1 = v128.load(w1 + o);
        const v2 = v128.load(w2 + o);
        const v3 = v128.load(w3 + o);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(p, v0));
        b0 = i32x4.add(b0, i32x4.dot_i16x8_s(q, v0));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(p, v1));
        b1 = i32x4.add(b1, i32x4.dot_i16x8_s(q, v1));
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(p, v2));
        b2 = i32x4.add(b2, i32x4.dot_i16x8_s(q, v2));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(p, v3));
        b3 = i32x4.add(b3, i32x4.dot_i16x8_s(q, v3));
      }
      finishFour(0, hsum4(a0, a1, a2, a3), oc, bias, mult, shift, rq, nChannels, outA, outOffset, actMin, actMax, single);
      finishFour(0, hsum4(b0, b1, b2, b3), oc, bias, mult, shift, rq, nChannels, outB, outOffset, actMin, actMax, single);
    }
  }
  if (oc < ocEnd) {
    finishPixel(0, pa, kp, k, w, oc, ocEnd, bias, mult, shift, rq, nChannels, outA, outOffset, actMin, actMax, single);
    finishPixel(0, pb, kp, k, w, oc, ocEnd, bias, mult, shift, rq, nChannels, outB, outOffset, actMin, actMax, single);
  }
}

/** Lane i = horizontal sum of accumulator i. */
// @ts-ignore: decorator
@inline function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = i32x4.add(v128.shuffle<i32>(a0, a1, 0, 4, 1, 5), v128.shuffle<i32>(a0, a1, 2, 6, 3, 7));
  const s23 = i32x4.add(v128.shuffle<i32>(a2, a3, 0, 4, 1, 5), v128.shuffle<i32>(a2, a3, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i64>(s01, s23, 0, 2), v128.shuffle<i64>(s01, s23, 1, 3));
}

/** Bias, requantisation and store of channels oc..oc+3 from their sums s (vector requantisation when rq != 0). */
// @ts-ignore: decorator
@inline function finishFour(l1: i32, s: v128, oc: i32, bias: usize, mult: usize, shift: usize, rq: usize, nChannels: i32,
  outPix: usize, outOffset: i32, actMin: i32, actMax: i32, single: i32): void {
  if (rq != 0) {
    const b = bias != 0 ? v128.load(bias + (<usize>oc << 2)) : i32x4.splat(0);
    const acc = l1 == 0 ? i32x4.add(s, b) : i32x4.sub(b, s);
    store4(outPix + <usize>oc, requant4Double(acc, oc, nChannels, mult, rq, outOffset, actMin, actMax));
    return;
  }
  finishChannel(l1, i32x4.extract_lane(s, 0), oc, bias, mult, shift, outPix, outOffset, actMin, actMax, single);
  finishChannel(l1, i32x4.extract_lane(s, 1), oc + 1, bias, mult, shift, outPix, outOffset, actMin, actMax, single);
  finishChannel(l1, i32x4.extract_lane(s, 2), oc + 2, bias, mult, shift, outPix, outOffset, actMin, actMax, single);
  finishChannel(l1, i32x4.extract_lane(s, 3), oc + 3, bias, mult, shift, outPix, outOffset, actMin, actMax, single);
}

// @ts-ignore: decorator
@inline function finishChannel(l1: i32, sum: i32, oc: i32, bias: usize, mult: usize, shift: usize, outPix: usize,
  outOffset: i32, actMin: i32, actMax: i32, single: i32): void {
  const b = bias != 0 ? load<i32>(bias + (<usize>oc << 2)) : 0;
  const acc = l1 == 0 ? sum + b : b - sum;
  const m = load<i32>(mult + (<usize>oc << 2));
  const s = load<i32>(shift + (<usize>oc << 2));
  store<i8>(outPix + <usize>oc, <i8>requant(acc, m, s, single, outOffset, actMin, actMax));
}

/** Writes n values x[i] + offset as int16 to dst. */
// @ts-ignore: decorator
@inline function widen(src: usize, dst: usize, n: i32, offset: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const off = i16x8.splat(<i16>offset);
    for (; i + 8 <= n; i += 8) v128.store(dst + (<usize>i << 1), i16x8.add(v128.load8x8_s(src + <usize>i), off));
  }
  for (; i < n; i++) store<i16>(dst + (<usize>i << 1), <i16>(<i32>load<i8>(src + <usize>i) + offset));
}

/**
 * conv2d / add_conv2d (l1 != 0) / fully connected (h = w = kh = kw = 1). x is NHWC [n, h, wd, c]; w holds
 * int16 rows [oc][kp] in OHWI order (k = kh * kw * icg); bias int32 [oc] or 0; mult, shift int32 [oc]; rq the
 * double-rounding table of quant.ts (or 0: scalar requantisation, required for single rounding);
 * out NHWC [n, oh, ow, oc]; patch is scratch of 2 * kp int16.
 */
export function conv2d(l1: i32, x: usize, n: i32, h: i32, wd: i32, c: i32,
  w: usize, kp: i32, bias: usize, mult: usize, shift: usize, rq: usize,
  out: usize, oh: i32, ow: i32, oc: i32,
  kh: i32, kw: i32, icg: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32,
  inOffset: i32, outOffset: i32, actMin: i32, actMax: i32, single: i32, patch: usize): void {
  const groups = c / icg;
  const ocg = oc / groups;
  const k = kh * kw * icg;
  // Two patches (the SIMD build pairs neighbouring output pixels); tails beyond k stay zero.
  const patchB = patch + (<usize>kp << 1);
  memory.fill(patch, 0, <usize>kp << 2);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const outPix = out + <usize>((b * oh + oy) * ow + ox) * <usize>oc;
        const pair = ASC_FEATURE_SIMD && l1 == 0 && ox + 1 < ow;
        for (let g = 0; g < groups; g++) {
          buildPatch(patch, x, b, h, wd, c, kh, kw, icg, g, oy * sh - padT, ox * sw - padL, dh, dw, inOffset);
          if (pair) {
            buildPatch(patchB, x, b, h, wd, c, kh, kw, icg, g, oy * sh - padT, (ox + 1) * sw - padL, dh, dw, inOffset);
            finishPixelPair(patch, patchB, kp, k, w, g * ocg, (g + 1) * ocg, bias, mult, shift, rq, oc, outPix, outPix + <usize>oc,
              outOffset, actMin, actMax, single);
          } else {
            finishPixel(l1, patch, kp, k, w, g * ocg, (g + 1) * ocg, bias, mult, shift, rq, oc, outPix, outOffset, actMin, actMax, single);
          }
        }
        if (pair) ox++;
      }
    }
  }
}

/** The patch of group g for the window whose top-left input position is (iy0, ix0). */
// @ts-ignore: decorator
@inline function buildPatch(patch: usize, x: usize, b: i32, h: i32, wd: i32, c: i32, kh: i32, kw: i32, icg: i32, g: i32,
  iy0: i32, ix0: i32, dh: i32, dw: i32, inOffset: i32): void {
  let pi = patch;
  for (let ky = 0; ky < kh; ky++) {
    const iy = iy0 + ky * dh;
    const rowOk = iy >= 0 && iy < h;
    for (let kx = 0; kx < kw; kx++) {
      const ix = ix0 + kx * dw;
      if (rowOk && ix >= 0 && ix < wd) {
        widen(x + <usize>((b * h + iy) * wd + ix) * <usize>c + <usize>(g * icg), pi, icg, inOffset);
      } else {
        memory.fill(pi, 0, <usize>icg << 1);
      }
      pi += <usize>icg << 1;
    }
  }
}

/**
 * shift_conv2d: output pixel (oy, ox) of input channel ci reads x[oy * sh + dy[ci], ox * sw + dx[ci], ci]
 * (0 after the offset when out of range), then a pointwise conv with rows [oc][kp], k = c.
 * shifts holds int32 pairs (dy, dx) per input channel.
 */
export function shiftConv2d(x: usize, n: i32, h: i32, wd: i32, c: i32, shifts: usize,
  w: usize, kp: i32, bias: usize, mult: usize, shift: usize, rq: usize,
  out: usize, oh: i32, ow: i32, oc: i32, sh: i32, sw: i32,
  inOffset: i32, outOffset: i32, actMin: i32, actMax: i32, single: i32, patch: usize): void {
  memory.fill(patch, 0, <usize>kp << 1);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ci = 0; ci < c; ci++) {
          const iy = oy * sh + load<i32>(shifts + (<usize>ci << 3));
          const ix = ox * sw + load<i32>(shifts + (<usize>ci << 3) + 4);
          const v = iy >= 0 && iy < h && ix >= 0 && ix < wd
            ? <i32>load<i8>(x + <usize>((b * h + iy) * wd + ix) * <usize>c + <usize>ci) + inOffset : 0;
          store<i16>(patch + (<usize>ci << 1), <i16>v);
        }
        const outPix = out + <usize>((b * oh + oy) * ow + ox) * <usize>oc;
        finishPixel(0, patch, kp, c, w, 0, oc, bias, mult, shift, rq, oc, outPix, outOffset, actMin, actMax, single);
      }
    }
  }
}
