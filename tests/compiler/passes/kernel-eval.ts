// A naive evaluator of single kernel-IR ops, written from the op definitions in kernel-ir/types.ts and
// TFLite's reference kernels (not from the lowering): used to check that lowering preserves the graph's
// meaning, op by op, against the golden runtime (which executes the graph IR, never the kernel IR).
// Softmax is not evaluated (its parameters come straight from quant/params.ts, like the golden runtime's).
import type { KernelModule, KernelOp, Requantise, Window } from '../../../compiler/kernel-ir/types.ts';
import { clamp, multiplyByQuantizedMultiplier } from '../../../compiler/quant/multiplier.ts';

function requantise(acc: number, q: Requantise, oc: number): number {
  const i = q.requant.multiplier.length === 1 ? 0 : oc;
  const m = { multiplier: q.requant.multiplier[i], shift: q.requant.shift[i] };
  const v = multiplyByQuantizedMultiplier(acc, m, q.rounding === 'single' ? 'tflite' : 'tflm') + q.outputOffset;
  return clamp(v, q.actMin, q.actMax);
}

/** Input tap (b, iy, ix, c) of a window op after the input offset, or undefined in the padding. */
function tap(x: Int8Array, w: Window, b: number, iy: number, ix: number, c: number, offset: number): number | undefined {
  if (iy < 0 || iy >= w.inH || ix < 0 || ix >= w.inW) return undefined;
  return x[((b * w.inH + iy) * w.inW + ix) * w.inC + c] + offset;
}

function forEachOutput(w: Window, f: (b: number, oy: number, ox: number, oc: number) => number): Int8Array {
  const out = new Int8Array(w.batches * w.outH * w.outW * w.outC);
  let i = 0;
  for (let b = 0; b < w.batches; b++) for (let oy = 0; oy < w.outH; oy++) for (let ox = 0; ox < w.outW; ox++) {
    for (let oc = 0; oc < w.outC; oc++) out[i++] = f(b, oy, ox, oc);
  }
  return out;
}

/** Output of `op` given its input buffers' contents; undefined for softmax. */
export function evalKernelOp(m: KernelModule, op: KernelOp, inputs: Int8Array[]): Int8Array | undefined {
  const x = inputs[0];
  const c = (id: number) => m.consts[id].data;
  switch (op.kind) {
    case 'conv2d': case 'add_conv2d': {
      const w = c(op.weights), bias = c(op.bias);
      const groups = op.kind === 'conv2d' ? op.groups : 1;
      const icg = op.inC / groups, ocg = op.outC / groups;
      const k = op.kH * op.kW * icg;
      // the input patch of one output pixel and group, offset applied; undefined marks padding
      const patch: Array<number | undefined> = new Array(k);
      const out = new Int8Array(op.batches * op.outH * op.outW * op.outC);
      for (let b = 0; b < op.batches; b++) for (let oy = 0; oy < op.outH; oy++) for (let ox = 0; ox < op.outW; ox++) {
        const pix = ((b * op.outH + oy) * op.outW + ox) * op.outC;
        for (let g = 0; g < groups; g++) {
          let p = 0;
          for (let ky = 0; ky < op.kH; ky++) for (let kx = 0; kx < op.kW; kx++) for (let ic = 0; ic < icg; ic++) {
            patch[p++] = tap(x, op, b, oy * op.strideH - op.padTop + ky * op.dilationH, ox * op.strideW - op.padLeft + kx * op.dilationW, g * icg + ic, op.inputOffset);
          }
          for (let oc = g * ocg; oc < (g + 1) * ocg; oc++) {
            let acc = 0;
            for (let i = 0; i < k; i++) {
              const v = patch[i], wv = w[oc * k + i];
              // conv: padding contributes nothing; add conv: padding reads real 0, contributing |0 - w|
              if (op.kind === 'conv2d') acc += v === undefined ? 0 : v * wv;
              else acc -= Math.abs((v ?? 0) - wv);
            }
            out[pix + oc] = requantise(bias[oc] + acc, op, oc);
          }
        }
      }
      return out;
    }
    case 'depthwise_conv2d': {
      const w = c(op.weights), bias = c(op.bias);
      return forEachOutput(op, (b, oy, ox, oc) => {
        const ic = Math.floor(oc / op.depthMultiplier);
        let acc = bias[oc];
        for (let ky = 0; ky < op.kH; ky++) for (let kx = 0; kx < op.kW; kx++) {
          const v = tap(x, op, b, oy * op.strideH - op.padTop + ky * op.dilationH, ox * op.strideW - op.padLeft + kx * op.dilationW, ic, op.inputOffset);
          if (v !== undefined) acc += v * w[(ky * op.kW + kx) * op.outC + oc];
        }
        return requantise(acc, op, oc);
      });
    }
    case 'shift_conv2d': {
      const w = c(op.weights), bias = c(op.bias);
      return forEachOutput(op, (b, oy, ox, oc) => {
        let acc = bias[oc];
        for (let ic = 0; ic < op.inC; ic++) {
          const [dy, dx] = op.shifts[ic];
          const v = tap(x, op, b, oy * op.strideH + dy, ox * op.strideW + dx, ic, op.inputOffset);
          if (v !== undefined) acc += v * w[oc * op.inC + ic];
        }
        return requantise(acc, op, oc);
      });
    }
    case 'fully_connected': {
      const w = c(op.weights), bias = c(op.bias);
      const out = new Int8Array(op.batches * op.outDepth);
      for (let b = 0; b < op.batches; b++) for (let o = 0; o < op.outDepth; o++) {
        let acc = bias[o];
        for (let i = 0; i < op.inDepth; i++) acc += (x[b * op.inDepth + i] + op.inputOffset) * w[o * op.inDepth + i];
        out[b * op.outDepth + o] = requantise(acc, op, o);
      }
      return out;
    }
    case 'add': {
      const y = inputs[1];
      const [d0, d1, d2, d3] = op.outShape;
      const at = (s: number[], v: Int8Array, i: number[]) => v[((((s[0] > 1 ? i[0] : 0) * s[1] + (s[1] > 1 ? i[1] : 0)) * s[2] + (s[2] > 1 ? i[2] : 0)) * s[3]) + (s[3] > 1 ? i[3] : 0)];
      const out = new Int8Array(d0 * d1 * d2 * d3);
      const smaller = (v: number, q: { multiplier: number; shift: number }) => multiplyByQuantizedMultiplier(v, q, 'tflm');
      let k = 0;
      for (let a = 0; a < d0; a++) for (let b = 0; b < d1; b++) for (let cc = 0; cc < d2; cc++) for (let d = 0; d < d3; d++) {
        const i = [a, b, cc, d];
        const v1 = smaller((at(op.aShape, x, i) + op.input1Offset) * 2 ** op.leftShift, op.input1Q);
        const v2 = smaller((at(op.bShape, y, i) + op.input2Offset) * 2 ** op.leftShift, op.input2Q);
        out[k++] = clamp(smaller(v1 + v2, op.outputQ) + op.outputOffset, op.actMin, op.actMax);
      }
      return out;
    }
    case 'average_pool2d': case 'max_pool2d':
      return forEachOutput(op, (b, oy, ox, ch) => {
        let acc = op.kind === 'max_pool2d' ? -Infinity : 0, count = 0;
        for (let ky = 0; ky < op.kH; ky++) for (let kx = 0; kx < op.kW; kx++) {
          const v = tap(x, op, b, oy * op.strideH - op.padTop + ky, ox * op.strideW - op.padLeft + kx, ch, 0);
          if (v === undefined) continue;
          count++;
          acc = op.kind === 'max_pool2d' ? Math.max(acc, v) : acc + v;
        }
        // TFLite int8 average: divide by the number of valid taps, rounding half away from zero
        const r = op.kind === 'max_pool2d' ? acc : acc > 0 ? Math.trunc((acc + Math.trunc(count / 2)) / count) : Math.trunc((acc - Math.trunc(count / 2)) / count);
        return clamp(r, op.actMin, op.actMax);
      });
    case 'reshape':
      return x.slice();
    case 'softmax':
      return undefined;
    case 'copy': {
      // fill, then each region element by element: out[outOffset + i.outStrides] = in[inOffset + i.inStrides]
      const out = new Int8Array(m.buffers[op.output].bytes).fill(op.fill ?? 0);
      op.regions.forEach((r, k) => {
        const idx = r.shape.map(() => 0);
        const n = r.shape.reduce((a, b) => a * b, 1);
        for (let e = 0; e < n; e++) {
          let i = r.inOffset, o = r.outOffset;
          for (let d = 0; d < idx.length; d++) { i += idx[d] * r.inStrides[d]; o += idx[d] * r.outStrides[d]; }
          out[o] = inputs[k][i];
          for (let d = idx.length - 1; d >= 0 && ++idx[d] === r.shape[d]; d--) idx[d] = 0;
        }
      });
      return out;
    }
    case 'resize_nearest': {
      const out = new Int8Array(op.batches * op.outH * op.outW * op.channels);
      let i = 0;
      for (let b = 0; b < op.batches; b++) for (let y = 0; y < op.outH; y++) for (let xo = 0; xo < op.outW; xo++) {
        for (let ch = 0; ch < op.channels; ch++) out[i++] = x[((b * op.inH + op.rowIndex[y]) * op.inW + op.colIndex[xo]) * op.channels + ch];
      }
      return out;
    }
  }
}
