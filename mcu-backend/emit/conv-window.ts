// Windowed fast conv2d / pointwise / fully connected for Cortex-M4 (Armv7E-M DSP), working memory
// bounded by the kernel window instead of the tensor. The int8 NHWC input is widened to int16 (input
// offset folded in with SXTAB16 against the replicated offset, channels padded to a multiple of 4 and
// stored c0,c2,c1,c3 per group of four, zero padding) only for the rows the current output row reads:
// a window of (kH - 1) * dilationH + 1 padded rows in scratch that slides down by strideH rows per output
// row (memmove of the kept rows, widening of the new ones). A 1x1 stride-1 unpadded convolution (and a
// fully connected layer, a 1x1 convolution over its batch rows) widens chunks of pixels instead. The
// register-blocked inner products come from dot-blocks.ts (emitBlockFn), called once per output row or
// chunk. Packed rows (few input channels, a first layer) may instead be gathered into columns (LDM / STMIA
// per kernel row on the M4) for the LDM blocks of ldm-blocks.ts. Weights either:
//   - int16 (`weights: 'int16'`): pre-scaled by 2^(left+1) for the 4-instruction requantisation
//     (requant.ts), one LDRD per 4 weights; twice the int8 flash, the fastest;
//   - int8 (`weights: 'int8'`): the flash layout is the int8 weights in consumption order, natural channel
//     order within each word, so one LDR + SXTB16 + SXTB16 ROR #8 gives the two int16 pairs matching the
//     widened input words (the widening is amortised over the P pixels of the register block); the factor 2
//     of the requantisation rides on the widened input (2 * (x + offset), a second SXTAB16) and a left
//     shift, if any, on the accumulator.
//   - int8 in the pair encoding (`weights: 'int8p'`, ldm-blocks.ts header): the LDM blocks of the int16 form
//     with int8 weights in flash (2 words per channel and 8-value step, one SXTB16 per word), the input
//     widened to (A, B) words in natural channel order (A = odd positions - 127, B = 256 * even - A; padding
//     holds the zero point's words), the input offset folded into the accumulator start: the int16 form's
//     modelled M4 cycles in the reduction at half its weight flash. Double rounding, contiguous rows of
//     whole 8-value steps, channels a multiple of 4, |acc| < 2^23 and pair-encodable weights.
// Modal forms (variant.ts KernelModes): output rows [oy0, oy1) (the window is refilled at oy0) and output
// channel slices [c0, c0 + width) (channel blocks are formed per slice), both with the scratch pointer
// last, so the kernel composes with row in-place and channel-split execution (memory/inplace.ts,
// partial.ts). The plain kernel reads input row iy only when it enters the window; when every output row
// it writes lies over input rows already widened (`overlaySafe`; always for pointwise chunks, which go
// backwards when the output grows), the output may overlay the input whole with no delay buffer: the input
// buffer is overwritten once consumed.

import type { KConv2d, KFullyConnected, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { ARMV7M_REGISTERS, chooseBlocking, evaluateBlocking, type Blocking, type ConvShape } from './blocking.ts';
import { emitBlockFn, MAX_UNROLLED_STEPS, packWords, reductionLoop, reductionSteps, type DotGeometry, type DotSpec } from './dot-blocks.ts';
import { cIdent, constById, type FastResult } from './fast-kernel.ts';
import { channelAt } from './prepass.ts';
import { accRangeOf, constantOutput, maxAbsInput, planRequant, type ChannelRequant } from './requant.ts';
import { emitLdmBlockFn, emitPixelMajorFn, LDM_Q, ldmBlockInstructions, ldmBlockWords, ldmGeometry, pairWord, pixelMajorInstructions, pixelMajorWords, type LdmGeometry } from './ldm-blocks.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';
import type { WordOrder } from './word-steps.ts';
import type { ModalForm } from './variant.ts';

export type WeightForm = 'int16' | 'int8' | 'int8p';

/** A fully connected layer as the 1x1 convolution over its batch rows that the windowed kernel runs. */
export function fcAsConv(op: KFullyConnected): KConv2d {
  return {
    index: op.index, sourceOp: op.sourceOp, name: op.name, inputs: op.inputs, output: op.output, macs: op.macs, schedule: op.schedule,
    kind: 'conv2d', batches: 1, inH: 1, inW: op.batches, inC: op.inDepth, outH: 1, outW: op.batches, outC: op.outDepth,
    kH: 1, kW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
    inputOffset: op.inputOffset, outputOffset: op.outputOffset, requant: op.requant, rounding: op.rounding, actMin: op.actMin, actMax: op.actMax,
    groups: 1, weights: op.weights, bias: op.bias,
  };
}

/** Bytes of widened input a pointwise chunk may take (the window of a 1x1 / FC kernel). */
const CHUNK_BYTES = 2048;
/** Bytes of gathered columns a packed-row plan may take at least, beyond its window. */
const COL_BYTES = 1024;

export interface WindowPlan {
  flat: boolean;
  /** Rows hold inC values per pixel in natural order (no padding to 4, no c0,c2,c1,c3 order). */
  packed: boolean;
  /** Padded width and stored channels per pixel of the widened buffer. */
  bufW: number; bufC: number;
  /** Rows of the window (non-flat) and pixels of a chunk (flat). */
  windowRows: number; chunk: number;
  geom: DotGeometry;
  shape: ConvShape;
  registers: number;
  blocking: Blocking;
  /** int16 weights, double rounding, contiguous rows of whole 8-value steps: the LDM blocks of ldm-blocks.ts (1 pixel x 4 channels). */
  ldm?: LdmGeometry;
  /**
   * Packed rows with int16 weights: each output pixel's kH runs of kW * inC values (each padded to an even
   * count, Lp) are gathered from the window into a column of K8 values (kH * Lp padded to a multiple of 8),
   * `chunk` pixels at a time, after the window in scratch; the LDM blocks then run over the columns.
   */
  col?: { Lp: number; K8: number; chunk: number; windowBytes: number };
  scratchBytes: number;
}

/**
 * Reduction steps unrolled at most: 64 for a spatial kernel (a 3x3 over 16 channels stays unrolled, all
 * 14 registers for the blocking), 16 for a 1x1 / FC reduction (looped in chunks of 8-16 steps: the loop costs
 * little next to 8 channels' MACs, while fully unrolled long FC rows made code of 30-40 KB that host gcc
 * needed minutes to compile).
 */
function unrollLimit(op: KConv2d, weights: WeightForm): number { return op.kH * op.kW === 1 || weights === 'int8p' ? 16 : MAX_UNROLLED_STEPS; }

function isFlat(op: KConv2d): boolean {
  return op.kH === 1 && op.kW === 1 && op.strideH === 1 && op.strideW === 1 && op.padTop === 0 && op.padLeft === 0 &&
    op.padBottom === 0 && op.padRight === 0 && op.outH === op.inH && op.outW === op.inW;
}

/**
 * Score of a blocking: estimated instructions per MAC, plus the in-register weight widening per word per
 * block of P pixels (int8: 2 SXTB16, int8p: 1).
 */
function score(b: Blocking, weights: WeightForm): number { return b.instructionsPerMac + (weights === 'int8' ? 1 / (2 * b.pixels) : weights === 'int8p' ? 1 / (4 * b.pixels) : 0); }

/**
 * int8p picks its blocking by modelled M4 cycles rather than instructions: beyond one cycle per instruction,
 * an LDRD of a pixel's (A, B) words costs 2 more (3 cycles, TRM), a weight LDR about 0.5 more (pipelined
 * after another load or not). P = 3 x Q = 2 then beats 8 x 1 (1.08 against 1.33 cycles per MAC in the
 * reduction) for about the same instructions.
 */
function cycleScore(b: Blocking): number { return score(b, 'int8p') + 1 / (2 * b.channels) + 1 / (8 * b.pixels); }

/**
 * The int16 dot blocks (window-dot variants): where the instruction count picks a held-weight blocking, the
 * held-weight blocking with the fewest modelled M4 cycles instead. Such a block issues each LDRD step as two
 * word steps of single LDRs (word-steps.ts), one more instruction per LDRD, and each group of loads after
 * MACs costs a cycle more (LDR 2, then 1 pipelined; groups as wordStepLines forms them). P = 3 x Q = 2 then
 * beats 8 x 1 on a 1x1 over 16 channels (1.0 against 1.25 cycles per MAC in the reduction), where the
 * instruction count preferred 8 x 1. (Held-input blockings keep their LDRD steps and the instruction
 * count's choice: measured faster on resnet's 3x3 layers over 32 and 64 channels.)
 */
function dotCycleScore(b: Blocking): number {
  const { pixels: P, channels: Q } = b, macs = 4 * P * Q; // MACs per LDRD step
  const free = 12 - P * Q;
  const groups = P + Q <= free || Math.min(P, Q) + 1 > free ? 1 : Math.ceil(Math.max(P, Q) / (free - Math.min(P, Q)));
  return b.instructionsPerMac + (P + Q + 2 * groups) / macs;
}

function pickBlocking(shape: ConvShape, registers: number, weights: WeightForm, blocks: WindowBlocks = 'ldm'): Blocking {
  if (weights === 'int16' && blocks === 'dot') {
    let best = chooseBlocking(shape, registers, [2]);
    if (best.held === 'inputs') return best;
    for (let Q = 1; Q <= shape.channelsPerGroup; Q++) {
      const P = Math.min(shape.rowPixels, shape.maxPixels ?? Infinity, Math.floor((registers - 4 - 2 * Q) / Q));
      if (P < 1) break;
      const b = evaluateBlocking(shape, P, Q, 2, 'weights');
      if (dotCycleScore(b) < dotCycleScore(best) - 1e-12) best = b;
    }
    return best;
  }
  // int8 weights: the in-register widening favours more pixels per block (measured: 3x3 16x16x16, 8 px x 1 ch
  // 0.946 instructions/MAC against 1.011 for 3 px x 2 ch).
  if (weights === 'int16') return chooseBlocking(shape, registers, [2]);
  let best: Blocking | undefined;
  for (const held of ['weights', 'inputs'] as const) for (let Q = 1; Q <= Math.min(shape.channelsPerGroup, 8); Q++) {
    const fixed = 4 + (held === 'weights' ? 2 * Q : 0), perP = Q + (held === 'inputs' ? 2 : 0);
    const P = Math.min(shape.rowPixels, shape.maxPixels ?? Infinity, Math.floor((registers - fixed) / perP));
    if (P < 1) continue;
    const b = evaluateBlocking(shape, P, Q, 2, held);
    const sc = weights === 'int8p' ? cycleScore : (x: Blocking) => score(x, weights);
    if (!best || sc(b) < sc(best) - 1e-12) best = b;
  }
  if (!best) throw new Error(`no register blocking fits ${registers} registers`);
  return best;
}

/**
 * Inner blocks of the int16 form: 'ldm' (default) takes the LDM blocks of ldm-blocks.ts where they apply;
 * 'dot' keeps the register blocking of dot-blocks.ts (each weight word shared by the block's pixels), the
 * conv2d.window-dot-m4 variant (window-dot.ts).
 */
export type WindowBlocks = 'ldm' | 'dot';

export function planWindow(op: KConv2d, weights: WeightForm, mode?: ModalForm, blocks: WindowBlocks = 'ldm'): WindowPlan | { reason: string } {
  if (op.batches !== 1) return { reason: 'batches > 1' };
  const groups = op.groups;
  const Ig = op.inC / groups;
  if (groups > 1 && Ig % 4 !== 0) return { reason: `grouped conv with ${Ig} input channels per group (needs a multiple of 4)` };
  if (groups > 1 && mode) return { reason: 'modal form of a grouped conv' };
  if (mode && mode.inStride !== op.inC) return { reason: 'modal form needs the whole input' };
  if (mode && op.outC % mode.width !== 0) return { reason: `slice width ${mode.width} does not divide ${op.outC} channels` };
  const flat = isFlat(op);
  // Packed rows (few input channels, e.g. a first layer): channels not padded to 4, natural order, a kernel
  // row's run of kW * inC values read by LDRDs that may straddle pixels (weights 0 past the run); needs
  // word-aligned pixel starts (strideW * inC even).
  const packed = !flat && groups === 1 && op.dilationW === 1 && op.inC % 4 !== 0 && (op.strideW * op.inC) % 2 === 0;
  if (weights === 'int8p') {
    if (op.rounding === 'single') return { reason: 'int8p weights need double rounding' };
    if (groups !== 1 || op.inC % 4 !== 0) return { reason: `int8p weights need one group and channels a multiple of 4 (${op.inC} / ${groups})` };
  }
  const bufC = groups > 1 || packed ? op.inC : Math.ceil(op.inC / 4) * 4;
  const inPerGroup = groups > 1 ? Ig : bufC;
  const needW = (op.outW - 1) * op.strideW + (op.kW - 1) * op.dilationW + 1;
  let bufW = flat ? op.inW : Math.max(op.padLeft + op.inW, needW);
  if (packed) while ((bufW * bufC) % 4) bufW++; // rows of whole LDRD pairs
  const windowRows = flat ? 1 : (op.kH - 1) * op.dilationH + 1;
  const contiguous = groups === 1 && op.dilationW === 1;
  const steps = contiguous ? op.kH * Math.ceil(op.kW * bufC / 4) : op.kH * op.kW * inPerGroup / 4;
  const outStride = mode ? mode.outStride : op.outC;
  const geomOf = (rowPixels: number): DotGeometry => ({
    bufW, bufC, rows: 1, rowPixels, rowStep: 0, pixelStep: (flat ? 1 : op.strideW) * bufC,
    kH: op.kH, kW: op.kW, kRowStep: op.dilationH * bufW * bufC, kColStep: op.dilationW * bufC,
    groups, inPerGroup, outPerGroup: op.outC / groups, outC: outStride, outRowStep: op.outW * outStride,
  });
  let geom = geomOf(flat ? op.outH * op.outW : op.outW);
  const limit = unrollLimit(op, weights);
  const rowLoop = steps > limit;
  if (rowLoop && !reductionLoop(geom, steps, 8, limit, 16)) return { reason: `reduction of ${steps} LDRD steps is too long to unroll and not loopable` };
  const registers = ARMV7M_REGISTERS; // a reduction loop keeps its end in a stack slot (dot-blocks.ts)
  const shapeOf = (g: DotGeometry): ConvShape => ({ rowPixels: g.rowPixels, rows: flat ? 1 : op.outH, channelsPerGroup: mode ? mode.width : g.outPerGroup,
    groups: mode ? op.outC / mode.width : groups, reduction: steps * 4, lanes: 2, maxPixels: Math.floor(1016 / (g.pixelStep * 2)) + 1 });
  let shape = shapeOf(geom);
  const blocking = pickBlocking(shape, registers, weights, blocks);
  const lg = weights !== 'int8' && op.rounding !== 'single' && blocks === 'ldm' ? ldmGeometry(geom, packed, op.dilationW) : undefined;
  let ldm = lg && !('reason' in lg) ? { ...lg, ...(weights === 'int8p' ? { pair: true } : {}) } : undefined;
  const planOf = (ldm: LdmGeometry | undefined): WindowPlan => {
    let chunk = 1, g = geom, sh = shape;
    if (flat) {
      // Chunks of whole register blocks, about CHUNK_BYTES of widened input.
      const P = ldm ? 1 : blocking.pixels;
      chunk = Math.min(op.outH * op.outW, Math.max(P, Math.floor(CHUNK_BYTES / (bufC * 2) / P) * P));
      g = geomOf(chunk);
      sh = { ...shapeOf(geomOf(op.outH * op.outW)) };
    }
    // Packed rows: the last LDRD of the window's last row may read up to 3 values past it (times weight 0).
    const scratchBytes = Math.ceil((flat ? chunk : windowRows * bufW) * bufC * 2 / 8) * 8 + (packed ? 8 : 0);
    return { flat, packed, bufW, bufC, windowRows, chunk, geom: g, shape: sh, registers, blocking, ...(ldm ? { ldm } : {}), scratchBytes };
  };
  // int8p: the register blocking of dot-blocks.ts where P > 1 pixels share each weight word and its SXTB16
  // (fewer cycles: 1.08 per MAC at 3 x 2 against 1.28 for the LDM blocks), the LDM blocks (fewer
  // instructions) where a block has one pixel (fully connected layers).
  if (weights === 'int8p' && ldm && blocking.pixels > 1) ldm = undefined;
  // A 1x1 over 8 (widened) input channels in the plain form: the pixel-major LDM form (ldm-blocks.ts).
  if (ldm && !ldm.pair && flat && !mode && groups === 1 && bufC === 8 && ldm.rows === 1 && ldm.steps === 1 && op.outC <= 64) ldm = { ...ldm, pixelMajor: true };
  const base = planOf(ldm);
  const scratchBytes = base.scratchBytes;
  if (packed && weights === 'int16' && op.rounding !== 'single' && blocks === 'ldm') {
    // Columns for the LDM blocks, when the estimate says they pay (kws's and vww's first layers).
    const L = op.kW * op.inC, Lp = L + (L % 2), K8 = Math.ceil(op.kH * Lp / 8) * 8;
    if (K8 / 8 <= 32) {
      // Pixels per column chunk: the window's 2 KB or at least 1 KB of columns (vww's first layer, window
      // 1.8 KB: 16 pixels, not 4; a call per chunk and block costs about 25 instructions).
      const n = Math.min(op.outW, Math.max(4, Math.floor(Math.max(COL_BYTES, 2048 - scratchBytes) / (K8 * 2))));
      const outStride = mode ? mode.outStride : op.outC;
      const colPlan: WindowPlan = { ...base, col: { Lp, K8, chunk: n, windowBytes: scratchBytes }, scratchBytes: scratchBytes + n * K8 * 2,
        ldm: { rows: 1, ...colSteps(op.kH * Lp / 2, K8), rowBytes: 0, pixelBytes: K8 * 2, outPixel: outStride, loop: { kind: 'none' } } };
      if (estimateWindow(op, colPlan, weights) < estimateWindow(op, base, weights)) return colPlan;
    }
  }
  return base;
}

/**
 * The LDM steps over a column of `words` gathered words (K8 / 2 stored, zeros after them): whole 8-value
 * steps and a partial last step of the remaining 1-3 words (vww's first layer: 15 words, 3 steps + 3 words,
 * 4 instructions less per block and pixel than a fourth whole step over the zero padding).
 */
function colSteps(words: number, K8: number): { steps: number; tail?: number } {
  const steps = Math.floor(words / 4), tail = words % 4;
  return steps >= 1 && tail ? { steps, tail } : { steps: K8 / 8 };
}

/**
 * Whether the plain kernel may write its output over its input (same start address): every output row
 * (chunk) it writes lies over input bytes already widened into the window.
 */
export function overlaySafe(op: KConv2d): boolean {
  if (op.batches !== 1) return false;
  const inRow = op.inW * op.inC, outRow = op.outW * op.outC;
  // Pointwise chunks: forward when the output shrinks, from the last chunk backwards when it grows.
  if (isFlat(op)) return true;
  const rows = (op.kH - 1) * op.dilationH + 1, S = op.strideH;
  for (let oy = 0; oy + 1 < op.outH; oy++) {
    // The first input row read after output row oy is written: the first new row of the next window.
    const next = Math.max(0, (oy + 1) * S - op.padTop + Math.max(rows - S, 0));
    if (next < op.inH && (oy + 1) * outRow > next * inRow) return false;
  }
  return true;
}

/** Instructions of the whole call, from the blocking model plus widening, sliding and (int8) weight widening. */
export function estimateWindow(op: KConv2d, p: WindowPlan, weights: WeightForm): number {
  const ev = evaluateBlocking(p.shape, p.blocking.pixels, p.blocking.channels, p.blocking.width, p.blocking.held);
  const macs = op.outH * op.outW * op.outC * p.shape.reduction;
  let inner = score(ev, weights) * macs;
  if (p.ldm) {
    // Per call (an output row or a chunk), per channel block: the LDM block over the call's pixels.
    const pixels = op.outH * op.outW, calls = p.flat ? Math.ceil(pixels / p.chunk) : p.col ? op.outH * Math.ceil(op.outW / p.col.chunk) : op.outH;
    const full = Math.floor(op.outC / LDM_Q), tail = op.outC % LDM_Q, per = pixels / calls;
    inner = p.ldm.pixelMajor ? calls * (25 + pixelMajorInstructions(op.outC, per, op))
      : calls * (25 * (tail ? 2 : 1) + full * ldmBlockInstructions(p.ldm, LDM_Q, per, 4) + (tail ? ldmBlockInstructions(p.ldm, tail, per, 4) : 0));
    // Gathering the columns (colGatherAsm): per kernel row an ADDW, LDM and STMIA per 8 words of its run,
    // a store per zero word, 3 for the loop; the call's setup.
    if (p.col) {
      const words = p.col.Lp / 2;
      inner += pixels * (op.kH * Math.ceil(words / 8) * 3 - 1 + (p.col.K8 / 2 - op.kH * words) + 3) + calls * 25;
    }
  }
  const widened = p.flat ? op.outH * op.outW * p.bufC : op.outH * Math.min(p.windowRows, op.strideH) * p.bufW * p.bufC;
  const moved = p.flat ? 0 : op.outH * Math.max(0, p.windowRows - op.strideH) * p.bufW * p.bufC / 2 * 0.4;
  return Math.round(inner + (weights === 'int8p' ? 1.05 : 0.9) * widened + moved + op.outH * 40);
}

export function emitConvWindow(op: KConv2d, m: Pick<KernelModule, 'consts'>, opts: { fn?: string; weights?: WeightForm; mode?: ModalForm; blocks?: WindowBlocks; order?: WordOrder } = {}): FastResult {
  const weights = opts.weights ?? 'int16';
  const w8 = weights === 'int8';
  const pair = weights === 'int8p';
  const plan = planWindow(op, weights, opts.mode, opts.blocks);
  if ('reason' in plan) return { ok: false, reason: plan.reason };
  const wc = constById(m, op.weights).data;
  const bias = constById(m, op.bias).data;
  const Ig = op.inC / op.groups;
  const perOut = op.kH * op.kW * Ig;
  const xMax = maxAbsInput(op.inputOffset);
  const rp = planRequant(op, op.outC,
    (c) => { let s = Math.abs(bias[c]!); for (let i = 0; i < perOut; i++) s += Math.abs(wc[c * perOut + i]!) * xMax; return s; },
    // int8 weights are stored unscaled: only the int16 form needs them to fit after scaling.
    (c) => { if (w8 || pair) return 0; let s = 0; for (let i = 0; i < perOut; i++) s = Math.max(s, Math.abs(wc[c * perOut + i]!)); return s; },
    (c) => accRangeOf(bias[c]!, wc, op.inputOffset, c * perOut, perOut));
  if (!rp.ok) return { ok: false, reason: rp.reason };
  if (pair) { const why = pairCheck(op, wc, bias, rp.channels); if (why) return { ok: false, reason: why }; }
  const name = opts.fn ?? cIdent(`tf_convw_${op.index}_${op.name}`);
  const g = plan.geom;
  const bl = plan.blocking;
  const ch = rp.channels;
  const spec: DotSpec = {
    name, kind: 'smlad', geom: g, blocking: bl, rq: op, requant: ch, singleRounding: op.rounding === 'single', weightBytes: w8 || pair ? 1 : 2, pair,
    ...(opts.order && weights === 'int16' ? { wordOrder: opts.order } : {}),
    weight: (oc, ky, kx, pos) => {
      const ic = plan.packed || pair ? pos : channelAt(pos);
      if (ic >= Ig || kx >= op.kW || ch[oc]!.constant !== undefined) return 0;
      const w = wc[((oc * op.kH + ky) * op.kW + kx) * Ig + ic]!;
      return w8 || pair ? w : w * ch[oc]!.wScale;
    },
    // int8: the input carries the factor 2, the accumulator the left shift. int8p: 256 x (bias + the input
    // offset and the odd positions' 127 folded in), see pairStart.
    start: (oc) => (ch[oc]!.constant !== undefined ? 0 : pair ? pairStart(op, wc, bias, oc) : w8 ? bias[oc]! * 2 : bias[oc]! * ch[oc]!.wScale),
  };
  // int8: left shift of the accumulator; int8p: right shift from 256 x to 2^(left+1) x (negative: left shift).
  const accShift = (oc: number) => (ch[oc]!.constant !== undefined ? 0 : w8 ? Math.log2(ch[oc]!.wScale) - 1 : pair ? 8 - Math.log2(ch[oc]!.wScale) : 0);

  // Channel blocks: per unit (a group, or a slice of the modal form), channels sorted by shift, chunked by Q.
  const ldm = plan.ldm;
  const Q = ldm ? LDM_Q : bl.channels;
  const steps = reductionSteps(g, 4);
  // SSAT takes its shift as an immediate: a block function per tuple of shifts. When the channels' shifts
  // vary (more than two tuples), one function reads the shift from the table instead (asr by register,
  // one more instruction per output): far less code.
  const immKey = (c: number) => String(spec.singleRounding ? ch[c]!.shift : ch[c]!.e);
  const tuples = new Set<string>();
  { const sorted = Array.from({ length: op.outC }, (_, i) => i).sort((a, b) => ch[a]!.e - ch[b]!.e || a - b);
    for (let i = 0; i < sorted.length; i += Q) tuples.add(sorted.slice(i, i + Q).map(immKey).join('_')); }
  // Short reductions (1x1, FC over few inputs) keep the immediates: there the extra instruction per output
  // would cost more (1 per inC MACs) and the functions are small.
  const unrolledSteps = ldm ? (ldm.loop.kind === 'none' ? ldm.rows * ldm.steps : ldm.loop.kind === 'rows' ? ldm.steps : ldm.loop.U + ldm.steps % ldm.loop.U) * 2 : steps.length;
  // int8p (flash is its point): one block function per shift flag whenever the shifts vary, except over
  // short reductions (under 32 values), whose functions are small.
  const regShift = !spec.singleRounding && (pair ? tuples.size > 1 && steps.length >= 8 : tuples.size > 2 && unrolledSteps * tuples.size > 48);
  // int8p with the shift from the table: a constant channel (zero weights, M = 0, table shift 0) gives its
  // constant under any block function, so it takes the common one (shift flag set, pre-shift 7) and sorts last.
  const wild = (c: number) => pair && regShift && ch[c]!.constant !== undefined;
  const eFlag = (c: number) => (wild(c) ? 1 : ch[c]!.e > 0 ? 1 : 0);
  const preKey = (c: number) => (wild(c) ? 7 : accShift(c));
  const eKey = (c: number) => (regShift ? (eFlag(c) ? 'e' : '0') : immKey(c));
  const width = opts.mode ? opts.mode.width : op.outC / op.groups;
  const units = op.outC / width;
  const loop = reductionLoop(g, steps.length, 8, unrollLimit(op, weights), 16);
  const rowLoop = loop !== undefined;
  const biasInStream = !rowLoop;
  const wTab: number[] = [];
  const fns = new Map<string, { fn: string; q: number; es: number[]; ks: number[]; ss: number[]; sh: number[] }>();
  const ranges: Array<Array<{ key: string; off: number; count: number; per: number }>> = [];
  const pixelMajor = ldm?.pixelMajor === true;
  if (pixelMajor) {
    wTab.push(...pixelMajorWords(op.outC, (oc, v) => spec.weight(oc, 0, 0, v), spec.start, (oc) => ch[oc]!.M, (oc) => ch[oc]!.C));
    ranges.push([]);
  }
  for (let u = 0; u < (pixelMajor ? 0 : units); u++) {
    const order = (c: number) => (wild(c) ? Infinity : ch[c]!.e);
    const chans = Array.from({ length: width }, (_, i) => u * width + i).sort((a, b) => order(a) - order(b) || preKey(a) - preKey(b) || a - b);
    const byKey = new Map<string, number[][]>();
    for (let i = 0; i < chans.length; i += Q) {
      const blk = chans.slice(i, i + Q);
      const key = blk.map((c) => eKey(c) + ':' + preKey(c) + ':' + (pair ? '' : Math.log2(ch[c]!.wScale || 1))).join('_');
      (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(blk);
    }
    const list: Array<{ key: string; off: number; count: number; per: number }> = [];
    for (const [key, blocks] of byKey) {
      const off = wTab.length;
      if (ldm) for (const blk of blocks) {
        const bufC = g.bufC;
        const col = plan.col;
        const wv = col
          ? (oc: number, _ky: number, v: number) => { const ky = Math.floor(v / col.Lp), r = v % col.Lp; return ky < op.kH ? spec.weight(oc, ky, Math.floor(r / bufC), r % bufC) : 0; }
          : (oc: number, ky: number, v: number) => spec.weight(oc, ky, Math.floor(v / bufC), v % bufC);
        wTab.push(...ldmBlockWords(blk.length, ldm, wv, blk, spec.start,
          (oc) => [ch[oc]!.M, ch[oc]!.C, opts.mode ? oc - u * width : oc, ...(regShift ? [ch[oc]!.e] : [])]));
      }
      else for (const blk of blocks) {
        if (rowLoop) for (const oc of blk) wTab.push(spec.start(oc) >>> 0);
        steps.forEach((st, si) => {
          for (const oc of blk) {
            const vals = st.vals.map(([ky, kx, pos]) => spec.weight(oc, ky, kx, pos));
            // int8: bytes in natural channel order (stored positions 0,2,1,3).
            wTab.push(...(pair ? [pairWord(vals[0]!, vals[1]!, vals[2]!, vals[3]!)!] : w8 ? packWords([vals[0]!, vals[2]!, vals[1]!, vals[3]!], 'usada8') : packWords(vals, 'smlad')));
            if (si === 0 && biasInStream) wTab.push(spec.start(oc) >>> 0);
          }
        });
        for (const oc of blk) wTab.push(spec.start(oc) >>> 0);
        for (const oc of blk) wTab.push(ch[oc]!.M >>> 0);
        for (const oc of blk) wTab.push(ch[oc]!.C >>> 0);
        for (const oc of blk) wTab.push(opts.mode ? oc - u * width : oc); // output index (within the slice)
        if (regShift) for (const oc of blk) wTab.push(ch[oc]!.e);
        wTab.push(opts.mode ? 0 : Math.floor(blk[0]! / (op.outC / op.groups)) * g.inPerGroup);
      }
      list.push({ key, off, count: blocks.length, per: (wTab.length - off) / blocks.length });
      if (!fns.has(key)) {
        const b0 = blocks[0]!;
        fns.set(key, { fn: `${name}_b${fns.size}`, q: b0.length, es: b0.map((c) => (regShift ? eFlag(c) : ch[c]!.e)), ks: b0.map((c) => Math.log2(ch[c]!.wScale || 1)),
          ss: b0.map((c) => ch[c]!.shift), sh: b0.map(preKey) });
      }
    }
    ranges.push(list);
  }
  const P = ldm ? 1 : bl.pixels;
  // Tail block sizes: non-flat rows have a fixed remainder; chunks may end anywhere (P = 1 blocks walk it).
  const tails = plan.flat ? (P > 1 ? [1] : []) : (g.rowPixels % P ? [g.rowPixels % P] : []);
  const parts: string[] = pixelMajor ? [emitPixelMajorFn(`${name}_pm`, op.outC, ch.map((c) => c.e), op)] : [];
  for (const f of fns.values()) for (const p of [P, ...tails])
    parts.push(ldm ? emitLdmBlockFn(`${f.fn}_p${p}`, ldm, f.q, f.es, op, regShift, (plan.flat ? op.outH * op.outW : g.rowPixels) === 1, f.sh, pair ? opts.order : undefined)
      : emitBlockFn(spec, `${f.fn}_p${p}`, p, f.q, f.es, f.ks, f.ss, steps, loop, 'int16_t', biasInStream, pair ? f.sh.map((x) => -x) : f.sh, regShift));

  const drive = (list: typeof ranges[number], indent: string): string[] => list.flatMap((r) => {
    const f = fns.get(r.key)!;
    // LDM blocks: one call walks every block of the range (single group: input offset 0).
    if (ldm && plan.col) return [`${indent}${f.fn}_p1(col, W + ${r.off}, y + px0 * ${g.outC}, m, ${r.count});`];
    if (ldm) return [`${indent}${plan.flat ? 'if (n) ' : ''}${f.fn}_p1(s, W + ${r.off}, y, ${plan.flat ? 'n' : g.rowPixels}, ${r.count});`];
    const L = [`${indent}for (int b = 0; b < ${r.count}; b++) {`,
      `${indent}  const uint32_t *wb = W + ${r.off} + b * ${r.per}; const int16_t *in = s + wb[${r.per - 1}];`];
    if (plan.flat) {
      L.push(`${indent}  if (nb) ${f.fn}_p${P}(in, wb, y, nb);`);
      if (tails.length) L.push(`${indent}  if (rem) ${f.fn}_p1(in + ${P * g.pixelStep} * nb, wb, y + ${P * g.outC} * nb, rem);`);
    } else {
      const full = Math.floor(g.rowPixels / P), end = full * P;
      L.push(`${indent}  ${f.fn}_p${P}(in, wb, y, ${full});`);
      if (tails.length) L.push(`${indent}  ${f.fn}_p${tails[0]}(in + ${end * g.pixelStep}, wb, y + ${end * g.outC}, 1);`);
    }
    L.push(`${indent}}`);
    return L;
  });
  const dot = [`static void ${name}_dot(const int16_t *s, int8_t *y, int n, int sl) {`,
    `  const uint32_t *W = (const uint32_t *)tfk_hide(${name}_w);`,
    `  const int nb = n / ${P}, rem = n - nb * ${P}; (void)nb; (void)rem; (void)sl;`];
  const col = plan.col;
  if (col) {
    // Columns of `chunk` pixels after the window: gathered, then every channel block over them.
    dot.push(`  int16_t *col = (int16_t *)(uintptr_t)(s + ${col.windowBytes / 2});`,
      `  for (int px0 = 0; px0 < n; px0 += ${col.chunk}) {`,
      `    const int m = n - px0 < ${col.chunk} ? n - px0 : ${col.chunk};`,
      `    ${name}_col(s, col, px0, m);`);
  }
  const ind = col ? '    ' : '  ';
  if (pixelMajor) dot.push(`${ind}if (n) ${name}_pm(s, W, y, n);`);
  else if (!opts.mode || units === 1) for (const list of ranges) dot.push(...drive(list, ind));
  else {
    dot.push(`${ind}switch (sl) {`);
    ranges.forEach((list, u) => dot.push(`${ind}case ${u}: {`, ...drive(list, ind + '  '), `${ind}  break; }`));
    dot.push(`${ind}default: break;`, `${ind}}`);
  }
  if (col) dot.push(`  }`);
  dot.push(`}`);
  if (col) {
    // Per pixel, kernel row ky's run of Lp values (word aligned: strideW * inC and the row length are even)
    // into column values [ky * Lp, (ky + 1) * Lp); the padding up to K8 is zero.
    const words = col.Lp / 2, rowE = plan.bufW * plan.bufC, K8 = col.K8;
    const C: string[] = [`static void __attribute__((noinline)) ${name}_col(const int16_t *s, int16_t *col, int px0, int m) {`];
    const asm = colGatherAsm(op.kH, words, K8 / 2, op.dilationH * rowE * 2, op.strideW * op.inC * 2);
    if (asm) C.push(`#if defined(__ARM_FEATURE_DSP)`,
      `  uint32_t fr[3]; uint32_t *frp = fr;`,
      `  fr[0] = (uint32_t)(uintptr_t)(s + px0 * ${op.strideW * op.inC}); fr[1] = (uint32_t)(uintptr_t)col; fr[2] = (uint32_t)(uintptr_t)(col + m * ${K8});`,
      `  if (m > 0) __asm__ volatile(${asm} : : [fr] "r"(frp) : "cc", "memory");`,
      `#else`);
    C.push(`  for (int p = 0; p < m; p++) {`,
      `    const int16_t *src = s + (px0 + p) * ${op.strideW * op.inC}; uint32_t *d = (uint32_t *)(void *)(col + p * ${K8});`);
    for (let ky = 0; ky < op.kH; ky++) for (let w = 0; w < words; w++)
      C.push(`    d[${ky * words + w}] = (uint32_t)tfk_ld32(src + ${ky * op.dilationH * rowE + 2 * w});`);
    for (let w = op.kH * words; w < K8 / 2; w++) C.push(`    d[${w}] = 0;`);
    C.push(`  }`);
    if (asm) C.push(`#endif`);
    C.push(`}`);
    parts.push(C.join('\n'));
  }

  const widen = pair ? widenPairC(`${name}_wid`, op, plan) : widenC(`${name}_wid`, op, plan, w8);
  const inRow = op.inW * op.inC;
  const outPix = opts.mode ? opts.mode.outStride : op.outC;
  const rowE = plan.bufW * plan.bufC;
  const run: string[] = [`static void ${name}_run(const int8_t *in, int8_t *out, int oy0, int oy1, int sl, int16_t *s) {`];
  if (plan.flat) {
    // A growing output goes through the chunks from the last one back, so that it can overlay its input.
    run.push(`  const int start = oy0 * ${op.outW}, end = oy1 * ${op.outW};`,
      ...(op.outC > op.inC
        ? [`  for (int e = end; e > start; e -= ${plan.chunk}) {`,
          `    const int p = e - start < ${plan.chunk} ? start : e - ${plan.chunk}, n = e - p;`]
        : [`  for (int p = start; p < end; p += ${plan.chunk}) {`,
          `    const int n = end - p < ${plan.chunk} ? end - p : ${plan.chunk};`]),
      `    ${name}_wid(in + p * ${op.inC}, s, n);`,
      `    ${name}_dot(s, out + (p - start) * ${outPix}, n, sl);`,
      `  }`);
  } else {
    const R = plan.windowRows, S = op.strideH;
    run.push(`  for (int oy = oy0; oy < oy1; oy++) {`,
      `    const int iy0 = oy * ${S} - ${op.padTop};`,
      `    int r = 0;`);
    // Slide: the rows shared with the previous output row move up; only the new ones are widened.
    // (a forward copy of 16 bytes per step, LDRD/STRD through asm so gcc does not call memmove; on DSP
    // cores 32 bytes per step by LDM/STM of 8 registers where the rows are whole 32-byte steps: 1 + N
    // cycles each on the M4, 21 cycles per 32 bytes against 30 for four LDRD/STRD.)
    const slideVals = (R - S) * rowE;
    const ldrdSlide = slideVals % 8 === 0
      ? `      for (int i = 0; i < ${slideVals / 8}; i++) { uint32_t a0, a1, a2, a3; TFK_LDRD_POST(a0, a1, src); TFK_LDRD_POST(a2, a3, src); TFK_STRD_POST(a0, a1, dst); TFK_STRD_POST(a2, a3, dst); }`
      : `      for (int i = 0; i < ${slideVals / 4}; i++) { uint32_t a0, a1; TFK_LDRD_POST(a0, a1, src); TFK_STRD_POST(a0, a1, dst); }`;
    if (S < R) run.push(`    if (oy > oy0) {`,
      `      const int16_t *src = s + ${S * rowE}; int16_t *dst = s;`,
      ...(slideVals % 16 === 0
        ? [`#if defined(__ARM_FEATURE_DSP)`,
          `      { const int16_t *end = src + ${slideVals};`,
          `        __asm__ volatile("1:\\n\\tldmia %0!, {r4, r5, r6, r8, r9, r10, r11, r12}\\n\\tstmia %1!, {r4, r5, r6, r8, r9, r10, r11, r12}\\n\\tcmp %0, %2\\n\\tbne 1b"`,
          `          : "+r"(src), "+r"(dst) : "r"(end) : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "cc", "memory"); }`,
          `#else`, ldrdSlide, `#endif`]
        : [ldrdSlide]),
      `      r = ${R - S};`, `    }`);
    run.push(`    for (; r < ${R}; r++) { const int iy = iy0 + r; ${name}_wid(iy >= 0 && iy < ${op.inH} ? in + iy * ${inRow} : 0, s + r * ${rowE}, 0); }`,
      `    ${name}_dot(s, out + (oy - oy0) * ${op.outW * outPix}, ${op.outW}, sl);`,
      `  }`);
  }
  run.push(`}`);
  const entry = opts.mode
    ? [`static void ${name}(const int8_t *in, int8_t *out, int oy0, int oy1, int c0, int8_t *scratch) {`,
      `  ${name}_run(in, out, oy0, oy1, c0 / ${opts.mode.width}, (int16_t *)(void *)scratch);`, `}`]
    : [`static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`,
      `  ${name}_run(in, out, 0, ${op.outH}, 0, (int16_t *)(void *)scratch);`, `}`];
  const code = [SIMD_PRELUDE, widen, ...parts, ...dot, ...run, ...entry].join('\n');
  const data = `static const uint32_t ${name}_w[${wTab.length}] __attribute__((aligned(8))) = {${wTab.map((v) => v + 'u').join(',')}};`;
  const macs = op.outH * op.outW * op.outC * plan.shape.reduction;
  const ev = evaluateBlocking(plan.shape, bl.pixels, bl.channels, bl.width, bl.held);
  const instructions = estimateWindow(op, plan, weights);
  return { ok: true, kernel: { fn: name, data, code, scratchBytes: plan.scratchBytes, constBytes: wTab.length * 4, blocking: ev,
    estimate: { instructions, loads: Math.round(ev.loadsPerMac * macs) } } };
}

/**
 * The column gather of the packed-row LDM plan (`<name>_col`) on DSP cores, as one inline-assembly loop over
 * the pixels: per kernel row, its run of `words` words copied by LDM / STMIA in pieces of up to 8 registers
 * (every address word aligned: the window, the row length and the pixel step are), then the zero words up to
 * the column length: 3 instructions per piece where the C copy takes 2 per word. Undefined when a row
 * offset does not fit ADDW's immediate (the C loop then serves).
 */
function colGatherAsm(kH: number, words: number, colWords: number, rowBytes: number, pixelBytes: number): string | undefined {
  const pieces: Array<[number, number]> = [];
  for (let ky = 0; ky < kH; ky++) for (let w = 0; w < words; w += 8) pieces.push([ky * rowBytes + 4 * w, Math.min(8, words - w)]);
  if (pieces.some(([off]) => off > 4095) || pixelBytes > 4095) return undefined;
  const regs = (n: number) => Array.from({ length: n }, (_, i) => `r${4 + i}`).join(', ');
  const lines = [`push {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`, `mov r12, %[fr]`,
    `ldrd r0, r1, [r12, #0]`, `ldr r2, [r12, #8]`, `mov r3, #0`, `1:`];
  for (const [off, n] of pieces) {
    if (off === 0) lines.push(`ldm r0, {${regs(n)}}`);
    else lines.push(`addw lr, r0, #${off}`, `ldm lr, {${regs(n)}}`);
    lines.push(`stmia r1!, {${regs(n)}}`);
  }
  for (let w = kH * words; w < colWords; w++) lines.push(`str r3, [r1], #4`);
  lines.push(`add r0, r0, #${pixelBytes}`, `cmp r1, r2`, `bne 1b`, `pop {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`);
  return lines.map((l) => `"${l}\\n\\t"`).join(' ');
}

/**
 * Zeroing `n` int16 values at `d + at` (a row's padding columns, every widened row): up to 8 word-aligned
 * words as plain word stores (no call), else memset, whose loop costs fewer modelled M4 cycles than STRDs
 * on longer runs (resnet's 3x3 layers: 0.04% more cycles with up to 16 words as stores).
 */
function zeroC(d: string, at: number, n: number): string {
  if (at % 2 === 0 && n % 2 === 0 && n / 2 <= 8)
    return `  { uint32_t *z = (uint32_t *)(void *)(${d} + ${at}); ${Array.from({ length: n / 2 }, (_, i) => `z[${i}] = 0;`).join(' ')} }`;
  return `  memset(${d}${at ? ` + ${at}` : ''}, 0, ${n * 2});`;
}

/**
 * `static void <name>(const int8_t *x, int16_t *d, int n)`: widens, non-flat, one padded row (x = 0: a
 * padding row; n unused), flat, n pixels; values x + offset (int16 weights) or 2 * (x + offset) (int8).
 */
function widenC(name: string, op: KConv2d, p: WindowPlan, w8: boolean): string {
  const off16 = (op.inputOffset * (w8 ? 2 : 1)) & 0xffff;
  const offWord = ((off16 * 65537) >>> 0) + 'u';
  const conv = (v: string, ror: boolean) => {
    const f = ror ? 'tfk_sxtab16_ror8' : 'tfk_sxtab16';
    return w8 ? `${f}(${f}(off2, ${v}), ${v})` : `${f}(off2, ${v})`;
  };
  const L = [`static void __attribute__((noinline)) ${name}(const int8_t *x, int16_t *d, int n) {`, `  const uint32_t off2 = ${offWord}; (void)n; (void)off2;`];
  const rowE = p.bufW * p.bufC;
  if (!p.flat) {
    const left = op.padLeft * p.bufC, interior = op.inW * p.bufC, right = rowE - left - interior;
    L.push(`  if (!x) { memset(d, 0, ${rowE * 2}); return; }`);
    if (left) L.push(zeroC('d', 0, left));
    if (right) L.push(zeroC('d', left + interior, right));
    L.push(`  d += ${left};`);
  }
  const pixels = p.flat ? 'n' : String(op.inW);
  if (p.packed) {
    // Natural order, 4 values per word: SXTAB16 gives (x0, x2) and (x1, x3), PKHBT / PKHTB the pairs (x0, x1), (x2, x3).
    const n = op.inW * op.inC, n4 = n - (n % 4);
    // DSP, int16 weights, word-aligned rows: 16 values per iteration in inline assembly (LDM 4 words in, 4
    // instructions per word, STM 8 out: 20 against about 36 for the C loop); the C loop takes the rest.
    const left = p.flat ? 0 : op.padLeft * p.bufC;
    const asm = !w8 && n4 >= 16 && left % 2 === 0;
    if (asm) {
      const asmLoop = [`push {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}`, `mov r12, %[fr]`,
        `ldrd r0, r1, [r12, #0]`, `ldrd r2, r3, [r12, #8]`,
        `1:`, `ldmia r0!, {r5, r7, r9, r11}`,
        ...[4, 6, 8, 10].flatMap((a) => [`sxtab16 r12, r3, r${a + 1}`, `sxtab16 r${a + 1}, r3, r${a + 1}, ror #8`,
          `pkhbt r${a}, r12, r${a + 1}, lsl #16`, `pkhtb r${a + 1}, r${a + 1}, r12, asr #16`]),
        `stmia r1!, {r4, r5, r6, r7, r8, r9, r10, r11}`, `cmp r0, r2`, `bne 1b`,
        `pop {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}`].map((l) => `"${l}\\n\\t"`).join(' ');
      L.push(`  int i = 0;`,
        `#if defined(__ARM_FEATURE_DSP)`,
        `  if (((uintptr_t)x & 3) == 0) {`,
        `    uint32_t fr[4]; uint32_t *frp = fr;`,
        `    fr[0] = (uint32_t)(uintptr_t)x; fr[1] = (uint32_t)(uintptr_t)d; fr[2] = (uint32_t)(uintptr_t)(x + ${n4 - n4 % 16}); fr[3] = off2;`,
        `    __asm__ volatile(${asmLoop} : : [fr] "r"(frp) : "cc", "memory");`,
        `    i = ${n4 - n4 % 16};`,
        `  }`,
        `#endif`);
    }
    L.push(`  for (${asm ? '' : 'int i = 0'}; i < ${n4}; i += 4) { const uint32_t v = (uint32_t)tfk_ld32(x + i), a = ${conv('v', false)}, b = ${conv('v', true)};`,
      `    tfk_st32(d + i, tfk_pkhbt(a, b)); tfk_st32(d + i + 2, tfk_pkhtb(b, a)); }`);
    for (let i = n4; i < n; i++) L.push(`  d[${i}] = (int16_t)((x[${i}] + ${op.inputOffset}) * ${w8 ? 2 : 1});`);
  } else if (op.inC === p.bufC) {
    // 16 values per step (two LDRD in, four STRD out) when the input is word aligned, then one word at a time.
    // DSP: 16 values per iteration in inline assembly, LDM in and STM out (12 instructions; int8 weights 20).
    const wl = (a: string, v: string, ror: boolean) => {
      const r = ror ? ', ror #8' : '';
      return w8 ? [`sxtab16 r12, r3, ${v}${r}`, `sxtab16 ${a}, r12, ${v}${r}`] : [`sxtab16 ${a}, r3, ${v}${r}`];
    };
    const asmLoop = [`push {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}`, `mov r12, %[fr]`,
      `ldrd r0, r1, [r12, #0]`, `ldrd r2, r3, [r12, #8]`,
      `1:`, `ldmia r0!, {r5, r7, r9, r11}`,
      ...[4, 6, 8, 10].flatMap((a) => [...wl(`r${a}`, `r${a + 1}`, false), ...wl(`r${a + 1}`, `r${a + 1}`, true)]),
      `stmia r1!, {r4, r5, r6, r7, r8, r9, r10, r11}`, `cmp r0, r2`, `bne 1b`,
      `pop {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}`].map((l) => `"${l}\\n\\t"`).join(' ');
    L.push(`  uint32_t *o = (uint32_t *)(void *)d; const int nw = ${pixels} * ${op.inC / 4}; int i = 0;`,
      `#if defined(__ARM_FEATURE_DSP)`,
      `  if (((uintptr_t)x & 3) == 0 && nw >= 4) {`,
      `    uint32_t fr[4]; uint32_t *frp = fr; const int n4 = nw / 4;`,
      `    fr[0] = (uint32_t)(uintptr_t)x; fr[1] = (uint32_t)(uintptr_t)o; fr[2] = (uint32_t)(uintptr_t)(x + 16 * n4); fr[3] = off2;`,
      `    __asm__ volatile(${asmLoop} : : [fr] "r"(frp) : "cc", "memory");`,
      `    x += 16 * n4; o += 8 * n4; i = 4 * n4;`,
      `  }`,
      `#endif`,
      `  if (((uintptr_t)x & 3) == 0)`,
      `    for (; i + 4 <= nw; i += 4) { uint32_t v0, v1, v2, v3; TFK_LDRD_POST(v0, v1, x); TFK_LDRD_POST(v2, v3, x);`,
      `      { const uint32_t a = ${conv('v0', false)}, b = ${conv('v0', true)}; TFK_STRD_POST(a, b, o); }`,
      `      { const uint32_t a = ${conv('v1', false)}, b = ${conv('v1', true)}; TFK_STRD_POST(a, b, o); }`,
      `      { const uint32_t a = ${conv('v2', false)}, b = ${conv('v2', true)}; TFK_STRD_POST(a, b, o); }`,
      `      { const uint32_t a = ${conv('v3', false)}, b = ${conv('v3', true)}; TFK_STRD_POST(a, b, o); } }`,
      `  for (; i < nw; i++) { const uint32_t v = (uint32_t)tfk_ld32(x); x += 4;`,
      `    o[0] = ${conv('v', false)}; o[1] = ${conv('v', true)}; o += 2; }`);
  } else if (p.bufC <= 32) {
    // Channels padded to a multiple of 4 (e.g. a first layer over 3): per pixel and group of four stored
    // positions (c0, c2, c1, c3) two words of int16 pairs, the padding channels 0; no per-value table walk.
    const v = (pos: number) => { const ch = channelAt(pos); return ch < op.inC ? `((int32_t)x[${ch}] + ${op.inputOffset})${w8 ? ' * 2' : ''}` : '0'; };
    const pairWord = (pos: number) => `((uint32_t)(${v(pos)}) & 0xffffu) | (uint32_t)(${v(pos + 1)}) << 16`;
    L.push(`  for (int px = 0; px < ${pixels}; px++, x += ${op.inC}, d += ${p.bufC}) {`);
    for (let pos = 0; pos < p.bufC; pos += 2) L.push(`    tfk_st32(d + ${pos}, ${pairWord(pos)});`);
    L.push(`  }`);
  } else {
    const perm = Array.from({ length: p.bufC }, (_, pos) => channelAt(pos));
    L.push(`  static const ${p.bufC > 256 ? 'uint16_t' : 'uint8_t'} perm[${p.bufC}] = {${perm.join(',')}};`,
      `  for (int px = 0; px < ${pixels}; px++, x += ${op.inC}, d += ${p.bufC})`,
      `    for (int i = 0; i < ${p.bufC}; i++) d[i] = perm[i] < ${op.inC} ? (int16_t)((x[perm[i]] + ${op.inputOffset}) * ${w8 ? 2 : 1}) : 0;`);
  }
  L.push(`}`);
  return L.join('\n');
}

/** Largest |true accumulator| of the pair form: 256 x it must fit int32. */
const PAIR_ACC_LIMIT = 2 ** 23;

/**
 * Why the pair form cannot take a layer's weights (unencodable pairs, accumulators too large), or undefined.
 * A channel whose accumulator is too large but whose output is constant over its range (e.g. zero weights
 * and a bias near 2^30, as in vww) becomes a constant channel (in `ch`, as planRequant folds them).
 */
function pairCheck(op: KConv2d, wc: ArrayLike<number>, bias: ArrayLike<number>, ch: ChannelRequant[]): string | undefined {
  const perOut = op.kH * op.kW * op.inC;
  for (let oc = 0; oc < op.outC; oc++) {
    if (ch[oc]!.constant !== undefined) continue;
    const [lo, hi] = accRangeOf(bias[oc]!, wc, op.inputOffset, oc * perOut, perOut);
    if (lo < -PAIR_ACC_LIMIT || hi >= PAIR_ACC_LIMIT) {
      const k = constantOutput(op, ch[oc]!.M, ch[oc]!.shift, [lo, hi]);
      if (k === undefined) return `channel ${oc}: accumulator range [${lo}, ${hi}] exceeds 2^23 (int8p needs 256 x it in int32)`;
      ch[oc] = { M: 0, e: 0, wScale: 0, C: k, shift: ch[oc]!.shift, constant: k };
      continue;
    }
    // Pairs (even, odd) of channels: the odd weight -128 needs an even one >= 0.
    for (let i = 0; i < perOut; i += 2) if (wc[oc * perOut + i + 1] === -128 && wc[oc * perOut + i]! < 0)
      return `channel ${oc}: weight pair (${wc[oc * perOut + i]}, -128) has no int8p pair encoding`;
  }
  return undefined;
}

/**
 * Accumulator start of the pair form: 256 * (bias + sum_j w_j * (inputOffset - c_j)), c_j = 0 at even and
 * -127 at odd input positions (the widened input holds q + c_j), as uint32 (the kernel's sums wrap alike).
 */
function pairStart(op: KConv2d, wc: ArrayLike<number>, bias: ArrayLike<number>, oc: number): number {
  const perOut = op.kH * op.kW * op.inC;
  let s = bias[oc]!;
  for (let i = 0; i < perOut; i++) s += wc[oc * perOut + i]! * (op.inputOffset + (i % 2 ? 127 : 0));
  return (s * 256) >>> 0;
}

/**
 * The pair form's widening (`static void <name>(const int8_t *x, int16_t *d, int n)` as widenC): per 4 input
 * bytes q0..q3 the words A = (q1 - 127, q3 - 127) (SXTAB16 ROR #8 against -127) and B = (256 q0, 256 q2) - A
 * (AND of the word shifted by 8, SSUB16); padding holds the words of the zero point (q = -inputOffset).
 */
function widenPairC(name: string, op: KConv2d, p: WindowPlan): string {
  const ab = (q0: number, q1: number) => { const a = q1 - 127, b = 256 * q0 - a; return [a & 0xffff, b & 0xffff] as const; };
  const zp = -op.inputOffset;
  const [az, bz] = ab(zp, zp);
  const padA = ((az * 65537) >>> 0) + 'u', padB = ((bz * 65537) >>> 0) + 'u';
  const L = [`static void __attribute__((noinline)) ${name}(const int8_t *x, int16_t *d, int n) {`, `  (void)n;`];
  const fill = (from: string, words: number) => [`  { uint32_t *z = (uint32_t *)(void *)(${from}); for (int i = 0; i < ${words}; i += 2) { z[i] = ${padA}; z[i + 1] = ${padB}; } }`];
  const rowE = p.bufW * p.bufC;
  if (!p.flat) {
    const left = op.padLeft * p.bufC, interior = op.inW * p.bufC, right = rowE - left - interior;
    L.push(`  if (!x) {`, ...fill('d', rowE / 2), `    return;`, `  }`);
    if (left) L.push(...fill('d', left / 2));
    if (right) L.push(...fill(`d + ${left + interior}`, right / 2));
    L.push(`  d += ${left};`);
  }
  const pixels = p.flat ? 'n' : String(op.inW);
  // DSP: 16 values per iteration in inline assembly (LDM 4 words in, 3 instructions per word, STM 8 out).
  const asmLoop = [`push {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`, `mov r12, %[fr]`,
    `ldrd r0, r1, [r12, #0]`, `ldrd r2, r3, [r12, #8]`, `mov lr, #0xff00ff00`,
    `1:`, `ldmia r0!, {r5, r7, r9, r11}`,
    ...[4, 6, 8, 10].flatMap((a) => [`sxtab16 r${a}, r3, r${a + 1}, ror #8`, `and r12, lr, r${a + 1}, lsl #8`, `ssub16 r${a + 1}, r12, r${a}`]),
    `stmia r1!, {r4, r5, r6, r7, r8, r9, r10, r11}`, `cmp r0, r2`, `bne 1b`,
    `pop {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`].map((l) => `"${l}\\n\\t"`).join(' ');
  L.push(`  uint32_t *o = (uint32_t *)(void *)d; const int nw = ${pixels} * ${op.inC / 4}; int i = 0;`,
    `#if defined(__ARM_FEATURE_DSP)`,
    `  if (((uintptr_t)x & 3) == 0 && nw >= 4) {`,
    `    uint32_t fr[4]; uint32_t *frp = fr; const int n4 = nw / 4;`,
    `    fr[0] = (uint32_t)(uintptr_t)x; fr[1] = (uint32_t)(uintptr_t)o; fr[2] = (uint32_t)(uintptr_t)(x + 16 * n4); fr[3] = 0xff81ff81u;`,
    `    __asm__ volatile(${asmLoop} : : [fr] "r"(frp) : "cc", "memory");`,
    `    x += 16 * n4; o += 8 * n4; i = 4 * n4;`,
    `  }`,
    `#endif`,
    `  for (; i < nw; i++, x += 4, o += 2) {`,
    `    const int32_t a0 = x[1] - 127, a1 = x[3] - 127, b0 = 256 * x[0] - a0, b1 = 256 * x[2] - a1;`,
    `    o[0] = ((uint32_t)a0 & 0xffffu) | (uint32_t)a1 << 16; o[1] = ((uint32_t)b0 & 0xffffu) | (uint32_t)b1 << 16;`,
    `  }`,
    `}`);
  return L.join('\n');
}
