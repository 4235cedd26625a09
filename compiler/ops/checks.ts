// The two checkers an operator definition uses to state its rules. ShapeCheck serves shape inference and
// the graph validator (compiler/ir/validate.ts): every graph, whatever its types, must satisfy it.
// LegalCheck serves the legalize pass: what the backends additionally require (int8 activations quantised
// per tensor, symmetric int8 weights, int32 biases). Both fail with a TinyforgeError naming the op.
import { TinyforgeError } from '../diagnostics.ts';
import { convOutSize, numElements, type Graph, type Op, type Tensor } from '../ir/graph.ts';
import { opLabel, opTensor } from '../ir/lookup.ts';

export class ShapeCheck {
  constructor(readonly g: Graph, readonly op: Op, readonly index: number, readonly file?: string) {}
  fail(msg: string): never {
    throw new TinyforgeError(msg, { file: this.file, op: `${this.index} (${this.op.kind}${this.op.name ? ` '${this.op.name}'` : ''})` });
  }
  tensor(slot: number, role: string): Tensor {
    const id = this.op.inputs[slot];
    if (id === undefined || id < 0) this.fail(`missing ${role} (input ${slot})`);
    const t = this.g.tensors[id];
    if (!t) this.fail(`${role} refers to tensor ${id}, which does not exist`);
    return t;
  }
  optional(slot: number): Tensor | undefined {
    const id = this.op.inputs[slot];
    return id === undefined || id < 0 ? undefined : this.tensor(slot, `input ${slot}`);
  }
  rank(t: Tensor, role: string, r: number): void {
    if (t.shape.length !== r) this.fail(`${role} '${t.name}' must have rank ${r}, has shape [${t.shape}]`);
  }
  attrPositive(name: string, v: readonly number[]): void {
    if (!v.every((x) => Number.isInteger(x) && x >= 1)) this.fail(`${name} must be positive integers, got [${v}]`);
  }
  /** Checks the bias (optional, int32 [outC]; a 16x8 layer, int16 input, may have an int64 one). */
  bias(slot: number, outC: number): void {
    const b = this.optional(slot);
    if (!b) return;
    const wide = this.tensor(0, 'input').dtype === 'int16';
    if (b.dtype !== 'int32' && !(wide && b.dtype === 'int64')) this.fail(`bias '${b.name}' must be int32${wide ? ' or int64' : ''}, is ${b.dtype}`);
    if (numElements(b.shape) !== outC) this.fail(`bias '${b.name}' must have ${outC} elements (one per output channel), has shape [${b.shape}]`);
    if (!b.data) this.fail(`bias '${b.name}' must be a constant`);
  }
  /** Weights: int8 constant, quantised with zero point 0, one scale or one per output channel along `axis`. */
  weights(w: Tensor, outC: number, axis: number): void {
    if (w.dtype !== 'int8') this.fail(`weights '${w.name}' must be int8, are ${w.dtype}`);
    if (!w.data) this.fail(`weights '${w.name}' must be a constant`);
    if (!w.quant) this.fail(`weights '${w.name}' have no quantisation parameters`);
    const n = w.quant.scale.length;
    if (n !== 1 && n !== outC) this.fail(`weights '${w.name}' must have 1 or ${outC} scales, have ${n}`);
    if (n > 1 && w.quant.axis !== axis) this.fail(`weights '${w.name}' must be quantised per channel along axis ${axis}, not ${w.quant.axis}`);
    if (w.quant.zeroPoint.some((z) => z !== 0)) this.fail(`weights '${w.name}' must have zero point 0`);
  }
}

/**
 * Dtypes of an op that runs on int8 or on int16 activations ("16x8"): the activation operands in `slots` and
 * every output share one dtype, int8 or int16, each quantised per tensor; int16 ones are symmetric (zero
 * point 0, as TFLite requires of int16 activations). Returns that dtype.
 */
export function int8Or16Types(c: ShapeCheck, slots: readonly number[]): 'int8' | 'int16' {
  const ts = [...slots.map((s) => ({ t: c.tensor(s, `input ${s}`), role: 'input' })), ...c.op.outputs.map((id) => ({ t: c.g.tensors[id]!, role: 'output' }))];
  const dtype = ts[0]!.t.dtype;
  if (dtype !== 'int8' && dtype !== 'int16') c.fail(`input '${ts[0]!.t.name}' is ${dtype}; activations must be int8 or int16`);
  for (const { t, role } of ts) {
    if (t.dtype !== dtype) c.fail(`${role} '${t.name}' is ${t.dtype} but '${ts[0]!.t.name}' is ${dtype}; inputs and outputs must share one type (int8 or int16)`);
    if (!t.quant || t.quant.scale.length !== 1) c.fail(`${role} '${t.name}' needs per-tensor quantisation (one scale and zero point)`);
    if (dtype === 'int16' && t.quant.zeroPoint[0] !== 0) c.fail(`int16 ${role} '${t.name}' has zero point ${t.quant.zeroPoint[0]}; int16 activations must be symmetric (zero point 0)`);
  }
  return dtype;
}

/** The input as [N, H, W, C]. */
export function same4(c: ShapeCheck, x: Tensor, role = 'input'): [number, number, number, number] {
  c.rank(x, role, 4);
  return x.shape as [number, number, number, number];
}

const ACTIVATIONS = ['none', 'relu', 'relu_n1_to_1', 'relu6'];

export class LegalCheck {
  constructor(readonly g: Graph, readonly op: Op) {}

  fail(message: string, hint?: string): never {
    throw new TinyforgeError(`${this.op.kind}: ${message}`, { op: opLabel(this.g, this.op) }, hint);
  }

  t(id: number | undefined, role: string): Tensor {
    if (id === undefined || id < 0) this.fail(`missing ${role}`);
    return opTensor(this.g, this.op, id, role);
  }

  /** An int8 activation with one scale and zero point (`int16`: or an int16 one with zero point 0, for the ops the
   *  backends run on 16x8 models). */
  act(id: number | undefined, role: string, int16 = false): Tensor {
    const t = this.t(id, role);
    if (t.data) this.fail(`${role} '${t.name}' is a constant`, 'only weights and biases may be constant; activations are computed');
    if (int16 && t.dtype === 'int16') {
      if (t.quant?.zeroPoint[0] !== 0) this.fail(`${role} '${t.name}' is int16 with zero point ${t.quant?.zeroPoint[0]}`, 'int16 activations are symmetric (zero point 0)');
    } else if (t.dtype !== 'int8') {
      this.fail(`${role} '${t.name}' is ${t.dtype}`, int16 ? 'the backends support int8 and int16 activations here' : 'the backends support int8 activations only here (int16: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV, ADD, SUB, MUL, PAD, SLICE, STRIDED_SLICE, CONCATENATION, LEAKY_RELU, LOGISTIC, TANH, AVERAGE/MAX_POOL_2D, QUANTIZE; docs/int16.md)');
    }
    if (!t.quant || t.quant.scale.length !== 1 || t.quant.zeroPoint.length !== 1) {
      this.fail(`${role} '${t.name}' is not quantised per tensor`, 'activations need exactly one scale and one zero point');
    }
    if (!(t.quant.scale[0] > 0) || !Number.isFinite(t.quant.scale[0])) this.fail(`${role} '${t.name}' has scale ${t.quant.scale[0]}`, 'scales must be positive and finite');
    return t;
  }

  rank(t: Tensor, r: number, role: string): void {
    if (t.shape.length !== r) this.fail(`${role} '${t.name}' has shape [${t.shape}] (rank ${t.shape.length})`, `expected rank ${r}`);
  }

  /** Constant int8 weights, zero point 0, per tensor or per `axis` with `channels` scales. */
  weights(id: number | undefined, rank: number, axis: number, channels: number): Tensor {
    const w = this.t(id, 'weights');
    if (!w.data) this.fail(`weights '${w.name}' are not constant`, 'weights must be stored in the model');
    if (w.dtype !== 'int8' || !(w.data instanceof Int8Array)) this.fail(`weights '${w.name}' are ${w.dtype}`, 'weights must be int8');
    this.rank(w, rank, 'weights');
    if (w.data.length !== numElements(w.shape)) this.fail(`weights '${w.name}' hold ${w.data.length} values for shape [${w.shape}]`);
    const q = w.quant;
    if (!q || q.scale.length === 0) this.fail(`weights '${w.name}' have no scale`);
    if (q.scale.length !== 1 && q.scale.length !== channels) this.fail(`weights '${w.name}' have ${q.scale.length} scales for ${channels} output channels`, 'one scale, or one per output channel');
    if (q.scale.length > 1 && (q.axis ?? 0) !== axis) this.fail(`weights '${w.name}' are quantised along axis ${q.axis}`, `per-channel weights must be quantised along axis ${axis}`);
    if (q.zeroPoint.some((z) => z !== 0)) this.fail(`weights '${w.name}' have a non-zero zero point`, 'int8 weights must be symmetric (zero point 0)');
    if (q.scale.some((s) => !(s > 0) || !Number.isFinite(s))) this.fail(`weights '${w.name}' have a scale that is not positive and finite`);
    return w;
  }

  /** Absent (-1 or missing), or a constant int32 [channels] (`int64`: or int64 with every value within int32, the
   *  16x8 layers' biases, narrowed at lowering). */
  bias(id: number | undefined, channels: number, int64 = false): void {
    if (id === undefined || id < 0) return;
    const b = this.t(id, 'bias');
    if (int64 && b.data instanceof BigInt64Array) {
      if (b.data.some((v) => v < -2147483648n || v > 2147483647n)) this.fail(`int64 bias '${b.name}' has values beyond the int32 range`, 'the Cortex-M 16x8 kernels take int64 biases that fit int32');
    } else if (!b.data || b.dtype !== 'int32' || !(b.data instanceof Int32Array)) this.fail(`bias '${b.name}' is not a constant int32 tensor`, 'biases must be int32 constants');
    if (b.data.length !== channels || numElements(b.shape) !== channels) this.fail(`bias '${b.name}' has shape [${b.shape}]`, `expected [${channels}]`);
  }

  activation(act: string): void {
    if (!ACTIVATIONS.includes(act)) this.fail(`fused activation '${act}' is not supported`, `use one of ${ACTIVATIONS.join(', ')}`);
  }

  positive(pair: readonly number[], what: string): void {
    if (pair.length !== 2 || pair.some((v) => !Number.isInteger(v) || v < 1)) this.fail(`${what} [${pair}] is invalid`, `${what} must be two integers >= 1`);
  }

  /** Output [N, outH, outW, outC] as TFLite's padding rules compute it. */
  spatial(x: Tensor, y: Tensor, k: [number, number], stride: [number, number], dilation: [number, number], padding: 'same' | 'valid', outC: number): void {
    this.rank(x, 4, 'input');
    this.rank(y, 4, 'output');
    const outH = convOutSize(x.shape[1], k[0], stride[0], dilation[0], padding);
    const outW = convOutSize(x.shape[2], k[1], stride[1], dilation[1], padding);
    if (outH < 1 || outW < 1) this.fail(`a ${k[0]}x${k[1]} window (dilation ${dilation}) does not fit the ${x.shape[1]}x${x.shape[2]} input with ${padding} padding`);
    const want = [x.shape[0], outH, outW, outC];
    if (y.shape.some((d, i) => d !== want[i])) this.fail(`output '${y.name}' has shape [${y.shape}]`, `expected [${want}] from the input, window, stride and padding`);
  }
}


// ---- shape rules shared by several ops ----

export function convLikeShape(c: ShapeCheck, allowGroups: boolean): number[] {
  const op = c.op as Extract<Op, { kind: 'conv2d' | 'add_conv2d' }>;
  const [n, h, w, inC] = same4(c, c.tensor(0, 'input'));
  const wt = c.tensor(1, 'weights');
  c.rank(wt, 'weights', 4);
  const [outC, kh, kw, wc] = wt.shape as [number, number, number, number];
  if (wc < 1 || inC % wc !== 0) c.fail(`input channels ${inC} must be a multiple of the weights' input channels ${wc} (OHWI)`);
  const groups = inC / wc;
  if (!allowGroups && groups !== 1) c.fail(`weights' input channels ${wc} must equal the input channels ${inC} (grouped add convolution is not supported)`);
  if (outC % groups !== 0) c.fail(`output channels ${outC} must be divisible by groups ${groups}`);
  c.attrPositive('stride', op.stride);
  c.attrPositive('dilation', op.dilation);
  c.weights(wt, outC, 0);
  c.bias(2, outC);
  return [n, convOutSize(h, kh, op.stride[0], op.dilation[0], op.padding), convOutSize(w, kw, op.stride[1], op.dilation[1], op.padding), outC];
}

export function broadcastShape(c: ShapeCheck, a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) c.fail(`input shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

export function poolShape(c: ShapeCheck): number[] {
  const op = c.op as Extract<Op, { kind: 'average_pool2d' | 'max_pool2d' }>;
  const [n, h, w, ch] = same4(c, c.tensor(0, 'input'));
  c.attrPositive('filter', op.filter);
  c.attrPositive('stride', op.stride);
  return [n, convOutSize(h, op.filter[0], op.stride[0], 1, op.padding), convOutSize(w, op.filter[1], op.stride[1], 1, op.padding), ch];
}

