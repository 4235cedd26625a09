// Graph IR validator. Checks what every later stage assumes: tensor ids in range, topological order with
// each activation written once, operand counts, dtypes, quantisation present where the int8 arithmetic
// needs it, weight/bias shapes, groups divisibility, and that each op's declared output shape equals the
// shape inferred from its inputs and attributes (inferShape, one rule per op kind). Errors name the op by
// index and kind and say which rule is broken.
import { TinyforgeError } from '../diagnostics.ts';
import { convOutSize, numElements, type Graph, type Op, type OpKind, type Tensor } from './graph.ts';

class Check {
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
  /** Checks the bias (optional, int32 [outC]). */
  bias(slot: number, outC: number): void {
    const b = this.optional(slot);
    if (!b) return;
    if (b.dtype !== 'int32') this.fail(`bias '${b.name}' must be int32, is ${b.dtype}`);
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

function same4(c: Check, x: Tensor, role = 'input'): [number, number, number, number] {
  c.rank(x, role, 4);
  return x.shape as [number, number, number, number];
}

type Rule = { inputs: [number, number]; infer(c: Check): number[] };

function convLike(c: Check, allowGroups: boolean): number[] {
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

function broadcast(c: Check, a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) c.fail(`input shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

export const SHAPE_RULES: Record<OpKind, Rule> = {
  conv2d: { inputs: [2, 3], infer: (c) => convLike(c, true) },
  add_conv2d: { inputs: [2, 3], infer: (c) => convLike(c, false) },
  depthwise_conv2d: {
    inputs: [2, 3],
    infer: (c) => {
      const op = c.op as Extract<Op, { kind: 'depthwise_conv2d' }>;
      const [n, h, w, inC] = same4(c, c.tensor(0, 'input'));
      const wt = c.tensor(1, 'weights');
      c.rank(wt, 'weights', 4);
      const [one, kh, kw, outC] = wt.shape as [number, number, number, number];
      if (one !== 1) c.fail(`depthwise weights must have shape [1, KH, KW, C*M], have [${wt.shape}]`);
      c.attrPositive('depth multiplier', [op.depthMultiplier]);
      if (outC !== inC * op.depthMultiplier) c.fail(`weights' channels ${outC} must equal input channels ${inC} x depth multiplier ${op.depthMultiplier}`);
      c.attrPositive('stride', op.stride);
      c.attrPositive('dilation', op.dilation);
      c.weights(wt, outC, 3);
      c.bias(2, outC);
      return [n, convOutSize(h, kh, op.stride[0], op.dilation[0], op.padding), convOutSize(w, kw, op.stride[1], op.dilation[1], op.padding), outC];
    },
  },
  fully_connected: {
    inputs: [2, 3],
    infer: (c) => {
      const op = c.op as Extract<Op, { kind: 'fully_connected' }>;
      const x = c.tensor(0, 'input');
      const wt = c.tensor(1, 'weights');
      c.rank(wt, 'weights', 2);
      const [outC, inC] = wt.shape as [number, number];
      const n = numElements(x.shape);
      if (inC < 1 || n % inC !== 0) c.fail(`input '${x.name}' [${x.shape}] has ${n} elements, not a multiple of the weights' input size ${inC}`);
      if (op.keepNumDims && x.shape[x.shape.length - 1] !== inC) c.fail(`keep_num_dims needs the input's last dimension to equal ${inC}, input is [${x.shape}]`);
      c.weights(wt, outC, 0);
      c.bias(2, outC);
      return op.keepNumDims ? [...x.shape.slice(0, -1), outC] : [n / inC, outC];
    },
  },
  add: { inputs: [2, 2], infer: (c) => broadcast(c, c.tensor(0, 'input a').shape, c.tensor(1, 'input b').shape) },
  average_pool2d: { inputs: [1, 1], infer: pool },
  max_pool2d: { inputs: [1, 1], infer: pool },
  reshape: {
    inputs: [1, 1],
    infer: (c) => {
      const x = c.tensor(0, 'input');
      const out = c.g.tensors[c.op.outputs[0]!]!;
      if (numElements(x.shape) !== numElements(out.shape)) c.fail(`output [${out.shape}] must have as many elements as input [${x.shape}]`);
      return out.shape;
    },
  },
  softmax: {
    inputs: [1, 1],
    infer: (c) => {
      const op = c.op as Extract<Op, { kind: 'softmax' }>;
      if (!(op.beta > 0)) c.fail(`beta must be positive, got ${op.beta}`);
      return c.tensor(0, 'input').shape;
    },
  },
  shift_conv2d: {
    inputs: [2, 3],
    infer: (c) => {
      const op = c.op as Extract<Op, { kind: 'shift_conv2d' }>;
      const [n, h, w, inC] = same4(c, c.tensor(0, 'input'));
      if (op.shifts.length !== inC) c.fail(`needs one shift per input channel (${inC}), has ${op.shifts.length}`);
      if (!op.shifts.every((s) => s.length === 2 && s.every(Number.isInteger))) c.fail('shifts must be integer [dy, dx] pairs');
      const wt = c.tensor(1, 'weights');
      c.rank(wt, 'weights', 4);
      const [outC, kh, kw, wc] = wt.shape as [number, number, number, number];
      if (kh !== 1 || kw !== 1 || wc !== inC) c.fail(`weights must have shape [outC, 1, 1, ${inC}], have [${wt.shape}]`);
      c.attrPositive('stride', op.stride);
      c.weights(wt, outC, 0);
      c.bias(2, outC);
      return [n, convOutSize(h, 1, op.stride[0], 1, 'valid'), convOutSize(w, 1, op.stride[1], 1, 'valid'), outC];
    },
  },
};

function pool(c: Check): number[] {
  const op = c.op as Extract<Op, { kind: 'average_pool2d' | 'max_pool2d' }>;
  const [n, h, w, ch] = same4(c, c.tensor(0, 'input'));
  c.attrPositive('filter', op.filter);
  c.attrPositive('stride', op.stride);
  return [n, convOutSize(h, op.filter[0], op.stride[0], 1, op.padding), convOutSize(w, op.filter[1], op.stride[1], 1, op.padding), ch];
}

/** The output shape `op` computes from its inputs and attributes; throws if they are inconsistent. */
export function inferShape(g: Graph, op: Op, file?: string): number[] {
  const c = new Check(g, op, g.ops.indexOf(op), file);
  const rule = SHAPE_RULES[op.kind];
  if (!rule) c.fail(`unknown op kind '${(op as Op).kind}'`);
  const [min, max] = rule.inputs;
  if (op.inputs.length < min || op.inputs.length > max) c.fail(`needs ${min === max ? min : `${min} to ${max}`} inputs, has ${op.inputs.length}`);
  if (op.outputs.length !== 1) c.fail(`needs exactly 1 output, has ${op.outputs.length}`);
  const out = rule.infer(c);
  if (out.some((d) => !Number.isInteger(d) || d < 1)) c.fail(`inferred output shape [${out}] is empty (window larger than input?)`);
  return out;
}

/** Throws a TinyforgeError naming the op and the broken rule if `g` is not a well-formed graph. */
export function validateGraph(g: Graph, file?: string): void {
  const where = { file };
  g.tensors.forEach((t, i) => {
    if (t.id !== i) throw new TinyforgeError(`tensor ${i} '${t.name}' has id ${t.id}; ids must equal positions`, where);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 1)) throw new TinyforgeError(`tensor ${i} '${t.name}' has invalid shape [${t.shape}] (dynamic or zero dimensions are not supported)`, where);
    if (numElements(t.shape) > 0x7fffffff) throw new TinyforgeError(`tensor ${i} '${t.name}' has shape [${t.shape}], more than 2^31 - 1 elements`, where);
    if (t.data && t.data.length !== numElements(t.shape)) throw new TinyforgeError(`tensor ${i} '${t.name}' has ${t.data.length} values for shape [${t.shape}]`, where);
    if (t.quant) {
      const q = t.quant;
      if (q.scale.length !== q.zeroPoint.length) throw new TinyforgeError(`tensor ${i} '${t.name}' has ${q.scale.length} scales but ${q.zeroPoint.length} zero points`, where);
      if (!q.scale.every((s) => s > 0 && Number.isFinite(s) && Math.fround(s) === s)) throw new TinyforgeError(`tensor ${i} '${t.name}' has a scale that is not a positive float32`, where);
      if (q.axis !== undefined && q.scale.length !== t.shape[q.axis]) throw new TinyforgeError(`tensor ${i} '${t.name}' has ${q.scale.length} scales along axis ${q.axis} of shape [${t.shape}]`, where);
    }
  });
  const defined = new Set<number>();
  for (const id of g.inputs) {
    if (!g.tensors[id]) throw new TinyforgeError(`graph input ${id} does not exist`, where);
    defined.add(id);
  }
  g.tensors.forEach((t) => { if (t.data) defined.add(t.id); });
  g.ops.forEach((op, index) => {
    const c = new Check(g, op, index, file);
    for (const id of op.inputs) {
      if (id === -1) continue;
      if (!g.tensors[id]) c.fail(`input tensor ${id} does not exist`);
      if (!defined.has(id)) c.fail(`reads tensor ${id} '${g.tensors[id]!.name}' before any op writes it (ops must be in topological order)`);
    }
    for (const id of op.outputs) {
      const t = g.tensors[id];
      if (!t) c.fail(`output tensor ${id} does not exist`);
      if (defined.has(id)) c.fail(`writes tensor ${id} '${t.name}', which is already defined`);
      defined.add(id);
    }
    const declared = g.tensors[op.outputs[0]!]!.shape;
    const inferred = inferShape(g, op, file);
    if (declared.join(',') !== inferred.join(',')) c.fail(`output '${g.tensors[op.outputs[0]!]!.name}' is declared [${declared}] but the op computes [${inferred}]`);
    checkTypes(c);
  });
  for (const id of g.outputs) {
    if (!defined.has(id)) throw new TinyforgeError(`graph output ${id} is never computed`, where);
  }
}

/** Activations are int8 with per-tensor quantisation (reshape passes its input type through). */
function checkTypes(c: Check): void {
  const op = c.op;
  const out = c.g.tensors[op.outputs[0]!]!;
  const acts = op.kind === 'add' ? [0, 1] : [0];
  for (const slot of acts) {
    const x = c.tensor(slot, 'input');
    if (op.kind === 'reshape') {
      if (x.dtype !== out.dtype) c.fail(`output dtype ${out.dtype} must equal input dtype ${x.dtype}`);
      return;
    }
    if (x.dtype !== 'int8') c.fail(`input '${x.name}' is ${x.dtype}; only int8 activations are supported`);
    if (!x.quant || x.quant.scale.length !== 1) c.fail(`input '${x.name}' needs per-tensor quantisation (one scale and zero point)`);
  }
  if (out.dtype !== 'int8') c.fail(`output '${out.name}' is ${out.dtype}; only int8 activations are supported`);
  if (!out.quant || out.quant.scale.length !== 1) c.fail(`output '${out.name}' needs per-tensor quantisation (one scale and zero point)`);
  if (op.kind === 'max_pool2d' || op.kind === 'average_pool2d') {
    const x = c.tensor(0, 'input');
    if (x.quant!.scale[0] !== out.quant.scale[0] || x.quant!.zeroPoint[0] !== out.quant.zeroPoint[0]) {
      c.fail('pooling needs the output quantisation to equal the input quantisation');
    }
  }
}
