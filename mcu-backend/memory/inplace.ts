// In-place execution: an op may write its output over an input whose last use it is, when the order in
// which it produces output rows never overwrites input rows it still has to read. The output starts at the
// input's offset; finished output rows wait in a small delay buffer (scratch) until the input rows under
// them are consumed. Rules per op kind, as a table:
// - add: elementwise, the output overlays a same-shape input, no buffer; lut and prelu (one activation
//   input of the output's shape) likewise;
// - conv2d (groups 1), depthwise conv2d, pools: rows forward (a shrinking or same-size output) or
//   backward (a growing output, e.g. a pointwise conv with outC > inC) with the least delay that is safe;
//   TinyEngine's in-place depthwise and the "pointwise writes over pixels it no longer needs" idea are
//   the two cases of this one rule;
// - a kernel that reads its input only in a prepass into its own scratch (the fast M4 kernels' int16
//   widening, PlanOptions.prepass) can overlay its output on the whole input: no delay, any shape;
// - everything else: never in place.

import type { KAdd, KBinary, KernelModule, KernelOp, Window } from '../../compiler/kernel-ir/types.ts';
import { storageOf } from './requests.ts';

export interface InPlace {
  op: number;
  /** Storage buffer the output overlays. */
  input: number;
  direction: 'forward' | 'backward' | 'elementwise' | 'prepass';
  /** Output rows held back before being written (the delay buffer holds delay + 1 rows). */
  delay: number;
  scratchBytes: number;
}

const MAX_DELAY = 4;

/** Least delay d such that writing output row r after computing rows up to r + d never clobbers unread input. */
export function forwardDelay(w: Window, inRowBytes: number, outRowBytes: number): number | null {
  for (let d = 0; d <= MAX_DELAY; d++) {
    let ok = true;
    for (let r = 0; r + d + 1 < w.outH && ok; r++) {
      // Earliest input row still to be read after rows r..r+d are computed: that of output row r+d+1.
      const firstNeeded = Math.max(0, (r + d + 1) * w.strideH - w.padTop);
      ok = (r + 1) * outRowBytes <= firstNeeded * inRowBytes;
    }
    if (ok) return d;
  }
  return null;
}

/** Same, processing rows from the last to the first (for outputs that grow). */
export function backwardDelay(w: Window, inRowBytes: number, outRowBytes: number): number | null {
  const effK = (w.kH - 1) * w.dilationH + 1;
  for (let d = 0; d <= MAX_DELAY; d++) {
    let ok = true;
    for (let r = w.outH - 1; r - d - 1 >= 0 && ok; r--) {
      // Last input row still to be read: that of output row r-d-1 (its window's bottom row), exclusive end.
      const endNeeded = Math.min(w.inH, (r - d - 1) * w.strideH - w.padTop + effK);
      ok = r * outRowBytes >= endNeeded * inRowBytes;
    }
    if (ok) return d;
  }
  return null;
}

type Rule = (op: KernelOp, m: KernelModule) => Omit<InPlace, 'op' | 'input'> | null;

function windowRule(op: KernelOp & Window): Omit<InPlace, 'op' | 'input'> | null {
  if (op.batches !== 1) return null;
  const inRow = op.inW * op.inC;
  const outRow = op.outW * op.outC;
  const f = forwardDelay(op, inRow, outRow);
  const b = backwardDelay(op, inRow, outRow);
  // The direction needing the smaller delay buffer (forward on a tie: the natural order).
  if (f !== null && (b === null || f <= b)) return { direction: 'forward', delay: f, scratchBytes: (f + 1) * outRow };
  if (b !== null) return { direction: 'backward', delay: b, scratchBytes: (b + 1) * outRow };
  return null;
}

export const IN_PLACE_RULES: Partial<Record<KernelOp['kind'], Rule>> = {
  add: (op) => {
    const a = op as KAdd;
    const same = (s: number[]) => s.every((v, i) => v === a.outShape[i]);
    return same(a.aShape) || same(a.bShape) ? { direction: 'elementwise', delay: 0, scratchBytes: 0 } : null;
  },
  // Element-wise ops of one activation: the output has the input's shape.
  lut: () => ({ direction: 'elementwise', delay: 0, scratchBytes: 0 }),
  prelu: () => ({ direction: 'elementwise', delay: 0, scratchBytes: 0 }),
  binary: (op) => {
    const a = op as KBinary;
    const same = (s: number[]) => s.every((v, i) => v === a.outShape[i]);
    return same(a.aShape) || same(a.bShape) ? { direction: 'elementwise', delay: 0, scratchBytes: 0 } : null;
  },
  conv2d: (op) => (op.kind === 'conv2d' && op.groups === 1 ? windowRule(op) : null),
  depthwise_conv2d: (op) => (op.kind === 'depthwise_conv2d' ? windowRule(op) : null),
  average_pool2d: (op) => (op.kind === 'average_pool2d' ? windowRule(op) : null),
  max_pool2d: (op) => (op.kind === 'max_pool2d' ? windowRule(op) : null),
};

const PREPASS_KINDS = new Set<KernelOp['kind']>(['conv2d', 'depthwise_conv2d']);

/**
 * Every op that can run in place over an input it reads for the last time (graph outputs excluded);
 * `prepass(op)`: the op's kernel reads its input only in a prepass into scratch.
 */
export function findInPlace(m: KernelModule, prepass: (op: number) => boolean = () => false): InPlace[] {
  // Graph outputs and recurrent state (persistent, outside the arena) never share storage with an output.
  const protectedIds = new Set([...m.outputs.map((o) => storageOf(m, o)), ...m.buffers.filter((b) => b.kind === 'state').map((b) => b.id)]);
  const lastUse = new Map<number, number>();
  for (const op of m.ops) for (const i of op.inputs) lastUse.set(storageOf(m, i), op.index);
  for (const o of m.outputs) lastUse.set(storageOf(m, o), Infinity);
  const res: InPlace[] = [];
  for (const op of m.ops) {
    const rule = PREPASS_KINDS.has(op.kind) && prepass(op.index)
      ? () => ({ direction: 'prepass' as const, delay: 0, scratchBytes: 0 })
      : IN_PLACE_RULES[op.kind];
    if (!rule) continue;
    const r = rule(op, m);
    if (!r) continue;
    const elementwise = op.kind === 'add' || op.kind === 'binary';
    const candidates = elementwise ? op.inputs : op.inputs.slice(0, 1);
    for (const i of candidates) {
      const s = storageOf(m, i);
      if (protectedIds.has(s) || lastUse.get(s) !== op.index) continue;
      if (elementwise && m.buffers[i]!.bytes !== m.buffers[op.output]!.bytes) continue;
      res.push({ op: op.index, input: s, ...r });
      break;
    }
  }
  return res;
}
