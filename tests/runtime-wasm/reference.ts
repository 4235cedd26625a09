// A deliberately naive TypeScript reference for the golden runtime's tests, written from TFLite's
// reference_integer_ops loop structure (skip taps in the padding, per-channel requantisation through
// compiler/quant/multiplier.ts). It shares no code with the AssemblyScript kernels (no int16 patches, no
// weight rows, no SIMD), so agreement is evidence for both. Softmax is not here: it is checked against
// hand-computed values and the float softmax instead.
import { numElements, padBefore, type Graph, type Op } from '../../compiler/ir/graph.ts';
import { clamp, multiplyByQuantizedMultiplier, type Arith } from '../../compiler/quant/multiplier.ts';
import { addQuantParams, convQuantParams, poolQuantParams } from '../../compiler/quant/params.ts';

function requant(acc: number, q: ReturnType<typeof convQuantParams>, oc: number, arith: Arith): number {
  const i = q.requant.multiplier.length === 1 ? 0 : oc;
  const m = { multiplier: q.requant.multiplier[i], shift: q.requant.shift[i] };
  return clamp(multiplyByQuantizedMultiplier(acc, m, arith) + q.outputOffset, q.actMin, q.actMax);
}

export function referenceOp(g: Graph, op: Op, vals: Map<number, Int8Array>, arith: Arith): Int8Array {
  const T = (i: number) => g.tensors[op.inputs[i]];
  const X = vals.get(op.inputs[0]) ?? (T(0).data as Int8Array);
  const Y = g.tensors[op.outputs[0]];
  const out = new Int8Array(numElements(Y.shape));
  const biasOf = (oc: number) => (op.inputs[2] !== undefined && op.inputs[2] >= 0 ? (T(2).data as Int32Array)[oc] : 0);
  switch (op.kind) {
    case 'conv2d':
    case 'add_conv2d': {
      const [N, H, W, C] = T(0).shape;
      const [OC, KH, KW, ICG] = T(1).shape;
      const [, OH, OW] = Y.shape;
      const w = T(1).data as Int8Array;
      const groups = C / ICG;
      // Desktop TFLite single-rounds only ungrouped CONV_2D (grouped ones run its double-rounding reference kernel).
      const mode: Arith = op.kind === 'conv2d' && groups === 1 ? arith : 'tflm';
      const q = convQuantParams(g, op, mode);
      const pt = padBefore(H, KH, op.stride[0], op.dilation[0], op.padding);
      const pl = padBefore(W, KW, op.stride[1], op.dilation[1], op.padding);
      for (let b = 0; b < N; b++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let oc = 0; oc < OC; oc++) {
        const grp = Math.floor(oc / (OC / groups));
        let acc = 0;
        for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) for (let ic = 0; ic < ICG; ic++) {
          const iy = oy * op.stride[0] - pt + ky * op.dilation[0];
          const ix = ox * op.stride[1] - pl + kx * op.dilation[1];
          const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
          const xv = inside ? X[((b * H + iy) * W + ix) * C + grp * ICG + ic] + q.inputOffset : 0;
          const wv = w[((oc * KH + ky) * KW + kx) * ICG + ic];
          if (op.kind === 'conv2d') { if (inside) acc += xv * wv; } else acc += Math.abs(xv - wv);
        }
        acc = op.kind === 'conv2d' ? acc + biasOf(oc) : biasOf(oc) - acc;
        out[((b * OH + oy) * OW + ox) * OC + oc] = requant(acc, q, oc, mode);
      }
      return out;
    }
    case 'depthwise_conv2d': {
      const [N, H, W, C] = T(0).shape;
      const [, KH, KW, OC] = T(1).shape;
      const [, OH, OW] = Y.shape;
      const M = op.depthMultiplier;
      const w = T(1).data as Int8Array;
      const q = convQuantParams(g, op, 'tflm');
      const pt = padBefore(H, KH, op.stride[0], op.dilation[0], op.padding);
      const pl = padBefore(W, KW, op.stride[1], op.dilation[1], op.padding);
      for (let b = 0; b < N; b++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++)
        for (let ic = 0; ic < C; ic++) for (let m = 0; m < M; m++) {
          const oc = ic * M + m;
          let acc = 0;
          for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
            const iy = oy * op.stride[0] - pt + ky * op.dilation[0];
            const ix = ox * op.stride[1] - pl + kx * op.dilation[1];
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            acc += (X[((b * H + iy) * W + ix) * C + ic] + q.inputOffset) * w[(ky * KW + kx) * OC + oc];
          }
          out[((b * OH + oy) * OW + ox) * OC + oc] = requant(acc + biasOf(oc), q, oc, 'tflm');
        }
      return out;
    }
    case 'fully_connected': {
      const [OC, IC] = T(1).shape;
      const w = T(1).data as Int8Array;
      const q = convQuantParams(g, op, arith);
      const B = X.length / IC;
      for (let b = 0; b < B; b++) for (let oc = 0; oc < OC; oc++) {
        let acc = biasOf(oc);
        for (let i = 0; i < IC; i++) acc += (X[b * IC + i] + q.inputOffset) * w[oc * IC + i];
        out[b * OC + oc] = requant(acc, q, oc, arith);
      }
      return out;
    }
    case 'shift_conv2d': {
      const [N, H, W, C] = T(0).shape;
      const [OC] = T(1).shape;
      const [, OH, OW] = Y.shape;
      const w = T(1).data as Int8Array;
      const q = convQuantParams(g, op, 'tflm');
      for (let b = 0; b < N; b++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let oc = 0; oc < OC; oc++) {
        let acc = biasOf(oc);
        for (let c = 0; c < C; c++) {
          const iy = oy * op.stride[0] + op.shifts[c][0];
          const ix = ox * op.stride[1] + op.shifts[c][1];
          if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
          acc += (X[((b * H + iy) * W + ix) * C + c] + q.inputOffset) * w[oc * C + c];
        }
        out[((b * OH + oy) * OW + ox) * OC + oc] = requant(acc, q, oc, 'tflm');
      }
      return out;
    }
    case 'average_pool2d':
    case 'max_pool2d': {
      const [N, H, W, C] = T(0).shape;
      const [, OH, OW] = Y.shape;
      const { actMin, actMax } = poolQuantParams(g, op);
      const pt = padBefore(H, op.filter[0], op.stride[0], 1, op.padding);
      const pl = padBefore(W, op.filter[1], op.stride[1], 1, op.padding);
      for (let b = 0; b < N; b++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let c = 0; c < C; c++) {
        let sum = 0, count = 0, mx = -128;
        for (let fy = 0; fy < op.filter[0]; fy++) for (let fx = 0; fx < op.filter[1]; fx++) {
          const iy = oy * op.stride[0] - pt + fy, ix = ox * op.stride[1] - pl + fx;
          if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
          const v = X[((b * H + iy) * W + ix) * C + c];
          sum += v; count++; mx = Math.max(mx, v);
        }
        // Round half away from zero, as TFLite's (sum +- count/2) / count with truncating division.
        const avg = Math.sign(sum) * Math.floor((Math.abs(sum) + Math.floor(count / 2)) / count);
        out[((b * OH + oy) * OW + ox) * C + c] = clamp(op.kind === 'max_pool2d' ? mx : avg, actMin, actMax);
      }
      return out;
    }
    case 'add': {
      const q = addQuantParams(g, op);
      const A = vals.get(op.inputs[0])!, Bv = vals.get(op.inputs[1])!;
      const os = Y.shape;
      const idx = (shape: number[], coord: number[]) => {
        // NumPy broadcasting: align right, size-1 dims repeat.
        let i = 0;
        const off = coord.length - shape.length;
        for (let d = 0; d < shape.length; d++) i = i * shape[d] + (shape[d] === 1 ? 0 : coord[d + off]);
        return i;
      };
      const coord = new Array(os.length).fill(0);
      for (let e = 0; e < out.length; e++) {
        let rem = e;
        for (let d = os.length - 1; d >= 0; d--) { coord[d] = rem % os[d]; rem = Math.floor(rem / os[d]); }
        const a = (A[idx(T(0).shape, coord)] + q.input1Offset) * (1 << q.leftShift);
        const bb = (Bv[idx(T(1).shape, coord)] + q.input2Offset) * (1 << q.leftShift);
        const sa = multiplyByQuantizedMultiplier(a, q.input1Q, 'tflm');
        const sb = multiplyByQuantizedMultiplier(bb, q.input2Q, 'tflm');
        out[e] = clamp(multiplyByQuantizedMultiplier(sa + sb, q.outputQ, 'tflm') + q.outputOffset, q.actMin, q.actMax);
      }
      return out;
    }
    case 'reshape':
      return X.slice();
    case 'softmax':
      throw new Error('softmax has no TypeScript reference here');
    case 'quantize':
    case 'dequantize':
      throw new Error(`${op.kind} has no TypeScript reference here (tests/runtime-wasm/quantize.test.ts checks it)`);
  }
}
