// lower-to-kernel: build the kernel module from the graph IR. Activation tensors become buffers (graph
// inputs first, then in the order ops write them), constant tensors become entries of the constant
// table (shared when several ops use one tensor), and each graph op becomes one kernel op (or several, one
// per output of a multi-output op) chosen by the pattern rules of lower-rules.ts. Variable tensors become
// `state` buffers (persistent, outside the arena). Lifetimes, MACs and quantisation are left to the later passes.

import { bytesPerElement, initialStateValue, numElements, type DType, type Tensor } from '../ir/graph.ts';
import { opLabel, tensorById } from '../ir/lookup.ts';
import type { KBuffer, KConst, KernelModule, KernelOp } from '../kernel-ir/types.ts';
import { selectRule, type LowerCtx, type LowerOptions } from './lower-rules.ts';
import { definePass, type PipelineState } from './pass.ts';

function lower(state: PipelineState, options: LowerOptions): KernelModule {
  const g = state.graph;
  const buffers: KBuffer[] = [];
  const consts: KConst[] = [];
  const bufferOf = new Map<number, number>();
  const constOf = new Map<number, number>();

  const t = (id: number): Tensor => {
    const x = tensorById(g, id);
    if (!x) throw new Error(`lower-to-kernel: tensor ${id} does not exist (run legalize first)`);
    return x;
  };
  const newConstant = (name: string, dtype: DType, shape: number[], data: Int8Array | Int16Array | Int32Array): number => {
    consts.push({ id: consts.length, name, dtype, shape: [...shape], data });
    return consts.length - 1;
  };
  const ctx: LowerCtx = {
    graph: g,
    arith: state.arith,
    options,
    t,
    buffer(id) {
      const known = bufferOf.get(id);
      if (known !== undefined) return known;
      const x = t(id);
      if (x.data) throw new Error(`lower-to-kernel: constant '${x.name}' used as an activation (run legalize first)`);
      const kind = x.variable ? 'state' : g.inputs.includes(id) ? 'input' : g.outputs.includes(id) ? 'output' : 'activation';
      buffers.push({
        id: buffers.length, name: x.name, kind, ...(x.variable ? { stateInit: initialStateValue(x) } : {}), shape: [...x.shape], dtype: x.dtype,
        bytes: numElements(x.shape) * bytesPerElement(x.dtype),
        scale: x.quant?.scale[0] ?? 0, zeroPoint: x.quant?.zeroPoint[0] ?? 0, def: -1, lastUse: -1,
      });
      bufferOf.set(id, buffers.length - 1);
      return buffers.length - 1;
    },
    constant(id) {
      if (id === undefined || id < 0) throw new Error('lower-to-kernel: a missing constant (bias?): run materialize-bias first');
      const known = constOf.get(id);
      if (known !== undefined) return known;
      const x = t(id);
      if (!x.data) throw new Error(`lower-to-kernel: '${x.name}' is not a constant`);
      if (x.data instanceof BigInt64Array) throw new Error(`lower-to-kernel: '${x.name}' is an int64 constant; the kernel IR holds int8/int16/int32 constants`);
      const c = newConstant(x.name, x.dtype, x.shape, x.data);
      constOf.set(id, c);
      return c;
    },
    newConstant,
  };

  for (const id of g.inputs) ctx.buffer(id);
  // A rule may return several kernel ops (one per output of SPLIT / UNPACK): `index` is then the kernel op's
  // position and `sourceOp` the graph op's, and the drafts are named `<op>:<k>`.
  const ops: KernelOp[] = [];
  g.ops.forEach((op, i) => {
    const lowered = selectRule(ctx, op).lower(ctx, op);
    const drafts = Array.isArray(lowered) ? lowered : [lowered];
    const label = opLabel(g, op);
    const name = typeof label === 'string' ? label : `${op.kind}_${i}`;
    drafts.forEach((draft, k) => {
      ops.push({ ...draft, index: ops.length, sourceOp: i, name: drafts.length > 1 ? `${name}:${k}` : name, macs: 0, schedule: {} } as KernelOp);
    });
  });
  return {
    name: g.name, arith: state.arith, buffers, consts, ops,
    inputs: g.inputs.map((id) => ctx.buffer(id)), outputs: g.outputs.map((id) => ctx.buffer(id)),
  };
}

export const lowerToKernel = definePass({
  name: 'lower-to-kernel',
  summary: 'graph ops -> kernel ops by prioritised pattern rules; tensors -> buffers and constants',
  stage: 'lower',
  options: {
    groupedAsDepthwise: { default: true, description: 'lower conv2d with groups == input channels to depthwise_conv2d' },
  },
  run(state, options) {
    return { ...state, module: lower(state, options) };
  },
});
