// Data movement (TFLite PAD, PADV2, TRANSPOSE, SLICE, STRIDED_SLICE, CONCATENATION, SPLIT, SPLIT_V, PACK,
// UNPACK, RESIZE_NEAREST_NEIGHBOR; int8 values are moved unchanged, as TFLite and TFLite Micro do).
// copyRegion is one affine strided copy of up to 6 dimensions (the host computes each op's regions from its
// attributes, compiler/ops/movement.ts); fillBytes sets a whole output (PAD's constant); resizeNearest
// computes its source pixels itself, in float32 as TFLite's reference GetNearestNeighbor does.

/**
 * n bytes from s to d (regions do not overlap), inline: memory.copy is a runtime call whose cost dominates
 * the short rows of a CONCATENATION along channels (16 bytes per step in the SIMD build, 8 in the scalar one).
 */
// @ts-ignore: decorator
@inline function copyShort(d: usize, s: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 16 <= n; i += 16) v128.store(d + <usize>i, v128.load(s + <usize>i));
  } else {
    for (; i + 8 <= n; i += 8) store<u64>(d + <usize>i, load<u64>(s + <usize>i));
  }
  for (; i < n; i++) store<u8>(d + <usize>i, load<u8>(s + <usize>i));
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
