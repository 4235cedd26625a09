// SVDF: a fully connected layer factorised into a feature filter and a time filter (singular value
// decomposition filter), with the last `memory` feature activations of every filter kept as recurrent state.
// operands [x, weights_feature, weights_time, bias (optional), state]: x int8 [batches, inputSize];
// weights_feature int8 [filters, inputSize]; weights_time [filters, memory] int16 with int16 state (the
// converter's full-integer form, keyword_scrambled) or int8 with int8 state (TFLite Micro's int8 variant,
// keyword_scrambled_8bit); bias int32 [filters / rank]; state a variable tensor [batches, filters * memory];
// output int8 [batches, filters / rank]. The arithmetic (TFLite Micro's EvalIntegerSvdfReference) is stated
// in runtime-wasm/assembly/svdf.ts; the multipliers come from compiler/quant/params.ts svdfQuantParams.
// The fused activation is imported and written back but not applied: neither TFLite's nor TFLite Micro's
// integer kernel applies it (their outputs saturate to int8 only; the converter gives RELU outputs zero
// point -128, where the two coincide).
import { TinyforgeError } from '../diagnostics.ts';
import type { Activation, OpBase, Tensor } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { svdfQuantParams } from '../quant/params.ts';
import type { LegalCheck, ShapeCheck } from './checks.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { ACTIVATION_CODE, activation, table } from './tflite-options.ts';

export interface SvdfOp extends OpBase {
  kind: 'svdf';
  rank: number;
  activation: Activation;
  /** SVDFOptions.asymmetric_quantize_inputs (hybrid float kernels only; kept for the round trip). */
  asymmetricQuantizeInputs: boolean;
}

/** SVDFOptions field slots (schema.fbs) and its BuiltinOptions union tag. */
const SLOT = { rank: 0, activation: 1, asymmetricQuantizeInputs: 2 } as const;
const SVDF_OPTIONS = BuiltinOptionsType.SVDFOptions;

interface SvdfGeometry { batches: number; inputSize: number; filters: number; memory: number; units: number }

/** Shapes, dtypes and quantisation of the operands, stated once for the validator and the legalize pass. */
function checkSvdf(fail: (m: string, hint?: string) => never, t: (slot: number) => Tensor | undefined, y: Tensor, rank: number): SvdfGeometry {
  const need = (slot: number, role: string) => t(slot) ?? fail(`missing ${role} (input ${slot})`);
  const x = need(0, 'input'), wf = need(1, 'weights_feature'), wt = need(2, 'weights_time'), st = need(4, 'state');
  const b = t(3);
  const rank2 = (v: Tensor, role: string) => { if (v.shape.length !== 2) fail(`${role} '${v.name}' must have rank 2, has shape [${v.shape}]`); };
  [[x, 'input'], [wf, 'weights_feature'], [wt, 'weights_time'], [st, 'state'], [y, 'output']].forEach(([v, r]) => rank2(v as Tensor, r as string));
  const [batches, inputSize] = x.shape as [number, number];
  const [filters, wfIn] = wf.shape as [number, number];
  const [wtFilters, memory] = wt.shape as [number, number];
  if (!Number.isInteger(rank) || rank < 1) fail(`rank ${rank} must be a positive integer`);
  if (filters % rank !== 0) fail(`${filters} filters are not a multiple of rank ${rank}`);
  if (wfIn !== inputSize) fail(`weights_feature [${wf.shape}] must have ${inputSize} columns (the input size)`);
  if (wtFilters !== filters) fail(`weights_time [${wt.shape}] must have ${filters} rows (the filters)`);
  const units = filters / rank;
  if (st.shape[0] !== batches || st.shape[1] !== memory * filters) fail(`state '${st.name}' has shape [${st.shape}]`, `expected [${batches}, ${memory * filters}] (batches, memory x filters)`);
  if (y.shape[0] !== batches || y.shape[1] !== units) fail(`output '${y.name}' has shape [${y.shape}]`, `expected [${batches}, ${units}]`);
  // Types: the full-integer SVDF (float and hybrid SVDF are not supported).
  const perTensor = (v: Tensor, role: string) => {
    if (!v.quant || v.quant.scale.length !== 1 || !(v.quant.scale[0]! > 0) || !Number.isFinite(v.quant.scale[0]!)) fail(`${role} '${v.name}' needs one positive scale`);
  };
  if (x.dtype !== 'int8' || y.dtype !== 'int8') fail(`input '${x.name}' is ${x.dtype} and output '${y.name}' ${y.dtype}`, 'SVDF takes an int8 input and gives an int8 output (float and hybrid SVDF are not supported)');
  if (x.data) fail(`input '${x.name}' is a constant`);
  if (wf.dtype !== 'int8' || !wf.data) fail(`weights_feature '${wf.name}' must be a constant int8 tensor, is ${wf.dtype}${wf.data ? '' : ' without data'}`);
  if (!(wt.dtype === 'int8' || wt.dtype === 'int16') || !wt.data) fail(`weights_time '${wt.name}' must be a constant int8 or int16 tensor, is ${wt.dtype}`);
  if (st.dtype !== wt.dtype) fail(`state '${st.name}' is ${st.dtype} but weights_time '${wt.name}' is ${wt.dtype}`, 'TFLite Micro runs int16 time weights with int16 state, int8 with int8');
  if (!st.variable) fail(`state '${st.name}' is not a variable tensor`, 'SVDF keeps its activation history in a variable tensor (is_variable)');
  for (const [v, r] of [[x, 'input'], [wf, 'weights_feature'], [wt, 'weights_time'], [st, 'state'], [y, 'output']] as const) perTensor(v, r);
  if (wf.quant!.zeroPoint[0] !== 0 || wt.quant!.zeroPoint[0] !== 0) fail('weights_feature and weights_time must have zero point 0');
  if (st.dtype === 'int16' && st.quant!.zeroPoint[0] !== 0) fail(`int16 state '${st.name}' has zero point ${st.quant!.zeroPoint[0]}`, 'int16 state is symmetric (desktop TFLite ignores its zero point)');
  if (b) {
    if (b.dtype !== 'int32' || !(b.data instanceof Int32Array)) fail(`bias '${b.name}' must be a constant int32 tensor`);
    if (b.data.length !== units) fail(`bias '${b.name}' has ${b.data.length} values`, `expected ${units} (one per unit)`);
  }
  return { batches, inputSize, filters, memory, units };
}

export const svdf = defineOp<'svdf'>({
  kind: 'svdf',
  summary: 'SVDF: feature and time filters over an activation history (recurrent state), int8 with int16 or int8 state',
  arith: "same in both (TFLite Micro's integer reference; desktop TFLite shifts the history after the time step, same outputs, and reads int8 time weights and state as int16, so it cannot run the int8-state variant)",
  tflite: {
    builtin: BuiltinOperator.SVDF,
    optionsType: SVDF_OPTIONS,
    import: (c) => ({
      kind: 'svdf', name: c.name, rank: c.opts.i32(SLOT.rank), activation: activation(c, c.opts.i8(SLOT.activation)),
      asymmetricQuantizeInputs: c.opts.bool(SLOT.asymmetricQuantizeInputs),
    }),
    version: 3,
    export: (b, o) => [SVDF_OPTIONS, table(b, 3, () => {
      b.addFieldInt32(SLOT.rank, o.rank, 0);
      b.addFieldInt8(SLOT.activation, ACTIVATION_CODE[o.activation], 0);
      b.addFieldInt8(SLOT.asymmetricQuantizeInputs, o.asymmetricQuantizeInputs ? 1 : 0, 0);
    })],
  },
  arity: { inputs: [5, 5], activations: () => [0, 4] },
  infer: (c: ShapeCheck, op) => {
    const x = c.tensor(0, 'input'), wf = c.tensor(1, 'weights_feature');
    if (x.shape.length !== 2 || wf.shape.length !== 2) c.fail(`input [${x.shape}] and weights_feature [${wf.shape}] must have rank 2`);
    if (!(op.rank >= 1) || wf.shape[0]! % op.rank !== 0) c.fail(`${wf.shape[0]} filters are not a multiple of rank ${op.rank}`);
    return [x.shape[0]!, wf.shape[0]! / op.rank];
  },
  types: (c: ShapeCheck, op) => {
    checkSvdf((m, hint) => c.fail(hint ? `${m} (${hint})` : m), (s) => c.optional(s), c.g.tensors[op.outputs[0]!]!, op.rank);
  },
  legalize: (c: LegalCheck, op) => {
    checkSvdf((m, hint) => c.fail(m, hint), (s) => (op.inputs[s] === undefined || op.inputs[s]! < 0 ? undefined : c.t(op.inputs[s], `input ${s}`)), c.t(op.outputs[0], 'output'), op.rank);
  },
  fold: (q, op, k) => {
    if (k.kind !== 'svdf') return k;
    const p = svdfQuantParams(q.graph, op);
    return { ...k, inputOffset: -p.inputZp, stateZp: p.stateZp, outputOffset: p.outputZp, feature: p.feature, outputQ: p.output };
  },
  lower: [
    rule({
      name: 'svdf',
      kinds: ['svdf'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), wf = ctx.t(op.inputs[1]!), wt = ctx.t(op.inputs[2]!);
        const filters = wf.shape[0]!, units = filters / op.rank;
        const b = op.inputs[3]!;
        return {
          kind: 'svdf', inputs: [ctx.buffer(x.id), ctx.buffer(op.inputs[4]!)], output: ctx.buffer(op.outputs[0]!),
          batches: x.shape[0]!, inputSize: x.shape[1]!, filters, memory: wt.shape[1]!, rank: op.rank,
          weightsFeature: ctx.constant(wf.id), weightsTime: ctx.constant(wt.id),
          bias: b >= 0 ? ctx.constant(b) : ctx.newConstant(`${op.name ?? 'svdf'}_bias`, 'int32', [units], new Int32Array(units)),
          inputOffset: 0, stateZp: 0, outputOffset: 0, feature: { multiplier: 0, shift: 0 }, outputQ: { multiplier: 0, shift: 0 },
        };
      },
    }),
  ],
  macs: (_g, op, t) => {
    const x = t(op.inputs[0]!), wt = t(op.inputs[2]!);
    return x.shape[0]! * wt.shape[0]! * (x.shape[1]! + wt.shape[1]!);
  },
  golden: (ctx, op) => {
    const x = ctx.T(0), wf = ctx.T(1), wt = ctx.T(2), st = ctx.T(4);
    const bt = op.inputs[3]! >= 0 ? ctx.T(3) : undefined;
    const [batches, inputSize] = x.shape as [number, number];
    const [filters, memory] = wt.shape as [number, number];
    if (!(wf.data instanceof Int8Array) || !(wt.data instanceof Int8Array || wt.data instanceof Int16Array)) throw new TinyforgeError('svdf: weights must be constant int8 (time: int8 or int16)');
    const p = svdfQuantParams(ctx.graph, op);
    const wfp = ctx.upload(wf.data), wtp = ctx.upload(wt.data);
    const bp = bt?.data instanceof Int32Array ? ctx.upload(bt.data) : 0;
    const stateBytes = st.dtype === 'int16' ? 2 : 1;
    const xId = op.inputs[0]!, sId = op.inputs[4]!, yId = op.outputs[0]!;
    return {
      scratch: 4 * filters,
      make: (scratch) => (ptr) => ctx.ex.svdf(ptr[xId]!, wfp, wtp, bp, ptr[sId]!, stateBytes, ptr[yId]!, scratch,
        batches, inputSize, filters, memory, op.rank, p.inputZp, p.feature.multiplier, p.feature.shift, p.stateZp,
        p.output.multiplier, p.output.shift, p.outputZp),
    };
  },
  cgra: { host: 'recurrent state and two small matrix-vector products per step: runs on the host CPU' },
});
