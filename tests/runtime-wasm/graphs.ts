// Graph builders for the golden runtime's tests: tiny hand-made graphs and seeded random single-op graphs.
import type { Activation, Graph, Op, Padding, Tensor } from '../../compiler/ir/graph.ts';
import { convOutSize } from '../../compiler/ir/graph.ts';
import { mulberry32 } from '../../compiler/rng.ts';

/** Deterministic PRNG (mulberry32, compiler/rng.ts). */
export const rng = mulberry32;
export const randInt = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export function randI8(r: () => number, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => randInt(r, -128, 127));
}

export class GraphBuilder {
  tensors: Tensor[] = [];
  ops: Op[] = [];
  inputs: number[] = [];
  tensor(shape: number[], scale: number | number[], zeroPoint = 0, data?: Int8Array | Int32Array, axis?: number): number {
    const id = this.tensors.length;
    const scales = Array.isArray(scale) ? scale : [scale];
    this.tensors.push({
      id, name: `t${id}`, shape, dtype: data instanceof Int32Array ? 'int32' : 'int8',
      quant: { scale: scales, zeroPoint: scales.map(() => zeroPoint), ...(axis !== undefined ? { axis } : {}) },
      ...(data ? { data } : {}),
    });
    return id;
  }
  input(shape: number[], scale: number, zeroPoint: number): number {
    const id = this.tensor(shape, scale, zeroPoint);
    this.inputs.push(id);
    return id;
  }
  op(op: Op): number {
    this.ops.push(op);
    return op.outputs[0];
  }
  graph(outputs: number[], name = 'test'): Graph {
    return { name, tensors: this.tensors, ops: this.ops, inputs: this.inputs, outputs };
  }
}

export interface ConvSpec {
  n: number; h: number; w: number; c: number; oc: number; kh: number; kw: number; groups: number;
  stride: [number, number]; dilation: [number, number]; padding: Padding; activation: Activation;
}

/** A random conv2d / add_conv2d / depthwise / FC / pool / add / softmax / shift-conv graph of one op. */
export function randomOpGraph(kind: Op['kind'], seed: number): { graph: Graph; inputs: Int8Array[] } {
  const r = rng(seed);
  const b = new GraphBuilder();
  const acts: Activation[] = ['none', 'relu', 'relu6', 'relu_n1_to_1'];
  const act = acts[randInt(r, 0, 3)];
  const pad: Padding = r() < 0.5 ? 'same' : 'valid';
  const sIn = 0.02 + r() * 0.1;
  const zIn = randInt(r, -20, 20);
  const n = randInt(r, 1, 2);
  const h = randInt(r, 3, 9);
  const w = randInt(r, 3, 9);
  const stride: [number, number] = [randInt(r, 1, 2), randInt(r, 1, 2)];
  const dilation: [number, number] = r() < 0.7 ? [1, 1] : [randInt(r, 1, 2), randInt(r, 1, 2)];
  const wScales = (oc: number) => Array.from({ length: oc }, () => 0.002 + r() * 0.02);
  const biasData = (oc: number) => Int32Array.from({ length: oc }, () => randInt(r, -3000, 3000));
  let out: number;
  /** 'valid' only where the (dilated) window fits the image. */
  const padFor = (kh: number, kw: number, d: [number, number]): Padding =>
    (h >= (kh - 1) * d[0] + 1 && w >= (kw - 1) * d[1] + 1 ? pad : 'same');
  switch (kind) {
    case 'conv2d':
    case 'add_conv2d': {
      const groups = kind === 'conv2d' && r() < 0.3 ? randInt(r, 2, 3) : 1;
      const icg = randInt(r, 1, 12);
      const c = icg * groups;
      const oc = groups * randInt(r, 1, 9);
      const kh = randInt(r, 1, 3), kw = randInt(r, 1, 3);
      const x = b.input([n, h, w, c], sIn, zIn);
      const ws = kind === 'add_conv2d' ? Array.from({ length: oc }, () => sIn) : wScales(oc);
      const wt = b.tensor([oc, kh, kw, icg], ws, 0, randI8(r, oc * kh * kw * icg), 0);
      const bias = r() < 0.8 ? b.tensor([oc], ws.map((s) => s * sIn), 0, biasData(oc)) : -1;
      const padding = padFor(kh, kw, dilation);
      const oh = convOutSize(h, kh, stride[0], dilation[0], padding), ow = convOutSize(w, kw, stride[1], dilation[1], padding);
      const y = b.tensor([n, oh, ow, oc], kind === 'add_conv2d' ? sIn * 4 : 0.05 + r() * 0.2, randInt(r, -20, 20));
      out = b.op({ kind, inputs: [x, wt, bias], outputs: [y], stride, dilation, padding, activation: act });
      break;
    }
    case 'depthwise_conv2d': {
      const c = randInt(r, 1, 20);
      const m = r() < 0.7 ? 1 : randInt(r, 2, 3);
      const kh = randInt(r, 1, 3), kw = randInt(r, 1, 3);
      const x = b.input([n, h, w, c], sIn, zIn);
      const ws = wScales(c * m);
      const wt = b.tensor([1, kh, kw, c * m], ws, 0, randI8(r, kh * kw * c * m), 3);
      const bias = b.tensor([c * m], ws.map((s) => s * sIn), 0, biasData(c * m));
      const padding = padFor(kh, kw, dilation);
      const oh = convOutSize(h, kh, stride[0], dilation[0], padding), ow = convOutSize(w, kw, stride[1], dilation[1], padding);
      const y = b.tensor([n, oh, ow, c * m], 0.02 + r() * 0.1, randInt(r, -20, 20));
      out = b.op({ kind, inputs: [x, wt, bias], outputs: [y], stride, dilation, padding, depthMultiplier: m, activation: act });
      break;
    }
    case 'fully_connected': {
      const ic = randInt(r, 1, 40), oc = randInt(r, 1, 20);
      const x = b.input([n, ic], sIn, zIn);
      const perChannel = r() < 0.5;
      const ws = perChannel ? wScales(oc) : wScales(1);
      const wt = b.tensor([oc, ic], ws, 0, randI8(r, oc * ic), perChannel ? 0 : undefined);
      const bias = b.tensor([oc], (perChannel ? ws : new Array(oc).fill(ws[0])).map((s) => s * sIn), 0, biasData(oc));
      const y = b.tensor([n, oc], 0.05 + r() * 0.3, randInt(r, -20, 20));
      out = b.op({ kind, inputs: [x, wt, bias], outputs: [y], activation: act, keepNumDims: false });
      break;
    }
    case 'average_pool2d':
    case 'max_pool2d': {
      const c = randInt(r, 1, 10);
      const filter: [number, number] = [randInt(r, 1, 3), randInt(r, 1, 3)];
      const x = b.input([n, h, w, c], sIn, zIn);
      const padding = padFor(filter[0], filter[1], [1, 1]);
      const oh = convOutSize(h, filter[0], stride[0], 1, padding), ow = convOutSize(w, filter[1], stride[1], 1, padding);
      const y = b.tensor([n, oh, ow, c], sIn, zIn);
      out = b.op({ kind, inputs: [x], outputs: [y], filter, stride, padding, activation: act });
      break;
    }
    case 'add': {
      const c = randInt(r, 1, 10);
      const full = [n, h, w, c];
      const bShape = [[n, h, w, c], [c], [1, 1, w, 1], [n, 1, 1, c], [h, 1, c]][randInt(r, 0, 4)];
      const swap = r() < 0.3;
      const xa = b.input(swap ? bShape : full, sIn, zIn);
      const xb = b.input(swap ? full : bShape, 0.01 + r() * 0.2, randInt(r, -30, 30));
      const y = b.tensor(full, 0.05 + r() * 0.2, randInt(r, -20, 20));
      out = b.op({ kind, inputs: [xa, xb], outputs: [y], activation: act });
      break;
    }
    case 'softmax': {
      const x = b.input([n, randInt(r, 1, 30)], 0.01 + r() * 0.3, randInt(r, -20, 20));
      const y = b.tensor(b.tensors[x].shape, 1 / 256, -128);
      out = b.op({ kind, inputs: [x], outputs: [y], beta: r() < 0.7 ? 1 : 0.5 + r() });
      break;
    }
    case 'shift_conv2d': {
      const c = randInt(r, 1, 12), oc = randInt(r, 1, 9);
      const x = b.input([n, h, w, c], sIn, zIn);
      const ws = wScales(oc);
      const wt = b.tensor([oc, 1, 1, c], ws, 0, randI8(r, oc * c), 0);
      const bias = b.tensor([oc], ws.map((s) => s * sIn), 0, biasData(oc));
      const y = b.tensor([n, Math.ceil(h / stride[0]), Math.ceil(w / stride[1]), oc], 0.05 + r() * 0.2, randInt(r, -20, 20));
      const shifts = Array.from({ length: c }, () => [randInt(r, -1, 1), randInt(r, -1, 1)] as [number, number]);
      out = b.op({ kind, inputs: [x, wt, bias], outputs: [y], shifts, stride, activation: act });
      break;
    }
    case 'reshape': {
      const x = b.input([n, h, w, 2], sIn, zIn);
      const y = b.tensor([n, h * w * 2], sIn, zIn);
      out = b.op({ kind, inputs: [x], outputs: [y] });
      break;
    }
    case 'quantize':
    case 'dequantize':
      throw new Error(`randomOpGraph: no random ${kind} graphs here (tests/runtime-wasm/quantize.test.ts builds them)`);
  }
  const graph = b.graph([out], `${kind}#${seed}`);
  const inputs = graph.inputs.map((id) => randI8(r, graph.tensors[id].shape.reduce((a, v) => a * v, 1)));
  return { graph, inputs };
}
