// Word loads for the pair-form (int8p) LDM blocks of ldm-blocks.ts: the reduction steps of a block of one
// output pixel x q channels issued as single-word LDRs at immediate offsets (the table and the widened
// input read exactly as the LDMIA form reads them; the pointers advance once per unrolled run) instead of
// one LDMIA of the 4 input words and one LDMIA of 2 weight words per channel, ordered for the core.
//
// Why (the cycle model, timing/cores.ts; fully connected layers, whose weights are each read once):
//   - Cortex-M4 (TRM table 3-1): LDM of N registers is 1 + N cycles and never pipelines with a neighbour,
//     while an LDR right after a load whose result its address does not need costs 1. 'grouped': per step
//     the 4 input words and two channels' weight words back to back (8 LDRs, 9 cycles), their MACs, the
//     other two channels' 4 words (5 cycles), their MACs: 38 cycles per 32 MACs against 41 (LDM 5 + 4 x 3).
//   - Cortex-M7 (dual issue of a load or an ALU instruction with a MAC; an LDM issues alone; a load result
//     feeding the next MAC stalls): 'interleaved' list-schedules the same operations so that each SMLAD
//     pairs with a load or an SXTB16 and no MAC directly follows the load of its operand.
// Registers as the LDM form's: r0 input, r1 table, r2-r5 the step's input words (A0, B0, A1, B1), r6/r7 and
// r8/r9 the weight words of even and odd channels (SXTB16 in place after the word's first SMLAD), the
// accumulators r10.. (at most 4).

import type { WordOrder } from './word-steps.ts';

interface AsmOp { text: string; def: number; use: number; kind: 'load' | 'mac' | 'alu' }

const bit = (r: string): number => 1 << (r === 'lr' ? 14 : r === 'sp' ? 13 : Number(r.slice(1)));
const WREG: ReadonlyArray<readonly [string, string]> = [['r6', 'r7'], ['r8', 'r9']];
const X = ['r2', 'r3', 'r4', 'r5'];
/** LDR immediate offsets stay below this (T3 encoding: 12 bits). */
const MAX_OFFSET = 4000;

const load = (dst: string, base: string, off: number): AsmOp => ({ text: `ldr ${dst}, [${base}, #${off}]`, def: bit(dst), use: bit(base), kind: 'load' });
const smlad = (a: string, w: string, x: string): AsmOp => ({ text: `smlad ${a}, ${w}, ${x}, ${a}`, def: bit(a), use: bit(a) | bit(w) | bit(x), kind: 'mac' });
const sxtb16 = (w: string): AsmOp => ({ text: `sxtb16 ${w}, ${w}`, def: bit(w), use: bit(w), kind: 'alu' });

/** Cursor into the widened input (bytes from r0) and the table (bytes from r1) since the pointers last moved. */
export interface PairCursor { x: number; w: number }

/**
 * Operations of one 8-value step for channels accs (weights at the cursor, per channel 2 words; `merged`:
 * the q accumulator starts follow the first channel's words), in the grouped order; advances the cursor.
 */
function stepOps(accs: string[], cur: PairCursor, merged: boolean): AsmOp[] {
  const ops: AsmOp[] = [];
  const q = accs.length;
  const wAt = (c: number) => cur.w + 8 * c + (merged && c > 0 ? 4 * q : 0);
  for (let g = 0; g < q; g += 2) {
    const chans = [g, g + 1].filter((c) => c < q);
    if (g === 0) {
      for (let i = 0; i < 4; i++) ops.push(load(X[i]!, 'r0', cur.x + 4 * i));
      if (merged) accs.forEach((a, i) => ops.push(load(a, 'r1', cur.w + 8 + 4 * i)));
    }
    for (const c of chans) { const [wa, wb] = WREG[c % 2]!; ops.push(load(wa, 'r1', wAt(c)), load(wb, 'r1', wAt(c) + 4)); }
    for (const c of chans) {
      const [wa, wb] = WREG[c % 2]!, a = accs[c]!;
      ops.push(smlad(a, wa, X[0]!), sxtb16(wa), smlad(a, wa, X[1]!), smlad(a, wb, X[2]!), sxtb16(wb), smlad(a, wb, X[3]!));
    }
  }
  cur.x += 16;
  cur.w += 8 * q + (merged ? 4 * q : 0);
  return ops;
}

/**
 * List schedule for the Cortex-M7 model: in dependence order (register RAW, WAR, WAW; the MACs of one
 * accumulator in any order), each cycle's first
 * operation the earliest ready MAC that does not use the load just issued (else the earliest ready other
 * operation), its second the earliest ready operation it can dual-issue with (not two loads, not two MACs,
 * independent of the first).
 */
function scheduleM7(ops: AsmOp[]): AsmOp[] {
  const n = ops.length;
  // MACs into one accumulator commute (int32 sums wrap alike in any order): the accumulator orders none of them.
  const deps = ops.map((o, j) => ops.slice(0, j).flatMap((p, i) => {
    const acc = o.kind === 'mac' && p.kind === 'mac' ? o.def & p.def : 0;
    return (o.use & p.def & ~acc) || (o.def & (p.use | p.def) & ~acc) ? [i] : [];
  }));
  const done = new Array<boolean>(n).fill(false);
  const out: AsmOp[] = [];
  const ready = (j: number) => !done[j] && deps[j]!.every((i) => done[i]);
  const stalls = (o: AsmOp, prev: AsmOp | undefined) => prev !== undefined && prev.kind === 'load' && o.kind !== 'alu' && (o.use & prev.def) !== 0;
  const first = (want: (o: AsmOp) => boolean) => { for (let j = 0; j < n; j++) if (ready(j) && want(ops[j]!)) return j; return -1; };
  while (out.length < n) {
    const prev = out[out.length - 1];
    let a = first((o) => o.kind === 'mac' && !stalls(o, prev));
    if (a < 0) a = first((o) => !stalls(o, prev));
    if (a < 0) a = first(() => true);
    done[a] = true;
    const A = ops[a]!;
    out.push(A);
    // The second reads its operands at issue with the first: a write-after-read on the first does not hold it.
    const b = first((B) => !(B.use & A.def) && !(B.def & A.def) && !(A.kind === 'load' && B.kind === 'load') && !(A.kind === 'mac' && B.kind === 'mac'));
    if (b >= 0) { done[b] = true; out.push(ops[b]!); }
  }
  return out;
}

/** Moves the pointers by the cursor (tmp may be clobbered) and resets it. */
function flush(cur: PairCursor, addImm: (dst: string, src: string, imm: number, tmp: string) => string[], tmp: string): string[] {
  const L = [...addImm('r0', 'r0', cur.x, tmp), ...addImm('r1', 'r1', cur.w, tmp)];
  cur.x = 0; cur.w = 0;
  return L;
}

/**
 * Instructions of a run of reduction steps (`firstMerged`: the run's first step carries the accumulator
 * starts), ending with the pointers moved past it; `skip(k)`: input bytes to skip after step k (a kernel
 * row's end). tmp: a register free after the run (the weight words').
 */
export function pairWordRun(order: WordOrder, accs: string[], steps: number, firstMerged: boolean, skip: (k: number) => number,
  addImm: (dst: string, src: string, imm: number, tmp: string) => string[]): string[] {
  const L: string[] = [];
  const cur: PairCursor = { x: 0, w: 0 };
  let ops: AsmOp[] = [];
  const emit = () => { L.push(...(order === 'interleaved' ? scheduleM7(ops) : ops).map((o) => o.text)); ops = []; };
  for (let k = 0; k < steps; k++) {
    if (cur.x + 16 > MAX_OFFSET || cur.w + 12 * accs.length > MAX_OFFSET) { emit(); L.push(...flush(cur, addImm, 'r6')); }
    ops.push(...stepOps(accs, cur, firstMerged && k === 0));
    cur.x += skip(k);
  }
  emit();
  L.push(...flush(cur, addImm, 'r6'));
  return L;
}
