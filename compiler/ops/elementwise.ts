// What the element-wise binary operators (ADD beyond 4-D or with a constant operand, SUB, MUL,
// SQUARED_DIFFERENCE, MAXIMUM, MINIMUM) share: NumPy broadcasting up to 6 dimensions (TFLite Micro's
// broadcast loop and desktop TFLite's 6-D slow paths), their legality rules, the lowering to the kernel-IR
// `binary` op and the golden runtime's `binary` kernel launch. The arithmetic itself is per op, in
// compiler/quant/params.ts (binaryQuantParams) and runtime-wasm/assembly/binary.ts.
import { TinyforgeError } from '../diagnostics.ts';
import { numElements, type Op, type Tensor } from '../ir/graph.ts';
import type { BinaryOpCode, KBinary } from '../kernel-ir/types.ts';
import { binaryQuantParams, type BinaryQuantParams } from '../quant/params.ts';
import type { LegalCheck } from './checks.ts';
import { coalesceDims, type GoldenCtx, type GoldenLaunch } from './golden-abi.ts';
import type { KernelOpDraft, LowerCtx } from './lowering.ts';
import type { QuantCtx } from './op-def.ts';

/** The highest rank the element-wise binary ops broadcast over (TFLite's 6-D broadcast kernels). */
export const MAX_BINARY_RANK = 6;

export type BinaryGraphOp = Extract<Op, { kind: 'add' | 'sub' | 'mul' | 'squared_difference' | 'maximum' | 'minimum' }>;

/** Opcodes of runtime-wasm/assembly/binary.ts. */
const OPCODE: Record<BinaryOpCode, number> = { add: 0, sub: 1, mul: 2, squared_difference: 3, maximum: 4, minimum: 5 };

/** `shape` right-aligned to `rank` dimensions. */
export function padShape(shape: readonly number[], rank: number): number[] {
  if (shape.length > rank) throw new TinyforgeError(`shape [${shape.join(', ')}] has more than ${rank} dimensions`);
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/** Element strides of `shape` read as the output `out` (same rank after padding): 0 along broadcast dimensions. */
export function broadcastStridesN(shape: readonly number[], out: readonly number[]): number[] {
  const s = padShape(shape, out.length);
  const strides = new Array<number>(out.length).fill(0);
  let step = 1;
  for (let d = out.length - 1; d >= 0; d--) {
    if (s[d] !== out[d] && s[d] !== 1) throw new TinyforgeError(`shape [${shape.join(', ')}] does not broadcast to [${out.join(', ')}]`);
    strides[d] = s[d] === 1 && out[d] !== 1 ? 0 : step;
    step *= s[d]!;
  }
  return strides;
}

/** The rank a binary kernel works in: the output's, at least 4. */
export function kernelRank(y: Tensor): number {
  return Math.max(4, y.shape.length);
}

/**
 * Legality shared by the binary ops: int8 operands quantised per tensor, at most one of them constant (a
 * constant int8 tensor holding its values, as in a model's bias-like ADD or scaling MUL), shapes that
 * broadcast to the output within 6 dimensions. Returns the operands and the output.
 */
export function legalizeBinary(c: LegalCheck, op: BinaryGraphOp, int16 = false): { a: Tensor; b: Tensor; y: Tensor } {
  const operand = (slot: number, role: string): Tensor => {
    const t = c.t(op.inputs[slot], role);
    if (!t.data) return c.act(op.inputs[slot], role, int16);
    if (t.dtype !== 'int8' || !(t.data instanceof Int8Array) || t.data.length !== numElements(t.shape)) {
      c.fail(`constant ${role} '${t.name}' is not an int8 tensor holding its ${numElements(t.shape)} values`, 'constant operands must be int8');
    }
    if (!t.quant || t.quant.scale.length !== 1 || t.quant.zeroPoint.length !== 1 || !(t.quant.scale[0]! > 0)) {
      c.fail(`constant ${role} '${t.name}' is not quantised per tensor`, 'it needs one positive scale and one zero point');
    }
    return t;
  };
  const a = operand(0, 'first input');
  const b = operand(1, 'second input');
  if (a.data && b.data) c.fail('both operands are constant', 'fold the op into a constant before compiling');
  const y = c.act(op.outputs[0], 'output', int16);
  if (a.dtype !== y.dtype || b.dtype !== y.dtype) c.fail(`operands ${a.dtype} and ${b.dtype} with a ${y.dtype} output`, 'one type throughout (int8, or int16 for ADD and SUB)');
  const r = y.shape.length;
  if (r > MAX_BINARY_RANK || a.shape.length > r || b.shape.length > r) {
    c.fail(`shapes [${a.shape}] and [${b.shape}] -> [${y.shape}] exceed ${MAX_BINARY_RANK} dimensions or the output's rank`);
  }
  for (let i = 1; i <= r; i++) {
    const da = a.shape[a.shape.length - i] ?? 1;
    const db = b.shape[b.shape.length - i] ?? 1;
    const dy = y.shape[r - i]!;
    if ((da !== dy && da !== 1) || (db !== dy && db !== 1) || Math.max(da, db) !== dy) {
      c.fail(`shapes [${a.shape}] and [${b.shape}] do not broadcast to [${y.shape}]`, 'each dimension must match the output or be 1');
    }
  }
  return { a, b, y };
}

/** MAXIMUM / MINIMUM compare raw int8 values: every operand must share the output's scale and zero point. */
export function sameQuant(c: LegalCheck, op: BinaryGraphOp, ts: Tensor[]): void {
  const y = ts[ts.length - 1]!;
  for (const t of ts) {
    if (t.quant!.scale[0] !== y.quant!.scale[0] || t.quant!.zeroPoint[0] !== y.quant!.zeroPoint[0]) {
      c.fail(`'${t.name}' is quantised (scale ${t.quant!.scale[0]}, zero point ${t.quant!.zeroPoint[0]}) unlike the output (${y.quant!.scale[0]}, ${y.quant!.zeroPoint[0]})`,
        `${op.kind} compares raw int8 values: inputs and output need one scale and zero point`);
    }
  }
}

/** The kernel-IR `binary` op of a graph op, quantisation neutral (fold-requant fills it in). */
export function lowerBinary(ctx: LowerCtx, op: BinaryGraphOp): KernelOpDraft {
  const a = ctx.t(op.inputs[0]!), b = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
  const rank = kernelRank(y);
  const q = { multiplier: 0, shift: 0 };
  const constSlot = a.data ? 0 : b.data ? 1 : -1;
  const draft: KernelOpDraft = {
    kind: 'binary', op: op.kind,
    inputs: constSlot === 0 ? [ctx.buffer(b.id)] : constSlot === 1 ? [ctx.buffer(a.id)] : [ctx.buffer(a.id), ctx.buffer(b.id)],
    output: ctx.buffer(y.id),
    outShape: padShape(y.shape, rank), aShape: padShape(a.shape, rank), bShape: padShape(b.shape, rank),
    input1Offset: 0, input2Offset: 0, outputOffset: 0, leftShift: 0,
    input1Q: { ...q }, input2Q: { ...q }, outputQ: { ...q }, actMin: -128, actMax: 127,
  };
  if (constSlot >= 0) (draft as KBinary).constOperand = { slot: constSlot as 0 | 1, const: ctx.constant(constSlot === 0 ? a.id : b.id) };
  return draft;
}

function quantFields(p: BinaryQuantParams) {
  return {
    input1Offset: p.input1Offset, input2Offset: p.input2Offset, outputOffset: p.outputOffset, leftShift: p.leftShift,
    input1Q: p.input1Q, input2Q: p.input2Q, outputQ: p.outputQ, ...(p.pot ? { pot: p.pot } : {}),
  };
}

/** fold-requant for a `binary` kernel op (the clamp comes from fuse-activation). */
export function foldBinary<K>(q: QuantCtx, op: BinaryGraphOp, k: K): K {
  return { ...k, ...quantFields(binaryQuantParams(q.graph, op, q.arith)) };
}

/** The golden runtime's launch of the `binary` kernel for `op` in the context's arithmetic. */
export function goldenBinary(ctx: GoldenCtx, op: BinaryGraphOp): GoldenLaunch {
  const q = binaryQuantParams(ctx.graph, op, ctx.arith);
  const rank = kernelRank(ctx.Y);
  const out = padShape(ctx.Y.shape, rank);
  const c = coalesceDims(out, [broadcastStridesN(ctx.T(0).shape, out), broadcastStridesN(ctx.T(1).shape, out)], MAX_BINARY_RANK);
  const six = (v: number[], fill: number) => [...new Array<number>(MAX_BINARY_RANK - v.length).fill(fill), ...v];
  const geom = ctx.upload(Int32Array.from([...six(c.dims, 1), ...six(c.strides[0]!, 0), ...six(c.strides[1]!, 0)]));
  const code = OPCODE[op.kind];
  const aId = op.inputs[0]!, bId = op.inputs[1]!, yId = op.outputs[0]!;
  if (ctx.Y.dtype === 'int16') {
    // 16x8 models: ADD, SUB and MUL only (their op definitions' `types` admit int16), the same integer steps on int16 data.
    if (op.kind !== 'add' && op.kind !== 'sub' && op.kind !== 'mul') throw new TinyforgeError(`${op.kind}: int16 is not supported by the golden runtime`);
    // Desktop TFLite's power-of-two ADD / SUB (q.pot): opcodes 6 / 7 with the two right shifts.
    const [c16, s1, s2] = q.pot ? [code + 6, q.pot[0], q.pot[1]] : [code, q.input1Q.shift, q.input2Q.shift];
    return {
      scratch: 0,
      make: () => (p) => ctx.ex.binary16(c16, p[aId]!, p[bId]!, p[yId]!, geom, q.input1Offset, q.input2Offset, q.outputOffset, q.leftShift,
        q.input1Q.multiplier, s1, q.input2Q.multiplier, s2, q.outputQ.multiplier, q.outputQ.shift, q.actMin, q.actMax),
    };
  }
  return {
    scratch: 0,
    make: () => (p) => ctx.ex.binary(code, p[aId]!, p[bId]!, p[yId]!, geom, q.input1Offset, q.input2Offset, q.outputOffset, q.leftShift,
      q.input1Q.multiplier, q.input1Q.shift, q.input2Q.multiplier, q.input2Q.shift, q.outputQ.multiplier, q.outputQ.shift, q.actMin, q.actMax),
  };
}
