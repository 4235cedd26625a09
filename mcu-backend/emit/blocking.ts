// Analytic register blocking for the int16 SMLAD inner products of the fast Cortex-M4 kernels (the MEMA
// idea: derive the schedule from the register budget and the layer's shape instead of searching by
// running code). A block computes P output pixels x Q output channels; each step of the reduction loads
// operand words of W halfword pairs (W = 1: LDR, W = 2: LDRD) for every pixel and every channel and issues
// W*P*Q SMLADs (2*W*P*Q MACs). One operand side is held in registers for the whole step ("weights held":
// Q*W weight words + W input words live; "inputs held": the converse), so the register demand is
//   P*Q accumulators + W*max-side + W streamed words + 2 pointers  <= the budget (14 on Armv7-M: r0-r12, lr).
// For each (W, Q, order) the largest P that fits follows in closed form; the layer's row length and
// channel count cap P and Q, and partial blocks at the row / channel ends are counted exactly. The choice
// minimises load instructions per MAC, ties broken by estimated instructions per MAC.

export type HeldSide = 'weights' | 'inputs';

export interface Blocking {
  pixels: number;
  channels: number;
  /** Words per operand load: 1 = LDR, 2 = LDRD. */
  width: 1 | 2;
  held: HeldSide;
  registers: number;
  /** Whole-layer estimates for the inner products plus the per-block and per-output overheads. */
  loadsPerMac: number;
  wordsPerMac: number;
  instructionsPerMac: number;
}

export interface ConvShape {
  /** Output pixels that one block may span (a row, or the whole image for a flattened 1x1 conv). */
  rowPixels: number;
  /** Number of such rows. */
  rows: number;
  /** Output channels per group and number of groups. */
  channelsPerGroup: number;
  groups: number;
  /** Reduction length per output in stored values (padded to whole words). */
  reduction: number;
  /** Values per 32-bit word: 2 for int16 SMLAD kernels, 4 for int8 USADA8 (add convolution). Default 2. */
  lanes?: number;
  /** Largest P the generator can address (immediate-offset range); default unlimited. */
  maxPixels?: number;
}

export const ARMV7M_REGISTERS = 14;
/** Per output: smmlar, sub, ssat, strb. Per block: bias, M, C, channel index per channel + input offset, ~8 call/loop. */
export const REQUANT_PER_OUTPUT = 4;
const PARAM_LOADS_PER_CHANNEL = 4;
const BLOCK_OVERHEAD = 9;

export function registersNeeded(P: number, Q: number, W: number, held: HeldSide): number {
  return P * Q + W * (held === 'weights' ? Q : P) + W + 2;
}

/** Exact layer totals for one blocking (partial blocks at row and channel ends included). */
export function blockingCost(s: ConvShape, P: number, Q: number, W: 1 | 2): { operandLoads: number; paramLoads: number; instructions: number; macs: number } {
  const steps = s.reduction / ((s.lanes ?? 2) * W);
  let operandLoads = 0, paramLoads = 0, instructions = 0, macs = 0;
  for (const [p, np] of splits(s.rowPixels, P)) for (const [q, nq] of splits(s.channelsPerGroup, Q)) {
    const n = np * nq * s.rows * s.groups;
    operandLoads += n * steps * (p + q);
    paramLoads += n * (PARAM_LOADS_PER_CHANNEL * q + 1);
    instructions += n * (steps * (p + q + W * p * q) + PARAM_LOADS_PER_CHANNEL * q + 1 + REQUANT_PER_OUTPUT * p * q + q + BLOCK_OVERHEAD);
    macs += n * p * q * s.reduction; // stored values, padding included
  }
  return { operandLoads, paramLoads, instructions, macs };
}

/** [block size, count] pairs covering n with blocks of b: the full blocks and the remainder. */
function splits(n: number, b: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (Math.floor(n / b) > 0) out.push([b, Math.floor(n / b)]);
  if (n % b) out.push([n % b, 1]);
  return out;
}

export function evaluateBlocking(s: ConvShape, P: number, Q: number, W: 1 | 2, held: HeldSide): Blocking {
  const c = blockingCost(s, P, Q, W);
  return { pixels: P, channels: Q, width: W, held, registers: registersNeeded(P, Q, W, held),
    loadsPerMac: (c.operandLoads + c.paramLoads) / c.macs, wordsPerMac: (c.operandLoads * W + c.paramLoads) / c.macs,
    instructionsPerMac: c.instructions / c.macs };
}

function better(a: Blocking, b: Blocking | undefined): boolean {
  if (!b) return true;
  const eps = 1e-12;
  if (Math.abs(a.loadsPerMac - b.loadsPerMac) > eps) return a.loadsPerMac < b.loadsPerMac;
  if (Math.abs(a.instructionsPerMac - b.instructionsPerMac) > eps) return a.instructionsPerMac < b.instructionsPerMac;
  return a.registers < b.registers;
}

/**
 * The analytic choice. For fixed (W, held side, Q) every cost term either does not depend on P or grows
 * with the number of pixel blocks ceil(rowPixels / P), so the best P is the largest that fits:
 *   P = min(rowPixels, floor((R - W - 2 - [held = weights] * W * Q) / (Q + [held = inputs] * W))).
 * Only Q, W and the held side are enumerated (a few dozen closed-form evaluations).
 * `widths` restricts the load widths a generator supports.
 */
export function chooseBlocking(s: ConvShape, registers = ARMV7M_REGISTERS, widths: ReadonlyArray<1 | 2> = [1, 2]): Blocking {
  let best: Blocking | undefined;
  for (const W of widths) {
    if (s.reduction % ((s.lanes ?? 2) * W)) continue;
    for (const held of ['weights', 'inputs'] as const) {
      for (let Q = 1; Q <= s.channelsPerGroup; Q++) {
        const fixed = W + 2 + (held === 'weights' ? W * Q : 0);
        const perP = Q + (held === 'inputs' ? W : 0);
        const P = Math.min(s.rowPixels, s.maxPixels ?? Infinity, Math.floor((registers - fixed) / perP));
        if (P < 1) break;
        const b = evaluateBlocking(s, P, Q, W, held);
        if (better(b, best)) best = b;
      }
    }
  }
  if (!best) throw new Error(`no register blocking fits ${registers} registers for reduction ${s.reduction}`);
  return best;
}
