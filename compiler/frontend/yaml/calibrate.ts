// A float reference of the graph-IR ops, used only by the YAML network builder to calibrate generated
// networks the way post-training quantisation does: run a seeded random input through the layers built so
// far (dequantised weights, activations fake-quantised to their int8 grids) and pick each new output's
// scale and zero point from the values actually seen. Not bit-exact and never used for verification (the
// golden runtime is); it only has to be close enough to choose useful ranges.
import { assertNever } from '../../diagnostics.ts';
import { padBefore, type Activation, type Graph, type Op, type Quant, type Tensor } from '../../ir/graph.ts';
import type { YAML_LAYER_KINDS } from './schema.ts';

/** The graph ops a `network:` layer builds. */
export type LayerGraphOp = Extract<Op, { kind: (typeof YAML_LAYER_KINDS)[number] }>;

/** Real values of a constant tensor (per-axis scales honoured). */
export function dequantize(t: Tensor): Float64Array {
  const q = t.quant!, d = t.data!;
  const inner = q.axis === undefined ? 1 : t.shape.slice(q.axis + 1).reduce((a, b) => a * b, 1);
  const n = q.axis === undefined ? 1 : t.shape[q.axis]!;
  return Float64Array.from(d as ArrayLike<number | bigint>, (v, i) => {
    const c = q.axis === undefined ? 0 : Math.floor(i / inner) % n;
    return (Number(v) - q.zeroPoint[c]!) * q.scale[c]!;
  });
}

export function applyActivation(a: Activation, v: number): number {
  switch (a) {
    case 'none': return v;
    case 'relu': return Math.max(0, v);
    case 'relu6': return Math.min(6, Math.max(0, v));
    case 'relu_n1_to_1': return Math.min(1, Math.max(-1, v));
  }
}

/** Rounds real values to a per-tensor int8 grid and back (what the next layer will see). */
export function fakeQuant(v: Float64Array, q: Quant): Float64Array {
  const s = q.scale[0]!, z = q.zeroPoint[0]!;
  return v.map((x) => (Math.min(127, Math.max(-128, Math.round(x / s) + z)) - z) * s);
}

/** Pre-activation output of `op` (NHWC, channels last) from the real values of its activation inputs. */
export function floatOp(g: Graph, op: LayerGraphOp, vals: Map<number, Float64Array>): Float64Array {
  const xt = g.tensors[op.inputs[0]!]!;
  const x = vals.get(xt.id)!;
  const ot = g.tensors[op.outputs[0]!]!;
  const out = new Float64Array(ot.shape.reduce((a, b) => a * b, 1));
  const bias = (c: number, b?: Float64Array) => (b ? b[c]! : 0);
  const w = op.inputs[1] !== undefined && op.inputs[1] >= 0 && op.kind !== 'add' ? dequantize(g.tensors[op.inputs[1]]!) : new Float64Array(0);
  const b = op.inputs[2] !== undefined && op.inputs[2] >= 0 ? dequantize(g.tensors[op.inputs[2]]!) : undefined;
  switch (op.kind) {
    case 'conv2d': case 'depthwise_conv2d': case 'add_conv2d': {
      const [, H, W, C] = xt.shape as [number, number, number, number];
      const [, OH, OW, OC] = ot.shape as [number, number, number, number];
      const ws = g.tensors[op.inputs[1]!]!.shape as [number, number, number, number];
      const [KH, KW] = [ws[1], ws[2]];
      const pt = padBefore(H, KH, op.stride[0], op.dilation[0], op.padding);
      const pl = padBefore(W, KW, op.stride[1], op.dilation[1], op.padding);
      const wi = op.kind === 'depthwise_conv2d' ? 1 : ws[3];
      const perGroup = OC / (C / wi);
      const wScale = g.tensors[op.inputs[1]!]!.quant!.scale[0]!;
      for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let oc = 0; oc < OC; oc++) {
        let acc = 0;
        for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
          const iy = oy * op.stride[0] - pt + ky * op.dilation[0], ix = ox * op.stride[1] - pl + kx * op.dilation[1];
          const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
          if (op.kind === 'depthwise_conv2d') {
            if (inside) acc += x[(iy * W + ix) * C + Math.floor(oc / op.depthMultiplier)]! * w[(ky * KW + kx) * OC + oc]!;
            continue;
          }
          const xo = (iy * W + ix) * C + Math.floor(oc / perGroup) * wi;
          const wo = ((oc * KH + ky) * KW + kx) * wi;
          if (op.kind === 'add_conv2d') {
            // The accumulator is -sum |x - w| in input units, requantised with inputScale * weightScale;
            // padding reads the zero point (real 0).
            let l1 = 0;
            for (let i = 0; i < wi; i++) l1 += Math.abs((inside ? x[xo + i]! : 0) - w[wo + i]!);
            acc -= l1 * wScale;
          } else if (inside) {
            for (let i = 0; i < wi; i++) acc += x[xo + i]! * w[wo + i]!;
          }
        }
        out[(oy * OW + ox) * OC + oc] = acc + bias(oc, b);
      }
      return out;
    }
    case 'shift_conv2d': {
      const [, H, W, C] = xt.shape as [number, number, number, number];
      const [, OH, OW, OC] = ot.shape as [number, number, number, number];
      for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let oc = 0; oc < OC; oc++) {
        let acc = bias(oc, b);
        for (let c = 0; c < C; c++) {
          const iy = oy * op.stride[0] + op.shifts[c]![0], ix = ox * op.stride[1] + op.shifts[c]![1];
          if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += x[(iy * W + ix) * C + c]! * w[oc * C + c]!;
        }
        out[(oy * OW + ox) * OC + oc] = acc;
      }
      return out;
    }
    case 'fully_connected': {
      const [O, I] = g.tensors[op.inputs[1]!]!.shape as [number, number];
      for (let n = 0; n < x.length / I; n++) for (let o = 0; o < O; o++) {
        let acc = bias(o, b);
        for (let i = 0; i < I; i++) acc += x[n * I + i]! * w[o * I + i]!;
        out[n * O + o] = acc;
      }
      return out;
    }
    case 'add': {
      const y = vals.get(op.inputs[1]!)!;
      // Broadcasting is not needed by generated networks beyond equal shapes or a scalar-like b.
      for (let i = 0; i < out.length; i++) out[i] = x[i % x.length]! + y[i % y.length]!;
      return out;
    }
    case 'average_pool2d': case 'max_pool2d': {
      const [, H, W, C] = xt.shape as [number, number, number, number];
      const [, OH, OW] = ot.shape as [number, number, number, number];
      const pt = padBefore(H, op.filter[0], op.stride[0], 1, op.padding), pl = padBefore(W, op.filter[1], op.stride[1], 1, op.padding);
      for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let c = 0; c < C; c++) {
        let s = 0, m = -Infinity, n = 0;
        for (let ky = 0; ky < op.filter[0]; ky++) for (let kx = 0; kx < op.filter[1]; kx++) {
          const iy = oy * op.stride[0] - pt + ky, ix = ox * op.stride[1] - pl + kx;
          if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
          const v = x[(iy * W + ix) * C + c]!;
          s += v; m = Math.max(m, v); n++;
        }
        out[(oy * OW + ox) * C + c] = op.kind === 'max_pool2d' ? m : s / n;
      }
      return out;
    }
    case 'reshape':
      out.set(x);
      return out;
    case 'softmax': {
      const n = xt.shape[xt.shape.length - 1]!;
      for (let r = 0; r < x.length / n; r++) {
        const row = x.subarray(r * n, (r + 1) * n);
        const m = Math.max(...row);
        let s = 0;
        for (let i = 0; i < n; i++) s += (out[r * n + i] = Math.exp(op.beta * (row[i]! - m)));
        for (let i = 0; i < n; i++) out[r * n + i]! /= s;
      }
      return out;
    }
    default:
      return assertNever(op, 'network layer op');
  }
}
