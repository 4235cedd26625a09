// Seeded random single-op 16x8 graphs (int16 activations with zero point 0, int8 weights per channel, int64
// biases) for the oracle and Cortex-M tests of docs/int16.md: CONV_2D (grouped or not), DEPTHWISE_CONV_2D,
// FULLY_CONNECTED, TRANSPOSE_CONV, ADD / SUB (with broadcasting), LEAKY_RELU, PAD, STRIDED_SLICE,
// CONCATENATION and QUANTIZE int16 -> int16; AVERAGE/MAX_POOL_2D; LOGISTIC, TANH and QUANTIZE int16 <-> int8 / int32. Output scales follow the expected accumulator spread, so most
// outputs are not saturated; inputs span the whole int16 range or a tenth of it.
import type { Graph, Op, Tensor } from '../../compiler/ir/graph.ts';
import { convOutSize, numElements } from '../../compiler/ir/graph.ts';
import { GraphBuilder } from './graph-builder.ts';
import { Rng } from './random-ops.ts';

export const INT16_OP_KINDS = [
  'conv2d', 'depthwise_conv2d', 'fully_connected', 'transpose_conv', 'add', 'sub', 'mul', 'leaky_relu', 'pad', 'strided_slice', 'concatenation', 'quantize',
] as const;
/** int16 pools: checked against the interpreter by oracle-int16.test.ts, as Cortex-M C by oracle-int16-ops.test.ts. */
export const INT16_GOLDEN_ONLY_KINDS = ['average_pool2d', 'max_pool2d'] as const;
/** The kinds of tests/runtime-wasm/oracle-int16-ops.test.ts: LOGISTIC / TANH int16 (input scales around the
 *  power-of-two ones TFLite treats apart, and those), SOFTMAX int16 -> int16, QUANTIZE int16 <-> int8 and int16 <-> int32. */
export const INT16_EXTRA_KINDS = ['logistic', 'tanh', 'softmax', 'quantize_16to8', 'quantize_8to16', 'quantize_16to32', 'quantize_32to16'] as const;
export type Int16OpKind = (typeof INT16_OP_KINDS)[number] | (typeof INT16_GOLDEN_ONLY_KINDS)[number] | (typeof INT16_EXTRA_KINDS)[number];

const f = Math.fround;

function weights(r: Rng, g: GraphBuilder, shape: number[], channels: number, axis: number): { id: number; scales: number[] } {
  const scales = Array.from({ length: channels }, () => r.logScale(-9, -5));
  return { id: g.constant('w', shape, r.int8(numElements(shape), -127, 127), scales, axis), scales };
}

/** An int64 bias quantised as TFLite requires: scale input scale x weight scale per channel. */
function bias64(r: Rng, g: GraphBuilder, n: number, span: number, sx: number, ws: number[]): number {
  const scale = Array.from({ length: n }, (_, c) => f(sx * ws[ws.length === 1 ? 0 : c]!));
  return g.tensor({ name: 'b', shape: [n], dtype: 'int64', quant: { scale, zeroPoint: new Array(n).fill(0), ...(n > 1 ? { axis: 0 } : {}) },
    data: BigInt64Array.from({ length: n }, () => BigInt(r.int(-span, span))) });
}

/** An output scale that maps about `spread` real units of accumulator onto +-8192. */
function outScale(r: Rng, spread: number): number {
  return f(Math.max(spread / 8192 * (0.5 + r.next() * 1.5), 1e-9));
}

export function randomInt16Graph(seed: number, kind: Int16OpKind): Graph {
  const r = new Rng(seed);
  const g = new GraphBuilder(`int16_${kind}_${seed}`);
  const sx = r.logScale(-14, -8);
  const n = 1;
  let op: Op;
  let inputs: number[];
  let out: number;
  const act = (name: string, shape: number[], s = sx) => g.act(name, shape, s, 0, 'int16');
  const conv = (k: 'conv2d' | 'depthwise_conv2d') => {
    const h = r.int(1, 9), w = r.int(1, 12), kh = r.int(1, Math.min(3, h)), kw = r.int(1, Math.min(4, w));
    const stride: [number, number] = [r.int(1, 2), r.int(1, 2)];
    const dilation: [number, number] = [1, r.chance(0.3) && w > 2 * kw ? 2 : 1];
    const padding = r.pick(['same', 'valid'] as const);
    const oh = convOutSize(h, kh, stride[0], dilation[0], padding), ow = convOutSize(w, kw, stride[1], dilation[1], padding);
    if (k === 'conv2d') {
      const groups = r.chance(0.25) ? 2 : 1;
      const wc = r.int(1, 8), inC = wc * groups, outC = groups * r.int(1, 4);
      const x = act('x', [n, h, w, inC]);
      const wt = weights(r, g, [outC, kh, kw, wc], outC, 0);
      const b = bias64(r, g, outC, 1 << 20, sx, wt.scales);
      const spread = Math.sqrt(kh * kw * wc) * 16384 * sx * 64 * wt.scales[0]!;
      out = act('y', [n, oh, ow, outC], outScale(r, spread));
      op = { kind: 'conv2d', inputs: [x, wt.id, b], outputs: [out], stride, dilation, padding, activation: r.pick(['none', 'relu', 'none'] as const) } as Op;
      inputs = [x];
    } else {
      const inC = r.int(1, 6), m = r.int(1, 2), outC = inC * m;
      const x = act('x', [n, h, w, inC]);
      const wt = weights(r, g, [1, kh, kw, outC], outC, 3);
      const b = bias64(r, g, outC, 1 << 18, sx, wt.scales);
      const spread = Math.sqrt(kh * kw) * 16384 * sx * 64 * wt.scales[0]!;
      out = act('y', [n, oh, ow, outC], outScale(r, spread));
      op = { kind: 'depthwise_conv2d', inputs: [x, wt.id, b], outputs: [out], stride, dilation, padding, depthMultiplier: m, activation: 'none' } as Op;
      inputs = [x];
    }
  };
  switch (kind) {
    case 'conv2d': case 'depthwise_conv2d': conv(kind); break;
    case 'fully_connected': {
      const inC = r.int(1, 40), outC = r.int(1, 12), rows = r.int(1, 3);
      const x = act('x', [rows, inC]);
      const wt = weights(r, g, [outC, inC], 1, 0); // TFLite's int16 FULLY_CONNECTED: per-tensor weights
      const b = bias64(r, g, outC, 1 << 20, sx, wt.scales);
      out = act('y', [rows, outC], outScale(r, Math.sqrt(inC) * 16384 * sx * 64 * wt.scales[0]!));
      op = { kind: 'fully_connected', inputs: [x, wt.id, b], outputs: [out], activation: 'none', keepNumDims: false } as Op;
      inputs = [x];
      break;
    }
    case 'transpose_conv': {
      const h = r.int(1, 6), w = r.int(1, 8), k = r.int(1, 4), s = r.int(1, 2), inC = r.int(1, 6), outC = r.int(1, 5);
      const padding = r.pick(['same', 'valid'] as const);
      const oh = padding === 'same' ? h * s : (h - 1) * s + k, ow = padding === 'same' ? w * s : (w - 1) * s + k;
      const x = act('x', [n, h, w, inC]);
      const wt = weights(r, g, [outC, k, k, inC], outC, 0);
      const b = bias64(r, g, outC, 1 << 18, sx, wt.scales);
      out = act('y', [n, oh, ow, outC], outScale(r, Math.sqrt(Math.ceil(k / s) ** 2 * inC) * 16384 * sx * 64 * wt.scales[0]!));
      op = { kind: 'transpose_conv', inputs: [x, wt.id, b], outputs: [out], stride: [s, s], padding, activation: 'none' } as Op;
      inputs = [x];
      break;
    }
    case 'add': case 'sub': case 'mul': {
      const shape = [n, r.int(1, 4), r.int(1, 6), r.int(1, 8)];
      const bShape = r.chance(0.4) ? shape.map((d, i) => (r.chance(0.5) && i > 0 ? 1 : d)) : shape;
      const sb = r.logScale(-14, -8);
      const a = act('a', shape), b = act('b', bShape, sb);
      // MUL: the product of two values near 2^14 lands near 2^13 of the output.
      out = act('y', shape, kind === 'mul' ? f(sx * sb * 2 ** (15 + r.next() * 2)) : r.logScale(-13, -8));
      op = { kind, inputs: [a, b], outputs: [out], activation: 'none' } as Op;
      inputs = [a, b];
      break;
    }
    case 'leaky_relu': {
      const shape = [n, r.int(1, 4), r.int(1, 9), r.int(1, 8)];
      const x = act('x', shape);
      out = act('y', shape, f(sx * (0.5 + r.next())));
      op = { kind: 'leaky_relu', inputs: [x], outputs: [out], alpha: f(r.pick([0.01, 0.2, 0.3, 0.5])) } as Op;
      inputs = [x];
      break;
    }
    case 'pad': {
      const shape = [n, r.int(1, 4), r.int(1, 7), r.int(1, 5)];
      const paddings = shape.map((_, i) => (i === 0 ? [0, 0] : [r.int(0, 2), r.int(0, 2)]) as [number, number]);
      const x = act('x', shape);
      out = act('y', shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]));
      op = { kind: 'pad', inputs: [x], outputs: [out], paddings } as Op;
      inputs = [x];
      break;
    }
    case 'strided_slice': {
      const shape = [n, r.int(2, 5), r.int(2, 9), r.int(1, 6)];
      const begin = shape.map((d, i) => (i === 0 ? 0 : r.int(0, d - 1)));
      const strides = shape.map((_, i) => (i === 0 ? 1 : r.int(1, 2)));
      const end = shape.map((d, i) => (i === 0 ? 1 : r.int(begin[i]! + 1, d)));
      const outShape = shape.map((_, i) => Math.ceil((end[i]! - begin[i]!) / strides[i]!));
      const x = act('x', shape);
      out = act('y', outShape);
      op = { kind: 'strided_slice', inputs: [x], outputs: [out], begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false } as Op;
      inputs = [x];
      break;
    }
    case 'concatenation': {
      const base = [n, r.int(1, 4), r.int(1, 6), r.int(1, 5)];
      const axis = r.int(1, 3);
      const parts = Array.from({ length: r.int(2, 3) }, () => base.map((d, i) => (i === axis ? r.int(1, 4) : d)));
      const xs = parts.map((s, i) => act(`x${i}`, s));
      out = act('y', base.map((d, i) => (i === axis ? parts.reduce((a, p) => a + p[axis]!, 0) : d)));
      op = { kind: 'concatenation', inputs: xs, outputs: [out], axis, activation: 'none' } as Op;
      inputs = xs;
      break;
    }
    case 'average_pool2d': case 'max_pool2d': {
      const h = r.int(1, 8), w = r.int(1, 9), ch = r.int(1, 6);
      const filter: [number, number] = [r.int(1, Math.min(3, h)), r.int(1, Math.min(3, w))];
      const stride: [number, number] = [r.int(1, 2), r.int(1, 2)];
      const padding = r.pick(['same', 'valid'] as const);
      const x = act('x', [n, h, w, ch]);
      out = act('y', [n, convOutSize(h, filter[0], stride[0], 1, padding), convOutSize(w, filter[1], stride[1], 1, padding), ch]);
      op = { kind, inputs: [x], outputs: [out], filter, stride, padding, activation: 'none' } as Op;
      inputs = [x];
      break;
    }
    case 'logistic': case 'tanh': {
      const shape = [n, r.int(1, 4), r.int(1, 9), r.int(1, 8)];
      // 1 in 4: a power-of-two scale (2^-12, or 2^-11 for TANH), which desktop TFLite computes with gemmlowp.
      const pot = r.chance(0.25) ? 2 ** (kind === 'tanh' ? r.pick([-12, -11]) : -12) : 0;
      const x = act('x', shape, pot || r.logScale(-15, -9));
      out = act('y', shape, 1 / 32768);
      op = { kind, inputs: [x], outputs: [out] } as Op;
      inputs = [x];
      break;
    }
    case 'softmax': {
      const shape = r.chance(0.5) ? [r.int(1, 3), r.int(1, 40)] : [n, r.int(1, 3), r.int(1, 4), r.int(1, 12)];
      const x = act('x', shape, r.logScale(-13, -7));
      out = act('y', shape, 1 / 32768);
      op = { kind: 'softmax', inputs: [x], outputs: [out], beta: f(r.pick([1, 1, 0.7, 2.3])) } as Op;
      inputs = [x];
      break;
    }
    case 'quantize_16to8': case 'quantize_8to16': case 'quantize_16to32': case 'quantize_32to16': {
      const shape = [n, r.int(1, 4), r.int(1, 9), r.int(1, 8)];
      const [from, to] = ({ quantize_16to8: ['int16', 'int8'], quantize_8to16: ['int8', 'int16'], quantize_16to32: ['int16', 'int32'], quantize_32to16: ['int32', 'int16'] } as const)[kind];
      // Scales chosen so that most values land inside the output type: int8 holds 2^8 steps of int16's 2^16.
      const sy = kind === 'quantize_16to8' ? f(sx * 2 ** (7 + r.next() * 2)) : kind === 'quantize_8to16' ? f(sx * 2 ** (-8 + r.next() * 2)) : kind === 'quantize_16to32' ? f(sx * 2 ** (r.next() * 8 - 6)) : f(sx * 2 ** (14 + r.next() * 3));
      const x = g.act('x', shape, sx, from === 'int8' ? r.int(-20, 20) : 0, from);
      out = g.act('y', shape, sy, to === 'int8' ? r.int(-20, 20) : 0, to);
      op = { kind: 'quantize', inputs: [x], outputs: [out] } as Op;
      inputs = [x];
      break;
    }
    case 'quantize': {
      const shape = [n, r.int(1, 4), r.int(1, 9), r.int(1, 8)];
      const x = act('x', shape);
      out = act('y', shape, f(sx * 2 ** (r.next() * 6 - 3)));
      op = { kind: 'quantize', inputs: [x], outputs: [out] } as Op;
      inputs = [x];
      break;
    }
  }
  op!.name = `${kind}#${seed}`;
  g.op(op!);
  return g.io(inputs!, [out!]);
}

/** Seeded int16 inputs: the whole range (odd seeds) or +-3277 (int8 / int32 graph inputs: their whole range, or
 *  the int16 range for int32). */
export function randomInt16Inputs(graph: Graph, seed: number): Array<Int8Array | Int16Array | Int32Array> {
  const r = new Rng(seed ^ 0x2545f491);
  const span = seed % 2 ? 32767 : 3277;
  return graph.inputs.map((id) => {
    const t = graph.tensors[id] as Tensor, len = numElements(t.shape);
    if (t.dtype === 'int8') return Int8Array.from({ length: len }, () => r.int(-128, 127));
    if (t.dtype === 'int32') return Int32Array.from({ length: len }, () => r.int(-40000, 40000) * (seed % 2 ? 1 : 30));
    return Int16Array.from({ length: len }, () => r.int(-span, span));
  });
}
