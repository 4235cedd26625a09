// Data movement (TFLite PAD, PADV2, TRANSPOSE, SLICE, STRIDED_SLICE, CONCATENATION, SPLIT, SPLIT_V, PACK,
// UNPACK, RESIZE_NEAREST_NEIGHBOR; int8 values are moved unchanged, as TFLite and TFLite Micro do).
// copyRegion is one affine strided copy of up to 6 dimensions (the host computes each op's regions from its
// attributes, compiler/ops/movement.ts); fillBytes sets a whole output (PAD's constant); resizeNearest
// computes its source pixels itself, in float32 as TFLite's reference GetNearestNeighbor does.

/**
 * n bytes from s to d (regions do not overlap), inline: memory.copy is a runtime call whose cost dominates
 * the short rows of a CONCATENATION along channels or a PAD of small planes (16 bytes per step in the SIMD
 * build, 8 in the scalar one; regions never overlap: distinct tensors).
 */
// @ts-ignore: decorator
@inline function copyShort(d: usize, s: usize, n: i32): void {
  // The tails are one more full-width copy ending at the last byte (overlapping the previous one).
  if (ASC_FEATURE_SIMD) {
    if (n >= 16) {
      let i = 0;
      for (; i + 16 <= n; i += 16) v128.store(d + <usize>i, v128.load(s + <usize>i));
      if (i < n) v128.store(d + <usize>(n - 16), v128.load(s + <usize>(n - 16)));
      return;
    }
  } else {
    if (n >= 16) {
      let i = 0;
      for (; i + 8 <= n; i += 8) store<u64>(d + <usize>i, load<u64>(s + <usize>i));
      if (i < n) store<u64>(d + <usize>(n - 8), load<u64>(s + <usize>(n - 8)));
      return;
    }
  }
  if (n >= 8) {
    store<u64>(d, load<u64>(s));
    store<u64>(d + <usize>(n - 8), load<u64>(s + <usize>(n - 8)));
  } else if (n >= 4) {
    store<u32>(d, load<u32>(s));
    store<u32>(d + <usize>(n - 4), load<u32>(s + <usize>(n - 4)));
  } else {
    for (let i = 0; i < n; i++) store<u8>(d + <usize>i, load<u8>(s + <usize>i));
  }
}

// @ts-ignore: decorator
@inline function lo8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
// @ts-ignore: decorator
@inline function hi8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

/** Swizzle index vectors of interleave / deinterleave: [c (< 16)][k (< 16)] x 16 bytes. */
const SWZ: usize = memory.data(16 * 16 * 16, 16);

/**
 * dst[i * c + j] = src[i + j * sStride] for i < n, j < c (2 <= c < 16; SIMD build only): c planes interleaved
 * into pixels of c bytes (a channels-first to channels-last TRANSPOSE with few channels). 16 pixels (c
 * output vectors) at a time; output vector k takes from plane j the bytes its swizzle index names (index
 * 128, out of range, gives 0 for the bytes of the other planes).
 */
function interleave(src: usize, dst: usize, n: i32, c: i32, sStride: i32): void {
  const done = interleavePow2(src, dst, n, c, sStride);
  if (done > 0) {
    for (let i = done; i < n; i++) for (let j = 0; j < c; j++) store<i8>(dst + <usize>(i * c + j), load<i8>(src + <usize>(i + j * sStride)));
    return;
  }
  for (let k = 0; k < c; k++) {
    for (let j = 0; j < c; j++) {
      for (let t = 0; t < 16; t++) {
        const b = 16 * k + t;
        store<u8>(SWZ + <usize>((k * 16 + j) * 16 + t), b % c == j ? <u8>(b / c) : <u8>128);
      }
    }
  }
  const n16 = n & ~15;
  for (let i = 0; i < n16; i += 16) {
    const o = dst + <usize>(i * c);
    for (let k = 0; k < c; k++) {
      let r = i8x16.swizzle(v128.load(src + <usize>i), v128.load(SWZ + <usize>(k * 256)));
      for (let j = 1; j < c; j++) {
        r = v128.or(r, i8x16.swizzle(v128.load(src + <usize>(i + j * sStride)), v128.load(SWZ + <usize>((k * 16 + j) * 16))));
      }
      v128.store(o + <usize>(k * 16), r);
    }
  }
  for (let i = n16; i < n; i++) for (let j = 0; j < c; j++) store<i8>(dst + <usize>(i * c + j), load<i8>(src + <usize>(i + j * sStride)));
}

/**
 * dst[i * dStride + j] = src[i + j * c] for i < c, j < m (2 <= c < 16; SIMD build only): pixels of c bytes
 * split into c planes (channels-last to channels-first). 16 pixels (c input vectors) at a time; plane i
 * takes from input vector k the bytes its swizzle index names.
 */
function deinterleave(src: usize, dst: usize, c: i32, m: i32, dStride: i32): void {
  const done = deinterleavePow2(src, dst, c, m, dStride);
  if (done > 0) {
    for (let i = 0; i < c; i++) for (let j = done; j < m; j++) store<i8>(dst + <usize>(i * dStride + j), load<i8>(src + <usize>(i + j * c)));
    return;
  }
  for (let i = 0; i < c; i++) {
    for (let k = 0; k < c; k++) {
      for (let t = 0; t < 16; t++) {
        const b = t * c + i - 16 * k;
        store<u8>(SWZ + <usize>((i * 16 + k) * 16 + t), b >= 0 && b < 16 ? <u8>b : <u8>128);
      }
    }
  }
  const m16 = m & ~15;
  for (let j = 0; j < m16; j += 16) {
    const p = src + <usize>(j * c);
    for (let i = 0; i < c; i++) {
      let r = i8x16.swizzle(v128.load(p), v128.load(SWZ + <usize>(i * 256)));
      for (let k = 1; k < c; k++) {
        r = v128.or(r, i8x16.swizzle(v128.load(p + <usize>(k * 16)), v128.load(SWZ + <usize>((i * 16 + k) * 16))));
      }
      v128.store(dst + <usize>(i * dStride + j), r);
    }
  }
  for (let i = 0; i < c; i++) for (let j = m16; j < m; j++) store<i8>(dst + <usize>(i * dStride + j), load<i8>(src + <usize>(i + j * c)));
}

// @ts-ignore: decorator
@inline function ev8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}
// @ts-ignore: decorator
@inline function od8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

/**
 * 16 pixels of 4 or 8 planes interleaved / split by log2(c) rounds of the perfect shuffle (interleave:
 * row 2j <- interleave-low(row j, row j + c/2), row 2j + 1 <- interleave-high; split: row j <- even bytes of
 * rows 2j, 2j + 1, row j + c/2 <- odd bytes). Returns the pixels done (a multiple of 16).
 */
function interleavePow2(src: usize, dst: usize, n: i32, c: i32, sStride: i32): i32 {
  const n16 = n & ~15;
  const st = <usize>sStride;
  if (c == 8) {
    for (let i = 0; i < n16; i += 16) {
      const p = src + <usize>i;
      let r0 = v128.load(p), r1 = v128.load(p + st), r2 = v128.load(p + 2 * st), r3 = v128.load(p + 3 * st);
      let r4 = v128.load(p + 4 * st), r5 = v128.load(p + 5 * st), r6 = v128.load(p + 6 * st), r7 = v128.load(p + 7 * st);
      for (let round = 0; round < 3; round++) {
        const t0 = lo8(r0, r4), t1 = hi8(r0, r4), t2 = lo8(r1, r5), t3 = hi8(r1, r5);
        const t4 = lo8(r2, r6), t5 = hi8(r2, r6), t6 = lo8(r3, r7), t7 = hi8(r3, r7);
        r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7;
      }
      const q = dst + <usize>(i * 8);
      v128.store(q, r0); v128.store(q, r1, 16); v128.store(q, r2, 32); v128.store(q, r3, 48);
      v128.store(q, r4, 64); v128.store(q, r5, 80); v128.store(q, r6, 96); v128.store(q, r7, 112);
    }
    return n16;
  }
  if (c == 4) {
    for (let i = 0; i < n16; i += 16) {
      const p = src + <usize>i;
      let r0 = v128.load(p), r1 = v128.load(p + st), r2 = v128.load(p + 2 * st), r3 = v128.load(p + 3 * st);
      for (let round = 0; round < 2; round++) {
        const t0 = lo8(r0, r2), t1 = hi8(r0, r2), t2 = lo8(r1, r3), t3 = hi8(r1, r3);
        r0 = t0; r1 = t1; r2 = t2; r3 = t3;
      }
      const q = dst + <usize>(i * 4);
      v128.store(q, r0); v128.store(q, r1, 16); v128.store(q, r2, 32); v128.store(q, r3, 48);
    }
    return n16;
  }
  return 0;
}

function deinterleavePow2(src: usize, dst: usize, c: i32, m: i32, dStride: i32): i32 {
  const m16 = m & ~15;
  const dt = <usize>dStride;
  if (c == 8) {
    for (let j = 0; j < m16; j += 16) {
      const p = src + <usize>(j * 8);
      let r0 = v128.load(p), r1 = v128.load(p, 16), r2 = v128.load(p, 32), r3 = v128.load(p, 48);
      let r4 = v128.load(p, 64), r5 = v128.load(p, 80), r6 = v128.load(p, 96), r7 = v128.load(p, 112);
      for (let round = 0; round < 3; round++) {
        const t0 = ev8(r0, r1), t4 = od8(r0, r1), t1 = ev8(r2, r3), t5 = od8(r2, r3);
        const t2 = ev8(r4, r5), t6 = od8(r4, r5), t3 = ev8(r6, r7), t7 = od8(r6, r7);
        r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7;
      }
      const q = dst + <usize>j;
      v128.store(q, r0); v128.store(q + dt, r1); v128.store(q + 2 * dt, r2); v128.store(q + 3 * dt, r3);
      v128.store(q + 4 * dt, r4); v128.store(q + 5 * dt, r5); v128.store(q + 6 * dt, r6); v128.store(q + 7 * dt, r7);
    }
    return m16;
  }
  if (c == 4) {
    for (let j = 0; j < m16; j += 16) {
      const p = src + <usize>(j * 4);
      let r0 = v128.load(p), r1 = v128.load(p, 16), r2 = v128.load(p, 32), r3 = v128.load(p, 48);
      for (let round = 0; round < 2; round++) {
        const t0 = ev8(r0, r1), t2 = od8(r0, r1), t1 = ev8(r2, r3), t3 = od8(r2, r3);
        r0 = t0; r1 = t1; r2 = t2; r3 = t3;
      }
      const q = dst + <usize>j;
      v128.store(q, r0); v128.store(q + dt, r1); v128.store(q + 2 * dt, r2); v128.store(q + 3 * dt, r3);
    }
    return m16;
  }
  return 0;
}

/**
 * dst[i * dStride + j] = src[i + j * sStride] for i < n (rows of the output), j < m (SIMD build only).
 * Full 16 x 16 tiles: 16 input rows loaded, transposed by four rounds of the perfect shuffle
 * (row 2k <- interleave-low(row k, row k + 8), row 2k + 1 <- interleave-high), stored as 16 output rows.
 */
function transpose2d(src: usize, dst: usize, n: i32, m: i32, sStride: i32, dStride: i32): void {
  if (m >= 2 && m < 16 && n >= 64 && dStride == m) { interleave(src, dst, n, m, sStride); return; }
  if (n >= 2 && n < 16 && m >= 64 && sStride == n) { deinterleave(src, dst, n, m, dStride); return; }
  const n16 = n & ~15, m16 = m & ~15;
  for (let i = 0; i < n16; i += 16) {
    for (let j = 0; j < m16; j += 16) {
      const p = src + <usize>(i + j * sStride);
      const st = <usize>sStride;
      let r0 = v128.load(p), r1 = v128.load(p + st), r2 = v128.load(p + 2 * st), r3 = v128.load(p + 3 * st);
      let r4 = v128.load(p + 4 * st), r5 = v128.load(p + 5 * st), r6 = v128.load(p + 6 * st), r7 = v128.load(p + 7 * st);
      let r8 = v128.load(p + 8 * st), r9 = v128.load(p + 9 * st), r10 = v128.load(p + 10 * st), r11 = v128.load(p + 11 * st);
      let r12 = v128.load(p + 12 * st), r13 = v128.load(p + 13 * st), r14 = v128.load(p + 14 * st), r15 = v128.load(p + 15 * st);
      for (let round = 0; round < 4; round++) {
        const t0 = lo8(r0, r8), t1 = hi8(r0, r8), t2 = lo8(r1, r9), t3 = hi8(r1, r9);
        const t4 = lo8(r2, r10), t5 = hi8(r2, r10), t6 = lo8(r3, r11), t7 = hi8(r3, r11);
        const t8 = lo8(r4, r12), t9 = hi8(r4, r12), t10 = lo8(r5, r13), t11 = hi8(r5, r13);
        const t12 = lo8(r6, r14), t13 = hi8(r6, r14), t14 = lo8(r7, r15), t15 = hi8(r7, r15);
        r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7;
        r8 = t8; r9 = t9; r10 = t10; r11 = t11; r12 = t12; r13 = t13; r14 = t14; r15 = t15;
      }
      const q = dst + <usize>(i * dStride + j);
      const dt = <usize>dStride;
      v128.store(q, r0); v128.store(q + dt, r1); v128.store(q + 2 * dt, r2); v128.store(q + 3 * dt, r3);
      v128.store(q + 4 * dt, r4); v128.store(q + 5 * dt, r5); v128.store(q + 6 * dt, r6); v128.store(q + 7 * dt, r7);
      v128.store(q + 8 * dt, r8); v128.store(q + 9 * dt, r9); v128.store(q + 10 * dt, r10); v128.store(q + 11 * dt, r11);
      v128.store(q + 12 * dt, r12); v128.store(q + 13 * dt, r13); v128.store(q + 14 * dt, r14); v128.store(q + 15 * dt, r15);
    }
  }
  // Edges: output rows n16.. (all columns), then columns m16.. of the first n16 rows.
  for (let i = n16; i < n; i++) for (let j = 0; j < m; j++) store<i8>(dst + <usize>(i * dStride + j), load<i8>(src + <usize>(i + j * sStride)));
  for (let i = 0; i < n16; i++) for (let j = m16; j < m; j++) store<i8>(dst + <usize>(i * dStride + j), load<i8>(src + <usize>(i + j * sStride)));
}

/**
 * For every index i of shape (6 dims, outermost first): dst[outOffset + sum i_d * outStride_d] =
 * src[inOffset + sum i_d * inStride_d]. `desc` holds i32 shape[6], inStride[6], outStride[6] (elements;
 * input strides may be negative).
 */
export function copyRegion(src: usize, dst: usize, desc: usize, inOffset: i32, outOffset: i32): void {
  const n0 = load<i32>(desc, 0), n1 = load<i32>(desc, 4), n2 = load<i32>(desc, 8);
  const n3 = load<i32>(desc, 12), n4 = load<i32>(desc, 16), n5 = load<i32>(desc, 20);
  const a0 = load<i32>(desc, 24), a1 = load<i32>(desc, 28), a2 = load<i32>(desc, 32);
  const a3 = load<i32>(desc, 36), a4 = load<i32>(desc, 40), a5 = load<i32>(desc, 44);
  const b0 = load<i32>(desc, 48), b1 = load<i32>(desc, 52), b2 = load<i32>(desc, 56);
  const b3 = load<i32>(desc, 60), b4 = load<i32>(desc, 64), b5 = load<i32>(desc, 68);
  const contiguous = a5 == 1 && b5 == 1;
  if (ASC_FEATURE_SIMD) {
    // A transpose of the two innermost dimensions (one side contiguous along dim 4, the other along dim 5): 16 x 16
    // byte tiles transposed in registers, the edges by the scalar loop below.
    const outRows = b5 == 1 && a4 == 1 && a5 != 1; // output rows along dim 4
    const inRows = a5 == 1 && b4 == 1 && b5 != 1; // output rows along dim 5
    if ((outRows || inRows) && ((n4 >= 16 && n5 >= 16) || (n4 >= 2 && n5 >= 2 && n4 + n5 >= 66 && (n4 < 16 || n5 < 16)))) {
      for (let i0 = 0; i0 < n0; i0++) {
        for (let i1 = 0; i1 < n1; i1++) {
          for (let i2 = 0; i2 < n2; i2++) {
            for (let i3 = 0; i3 < n3; i3++) {
              const s = <i32>src + inOffset + i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3;
              const d = <i32>dst + outOffset + i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3;
              if (outRows) transpose2d(<usize>s, <usize>d, n4, n5, a5, b4);
              else transpose2d(<usize>s, <usize>d, n5, n4, a4, b5);
            }
          }
        }
      }
      return;
    }
  }
  for (let i0 = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      for (let i2 = 0; i2 < n2; i2++) {
        for (let i3 = 0; i3 < n3; i3++) {
          for (let i4 = 0; i4 < n4; i4++) {
            const s = <i32>src + inOffset + i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4;
            const d = <i32>dst + outOffset + i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4;
            if (contiguous) {
              if (n5 <= 256) copyShort(<usize>d, <usize>s, n5);
              else memory.copy(<usize>d, <usize>s, <usize>n5);
            } else {
              for (let i5 = 0; i5 < n5; i5++) store<i8>(<usize>(d + i5 * b5), load<i8>(<usize>(s + i5 * a5)));
            }
          }
        }
      }
    }
  }
}

/** Sets n bytes at dst to value. */
export function fillBytes(dst: usize, value: i32, n: usize): void {
  memory.fill(dst, <u8>value, n);
}

/** Half away from zero, for the non-negative coordinates resizing produces (TfLiteRound). */
function roundHalfAway(x: f32): f32 {
  const t = Mathf.trunc(x);
  return x - t >= <f32>0.5 ? t + <f32>1 : t;
}

/** TFLite's GetNearestNeighbor: float32 scale and offset, floor (or round with align_corners), clamped. */
function nearest(i: i32, inSize: i32, outSize: i32, alignCorners: i32, halfPixel: i32): i32 {
  const scale: f32 = alignCorners != 0 && outSize > 1 ? <f32>(inSize - 1) / <f32>(outSize - 1) : <f32>inSize / <f32>outSize;
  const offset: f32 = halfPixel != 0 ? <f32>0.5 : <f32>0;
  const v: f32 = (<f32>i + offset) * scale;
  let r = <i32>(alignCorners != 0 ? roundHalfAway(v) : Mathf.floor(v));
  if (r > inSize - 1) r = inSize - 1;
  if (halfPixel != 0 && r < 0) r = 0;
  return r;
}

/** RESIZE_NEAREST_NEIGHBOR over NHWC int8. */
export function resizeNearest(x: usize, n: i32, h: i32, w: i32, c: i32, out: usize, oh: i32, ow: i32, alignCorners: i32, halfPixel: i32): void {
  let o = out;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const iy = nearest(y, h, oh, alignCorners, halfPixel);
      const row = x + <usize>((b * h + iy) * w) * <usize>c;
      for (let xo = 0; xo < ow; xo++) {
        const ix = nearest(xo, w, ow, alignCorners, halfPixel);
        memory.copy(o, row + <usize>ix * <usize>c, <usize>c);
        o += <usize>c;
      }
    }
  }
}
