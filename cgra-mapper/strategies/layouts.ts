// Input layouts for the pair-of-pixels dataflows (checker, checker-dw): how each output pixel's reduction
// stream sits in memory so an input feeder can walk it with a constant pointer step, and how pixel pairs
// are grouped into launches and passes (a pass = one pair; the stream start moves by a constant per pass).
//   natural      the model's NHWC tensor as is (1x1, stride 1, no padding): one launch, all pixels
//   subsample    1x1 with stride: the host copies the strided pixels together (outH*outW*C bytes)
//   band-rows    KxK: per output row, the host builds a band of input columns, each column kH*C bytes
//                (ky-major, zero point outside the image), so one pixel's window is kW*colBytes contiguous
//                bytes; one launch per output row
//   band-merged  the same bands back to back, with rp pairs per row (extra pairs are computed and
//                dropped) so rows follow each other at a constant stride: one launch for the layer
//   im2col       per-pixel rows (dilated width): the host writes kH*kW*C bytes per pixel
import type { CgraLayer } from '../layer.ts';
import { inputAt } from '../layer.ts';

export type LayoutMode = 'natural' | 'subsample' | 'band-rows' | 'band-merged' | 'im2col';

export interface PairLayout {
  mode: LayoutMode;
  /** Bytes from one pixel's stream start to the next pixel's. */
  pixelStride: number;
  /** Bytes the host writes per inference (0: the model's tensor is read in place). */
  preBytes: number;
  /** Bytes of the input region (plus slack added by the caller). */
  inBytes: number;
  /** Passes (pixel pairs) per launch and the launches' stream starts (offsets into the input region). */
  passes: number;
  starts: number[];
  /** Global output pixel of pixel P (0 .. pixels per pass - 1) of pass `pass` in launch `l`, or -1 for a dropped pixel. */
  pixelOf(l: number, pass: number, P: number): number;
  /** Host pre-step: the input region's bytes (undefined: the tensor itself). */
  build?(input: Int8Array): Int8Array;
}

export const ceil4 = (x: number): number => Math.ceil(x / 4) * 4;

/**
 * A band layout: input column x of band oy holds rows oy*s - padTop + ky*dH (ky < kH), colBytes bytes,
 * channel-minor, padded with zeros after kH*C. `merged` puts bands back to back (one launch).
 */
export function bandLayout(L: CgraLayer, colBytes: number, merged: boolean, perPass = 2): PairLayout {
  const s = L.strideW;
  const need = Math.ceil(L.outW / perPass);
  const rp = merged ? Math.max(need, Math.ceil(((L.outW - 1) * s + L.kW) / (perPass * s))) : need;
  // Whole words per band, so every launch's stream starts word-aligned.
  let cols = merged ? perPass * rp * s : (perPass * rp - 1) * s + L.kW;
  while ((cols * colBytes) % 4 !== 0) cols++;
  const bandBytes = cols * colBytes;
  const pixelStride = s * colBytes;
  const build = (input: Int8Array): Int8Array => {
    const buf = new Int8Array(L.outH * bandBytes);
    for (let oy = 0; oy < L.outH; oy++) {
      for (let x = 0; x < cols; x++) {
        const base = oy * bandBytes + x * colBytes;
        for (let ky = 0; ky < L.kH; ky++) {
          const y = oy * L.strideH - L.padTop + ky * L.dilH;
          for (let c = 0; c < L.inC; c++) buf[base + ky * L.inC + c] = inputAt(L, input, y, x - L.padLeft, c);
        }
      }
    }
    return buf;
  };
  const common = { pixelStride, preBytes: L.outH * bandBytes, inBytes: L.outH * bandBytes, build };
  if (merged) {
    return {
      mode: 'band-merged', ...common, passes: L.outH * rp, starts: [0],
      pixelOf: (_l, pass, P) => { const oy = Math.floor(pass / rp), ox = perPass * (pass % rp) + P; return ox < L.outW ? oy * L.outW + ox : -1; },
    };
  }
  return {
    mode: 'band-rows', ...common, passes: rp, starts: Array.from({ length: L.outH }, (_, oy) => oy * bandBytes),
    pixelOf: (l, pass, P) => { const ox = perPass * pass + P; return ox < L.outW ? l * L.outW + ox : -1; },
  };
}

/** Every output pixel's stream contiguous at `pixelStride` (natural or host-subsampled 1x1). */
export function flatLayout(L: CgraLayer, perPass = 2): PairLayout {
  const P = L.outH * L.outW;
  const pixelOf = (_l: number, pass: number, Pi: number): number => (perPass * pass + Pi < P ? perPass * pass + Pi : -1);
  if (L.strideH === 1 && L.strideW === 1 && L.outW === L.inW && L.outH === L.inH) {
    return { mode: 'natural', pixelStride: L.inC, preBytes: 0, inBytes: L.inH * L.inW * L.inC, passes: Math.ceil(P / perPass), starts: [0], pixelOf };
  }
  const build = (input: Int8Array): Int8Array => {
    const buf = new Int8Array(P * L.inC);
    for (let oy = 0; oy < L.outH; oy++) for (let ox = 0; ox < L.outW; ox++) {
      for (let c = 0; c < L.inC; c++) buf[(oy * L.outW + ox) * L.inC + c] = inputAt(L, input, oy * L.strideH, ox * L.strideW, c);
    }
    return buf;
  };
  return { mode: 'subsample', pixelStride: L.inC, preBytes: P * L.inC, inBytes: P * L.inC, passes: Math.ceil(P / perPass), starts: [0], pixelOf, build };
}

/** Per-pixel im2col rows of `rowBytes` (>= kH*kW*C), order (ky, kx, c). */
export function im2colLayout(L: CgraLayer, rowBytes: number, perPass = 2): PairLayout {
  const P = L.outH * L.outW;
  const n = L.kH * L.kW * L.inC;
  const build = (input: Int8Array): Int8Array => {
    const buf = new Int8Array(P * rowBytes);
    for (let p = 0; p < P; p++) {
      const oy = Math.floor(p / L.outW), ox = p % L.outW;
      for (let k = 0; k < n; k++) {
        const ky = Math.floor(k / (L.kW * L.inC)), kx = Math.floor(k / L.inC) % L.kW, c = k % L.inC;
        buf[p * rowBytes + k] = inputAt(L, input, oy * L.strideH - L.padTop + ky * L.dilH, ox * L.strideW - L.padLeft + kx * L.dilW, c);
      }
    }
    return buf;
  };
  return {
    mode: 'im2col', pixelStride: rowBytes, preBytes: P * rowBytes, inBytes: P * rowBytes, passes: Math.ceil(P / perPass), starts: [0],
    pixelOf: (_l, pass, Pi) => (perPass * pass + Pi < P ? perPass * pass + Pi : -1), build,
  };
}
