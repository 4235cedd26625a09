// legalize: reject, before any lowering, every graph the backends cannot run, with an error that names
// the op, says what is wrong and what would be valid. Checked: int8 activations quantised per tensor;
// constant int8 weights with zero point 0 (per tensor, or per output channel on the right axis);
// optional constant int32 biases of one value per output channel; ranks and shapes consistent with
// the op's attributes (output sizes as TFLite's padding rules give them); broadcastable ADD operands.
// The graph is returned unchanged: later passes may rely on everything checked here.

import { TinyforgeError } from '../diagnostics.ts';
import {
  convOutSize, numElements, OP_KINDS, type Graph, type Op, type Tensor,
} from '../ir/graph.ts';
import { opLabel, opTensor, tensorById } from '../ir/lookup.ts';
import { definePass } from './pass.ts';

const ACTIVATIONS = ['none', 'relu', 'relu_n1_to_1', 'relu6'];

class Checker {
  constructor(readonly g: Graph, readonly op: Op) {}

  fail(message: string, hint?: string): never {
    throw new TinyforgeError(`${this.op.kind}: ${message}`, { op: opLabel(this.g, this.op) }, hint);
  }

  t(id: number | undefined, role: string): Tensor {
    if (id === undefined || id < 0) this.fail(`missing ${role}`);
    return opTensor(this.g, this.op, id, role);
  }

  /** An int8 activation with one scale and zero point. */
  act(id: number | undefined, role: string): Tensor {
    const t = this.t(id, role);
    if (t.data) this.fail(`${role} '${t.name}' is a constant`, 'only weights and biases may be constant; activations are computed');
    if (t.dtype !== 'int8') this.fail(`${role} '${t.name}' is ${t.dtype}`, 'the backends support int8 activations only');
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

  /** Absent (-1 or missing), or a constant int32 [channels]. */
  bias(id: number | undefined, channels: number): void {
    if (id === undefined || id < 0) return;
    const b = this.t(id, 'bias');
    if (!b.data || b.dtype !== 'int32' || !(b.data instanceof Int32Array)) this.fail(`bias '${b.name}' is not a constant int32 tensor`, 'biases must be int32 constants');
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

/** The operands of an op that are activations (weights and biases are constants). */
export function activationInputs(op: Op): number[] {
  return op.kind === 'add' ? op.inputs.slice(0, 2) : op.inputs.slice(0, 1);
}

function checkOp(g: Graph, op: Op): void {
  const c = new Checker(g, op);
  if (!OP_KINDS.includes(op.kind)) c.fail('unsupported operator', `supported: ${OP_KINDS.join(', ')}`);
  if (op.outputs.length !== 1) c.fail(`has ${op.outputs.length} outputs`, 'every operator writes exactly one tensor');
  switch (op.kind) {
    case 'conv2d':
    case 'add_conv2d': {
      const x = c.act(op.inputs[0], 'input');
      const y = c.act(op.outputs[0], 'output');
      c.positive(op.stride, 'stride');
      c.positive(op.dilation, 'dilation');
      c.activation(op.activation);
      c.rank(x, 4, 'input');
      const w = c.weights(op.inputs[1], 4, 0, y.shape[y.shape.length - 1]);
      const inC = x.shape[3];
      if (op.kind === 'add_conv2d' && w.shape[3] !== inC) c.fail(`weights '${w.name}' have ${w.shape[3]} input channels for ${inC}`, 'add convolution is not grouped: weights must be [outC, KH, KW, inC]');
      if (w.shape[3] < 1 || inC % w.shape[3] !== 0) c.fail(`weights '${w.name}' have ${w.shape[3]} input channels, which does not divide the input's ${inC}`, 'OHWI weights with I = inC / groups');
      const groups = inC / w.shape[3];
      if (w.shape[0] % groups !== 0) c.fail(`${w.shape[0]} output channels are not divisible by ${groups} groups`);
      c.spatial(x, y, [w.shape[1], w.shape[2]], op.stride, op.dilation, op.padding, w.shape[0]);
      c.bias(op.inputs[2], w.shape[0]);
      return;
    }
    case 'depthwise_conv2d': {
      const x = c.act(op.inputs[0], 'input');
      const y = c.act(op.outputs[0], 'output');
      c.positive(op.stride, 'stride');
      c.positive(op.dilation, 'dilation');
      c.activation(op.activation);
      c.rank(x, 4, 'input');
      const outC = x.shape[3] * op.depthMultiplier;
      if (!Number.isInteger(op.depthMultiplier) || op.depthMultiplier < 1) c.fail(`depth multiplier ${op.depthMultiplier} is invalid`, 'an integer >= 1');
      const w = c.weights(op.inputs[1], 4, 3, outC);
      if (w.shape[0] !== 1 || w.shape[3] !== outC) c.fail(`weights '${w.name}' have shape [${w.shape}]`, `expected [1, KH, KW, ${outC}] (input channels x depth multiplier)`);
      c.spatial(x, y, [w.shape[1], w.shape[2]], op.stride, op.dilation, op.padding, outC);
      c.bias(op.inputs[2], outC);
      return;
    }
    case 'shift_conv2d': {
      const x = c.act(op.inputs[0], 'input');
      const y = c.act(op.outputs[0], 'output');
      c.positive(op.stride, 'stride');
      c.activation(op.activation);
      c.rank(x, 4, 'input');
      const w = c.weights(op.inputs[1], 4, 0, y.shape[y.shape.length - 1]);
      if (w.shape[1] !== 1 || w.shape[2] !== 1 || w.shape[3] !== x.shape[3]) c.fail(`weights '${w.name}' have shape [${w.shape}]`, `expected [outC, 1, 1, ${x.shape[3]}]`);
      if (op.shifts.length !== x.shape[3]) c.fail(`has ${op.shifts.length} shifts for ${x.shape[3]} input channels`, 'one [dy, dx] per input channel');
      if (op.shifts.some((s) => s.length !== 2 || !s.every(Number.isInteger))) c.fail('a shift is not a pair of integers');
      c.spatial(x, y, [1, 1], op.stride, [1, 1], 'valid', w.shape[0]);
      c.bias(op.inputs[2], w.shape[0]);
      return;
    }
    case 'fully_connected': {
      const x = c.act(op.inputs[0], 'input');
      const y = c.act(op.outputs[0], 'output');
      c.activation(op.activation);
      const w = c.weights(op.inputs[1], 2, 0, y.shape[y.shape.length - 1]);
      const [outDepth, inDepth] = w.shape;
      const n = numElements(x.shape);
      if (inDepth < 1 || n % inDepth !== 0) c.fail(`input '${x.name}' of shape [${x.shape}] does not flatten to rows of ${inDepth}`, 'the input size must be a multiple of the weights\' input depth');
      if (numElements(y.shape) !== (n / inDepth) * outDepth || y.shape[y.shape.length - 1] !== outDepth) c.fail(`output '${y.name}' has shape [${y.shape}]`, `expected ${n / inDepth} rows of ${outDepth}`);
      c.bias(op.inputs[2], outDepth);
      return;
    }
    case 'add': {
      const a = c.act(op.inputs[0], 'first input');
      const b = c.act(op.inputs[1], 'second input');
      const y = c.act(op.outputs[0], 'output');
      c.activation(op.activation);
      const r = y.shape.length;
      if (r > 4 || a.shape.length > r || b.shape.length > r) c.fail(`shapes [${a.shape}] + [${b.shape}] -> [${y.shape}] exceed 4 dimensions or the output's rank`);
      for (let i = 1; i <= r; i++) {
        const da = a.shape[a.shape.length - i] ?? 1;
        const db = b.shape[b.shape.length - i] ?? 1;
        const dy = y.shape[r - i];
        if ((da !== dy && da !== 1) || (db !== dy && db !== 1) || Math.max(da, db) !== dy) {
          c.fail(`shapes [${a.shape}] and [${b.shape}] do not broadcast to [${y.shape}]`, 'each dimension must match the output or be 1');
        }
      }
      return;
    }
    case 'average_pool2d':
    case 'max_pool2d': {
      const x = c.act(op.inputs[0], 'input');
      const y = c.act(op.outputs[0], 'output');
      c.positive(op.filter, 'filter');
      c.positive(op.stride, 'stride');
      c.activation(op.activation);
      c.rank(x, 4, 'input');
      c.spatial(x, y, op.filter, op.stride, [1, 1], op.padding, x.shape[3]);
      const xq = x.quant!, yq = y.quant!;
      if (xq.scale[0] !== yq.scale[0] || xq.zeroPoint[0] !== yq.zeroPoint[0]) c.fail(`input and output quantisation differ`, 'TFLite int8 pooling keeps the input scale and zero point');
      return;
    }
    case 'reshape': {
      const x = c.act(op.inputs[0], 'input');
      const y = c.act(op.outputs[0], 'output');
      if (numElements(x.shape) !== numElements(y.shape)) c.fail(`[${x.shape}] has ${numElements(x.shape)} elements, [${y.shape}] has ${numElements(y.shape)}`, 'reshape keeps the element count');
      if (x.quant!.scale[0] !== y.quant!.scale[0] || x.quant!.zeroPoint[0] !== y.quant!.zeroPoint[0]) c.fail('input and output quantisation differ', 'a reshape is a view: it cannot requantise');
      return;
    }
    case 'softmax': {
      const x = c.act(op.inputs[0], 'input');
      const y = c.act(op.outputs[0], 'output');
      if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) c.fail(`output shape [${y.shape}] differs from input shape [${x.shape}]`);
      if (!(op.beta > 0)) c.fail(`beta ${op.beta} is not positive`);
      return;
    }
  }
}

export const legalize = definePass({
  name: 'legalize',
  summary: 'reject graphs no backend supports, with errors naming the op',
  stage: 'graph',
  options: {},
  run(state) {
    const g = state.graph;
    for (const id of [...g.inputs, ...g.outputs]) {
      const t = tensorById(g, id);
      if (!t) throw new TinyforgeError(`graph ${g.inputs.includes(id) ? 'input' : 'output'} tensor ${id} does not exist`);
      if (t.dtype !== 'int8') throw new TinyforgeError(`graph input/output '${t.name}' is ${t.dtype}`, {}, 'the backends support int8 models only');
    }
    // Topological order: every activation an op reads is a graph input or written by an earlier op.
    const defined = new Set(g.inputs);
    for (const op of g.ops) {
      checkOp(g, op);
      for (const id of activationInputs(op)) {
        if (!defined.has(id)) {
          const name = tensorById(g, id)?.name ?? String(id);
          throw new TinyforgeError(`${op.kind}: reads '${name}' before any op writes it`, { op: opLabel(g, op) }, 'ops must be in topological order');
        }
      }
      for (const id of op.outputs) {
        if (defined.has(id)) throw new TinyforgeError(`${op.kind}: writes '${tensorById(g, id)?.name ?? id}', which is already defined`, { op: opLabel(g, op) });
        defined.add(id);
      }
    }
    for (const id of g.outputs) {
      if (!defined.has(id)) throw new TinyforgeError(`graph output '${tensorById(g, id)?.name ?? id}' is never written`);
    }
    return state;
  },
});
