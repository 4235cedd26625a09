// The fast Cortex-M4 (Armv7E-M DSP) kernel variants in the backend's variant table (registry.ts):
// conv2d and fully connected through the windowed kernel (conv-window.ts: scratch bounded by the window;
// int16 weights, or int8 weights at half the flash for some more instructions, which the flash budget
// trades: the pair-encoded int8p form first, at the int16 form's modelled M4 cycles, then the int8 form), depthwise (3x3 stride 1 and 2 over a ring of rows; 3x3 stride 1 planar; general NHWC), shift
// and add convolution.
// Each applies only on a DSP core, when its generator accepts the shape, and when the 4-instruction
// requantisation is proven exact for the layer's constants (requant.ts) — otherwise the table falls back
// to the generic variant. All need int16 (or biased byte) scratch, reported by scratchBytes so that the
// backend's SRAM-budget policy can trade them for the lean variants; `estimate` comes from the blocking
// model (blocking.ts) plus the widening.

import type { KAddConv2d, KConv2d, KDepthwiseConv2d, KFullyConnected, KShiftConv2d, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { addConvFastApplies, addConvFastScratch, emitAddConvFast } from './addconv-fast.ts';
import { emitConvWindow, estimateWindow, fcAsConv, overlaySafe, planWindow, type WeightForm } from './conv-window.ts';
import { depthwise3x3Applies, depthwise3x3Scratch, depthwiseGeneralApplies, depthwiseGeneralScratch, emitDepthwise3x3Fast, emitDepthwiseGeneralFast } from './depthwise-fast.ts';
import { depthwiseRingApplies, depthwiseRingScratch, emitDepthwiseRing, estimateDepthwiseRing } from './depthwise-ring.ts';
import { probe, toEmitted } from './fast-kernel.ts';
import { narrowedVariant } from './narrow-consts.ts';
import { emitShiftConvFast, shiftConvFastApplies, shiftConvFastScratch } from './shiftconv-fast.ts';
import { defineVariant, type AnyVariant, type EmitContext, type McuTargetInfo } from './variant.ts';
import { WINDOW_DOT_VARIANTS, wordOrderFor } from './window-dot.ts';

const consts = (ctx: EmitContext) => ({ consts: ctx.module.consts });

const dsp = (t: McuTargetInfo) => t.dsp;

export const depthwise3x3Fast = defineVariant<KDepthwiseConv2d>({
  name: 'depthwise.3x3-planar-m4',
  kind: 'depthwise_conv2d',
  priority: 10,
  // Double rounding only (depthwise3x3Applies declines single-rounding ops: a CONV_2D lowered to
  // depthwise in the tflite arithmetic keeps the generic kernels).
  applies: (op, t, m) => dsp(t) && depthwise3x3Applies(op) === undefined && probe('emitDepthwise3x3Fast', op, m, (mm) => emitDepthwise3x3Fast(op, mm, { fn: 'probe' })),
  modes: { prepass: true }, // input read only by the widening prepass: the output may overlay it
  scratchBytes: depthwise3x3Scratch,
  emit: (op, ctx) => toEmitted(emitDepthwise3x3Fast(op, consts(ctx), { fn: ctx.fn }), op),
  estimate: (op) => { const macs = op.outH * op.outW * op.outC * 9; return { instructions: Math.round(macs * 57 / 36 + op.inH * op.inW * op.inC * 2.4), loads: Math.round(macs * 10 / 36) }; },
});

// Scratch bounded by the window (a ring of widened rows per channel group, <= 2 KB where one channel quad
// and 4 rows fit), int8 weights, and faster than the planar kernel (bench/results/mcu.json): preferred
// where it applies; the planar kernel stays for rows wider than its LDRD offsets reach.
export const depthwiseRingFast = defineVariant<KDepthwiseConv2d>({
  name: 'depthwise.3x3-ring-m4',
  kind: 'depthwise_conv2d',
  priority: 12,
  applies: (op, t, m) => dsp(t) && op.strideH === 1 && depthwiseRingApplies(op) === undefined && probe('emitDepthwiseRing', op, m, (mm) => emitDepthwiseRing(op, mm, { fn: 'probe' })),
  // Every input row is widened into the ring before any output at or above it is written, per channel
  // group and in its own channels only: the output may overlay the input (depthwise-ring.ts header).
  // Channel slices (split chains): the modal form with the scratch pointer after c0 (emit/model.ts chainLoop).
  modes: { prepass: true, slice: true },
  scratchBytes: depthwiseRingScratch,
  emit: (op, ctx) => toEmitted(emitDepthwiseRing(op, consts(ctx), { fn: ctx.fn, ...(ctx.mode ? { slice: ctx.mode } : {}) }), op),
  estimate: estimateDepthwiseRing,
});

// The same generator at stride 2 (one output row at a time): 1.9 KB of scratch for 32x32x16 where
// depthwise.nhwc16-m4 needs 34.8 KB, at 3.04 against 2.99 instructions/MAC on that layer. On the combined
// measure it wins: vww's four stride-2 layers with it take 10.8 KB less RAM and 38.7 KB less flash for
// 0.01% more instructions (8,166,188 against 8,165,274, QEMU M4), so it ranks above the nhwc16 kernel, which
// stays for the other kernel sizes.
export const depthwiseRingS2Fast = defineVariant<KDepthwiseConv2d>({
  ...depthwiseRingFast,
  name: 'depthwise.3x3s2-ring-m4',
  priority: 6,
  applies: (op, t, m) => dsp(t) && op.strideH === 2 && depthwiseRingApplies(op) === undefined && probe('emitDepthwiseRing', op, m, (mm) => emitDepthwiseRing(op, mm, { fn: 'probe' })),
});

export const depthwiseGeneralFast = defineVariant<KDepthwiseConv2d>({
  name: 'depthwise.nhwc16-m4',
  kind: 'depthwise_conv2d',
  priority: 5,
  applies: (op, t, m) => dsp(t) && depthwiseGeneralApplies(op) === undefined && probe('emitDepthwiseGeneralFast', op, m, (mm) => emitDepthwiseGeneralFast(op, mm, { fn: 'probe' })),
  modes: { prepass: true }, // input read only by the widening prepass: the output may overlay it
  scratchBytes: depthwiseGeneralScratch,
  emit: (op, ctx) => toEmitted(emitDepthwiseGeneralFast(op, consts(ctx), { fn: ctx.fn }), op),
  estimate: (op) => { const macs = op.outH * op.outW * op.outC * op.kH * op.kW; return { instructions: Math.round(macs * 1.45 + op.outH * op.outW * op.outC * 6), loads: Math.round(macs * 0.4) }; },
});

/** Applicability of a windowed kernel (the requantisation proof needs the constants): probe it once per op and form. */
function windowVariant<K extends KConv2d | KFullyConnected>(kind: K['kind'], name: string, weights: WeightForm, priority: number,
  asConv: (op: K) => KConv2d) {
  const scratch = (op: K) => { const p = planWindow(asConv(op), weights); return 'reason' in p ? 0 : p.scratchBytes; };
  return defineVariant<K>({
    name, kind, priority,
    applies: (op, t, m) => dsp(t) && probe(name, op, m, (mm) => emitConvWindow(asConv(op), mm, { fn: 'probe', weights })),
    // Rows and channel slices as modal forms; the plain kernel overlays its output on the input when
    // every output row lands on input rows already widened (conv-window.ts overlaySafe).
    ...(kind === 'conv2d' ? { modes: { rows: true, slice: true, prepass: (op: KernelOp) => overlaySafe(op as KConv2d) } } : {}),
    scratchBytes: scratch,
    // int8p: the one-pixel (fully connected) blocks load words in the core's order (pair-words.ts).
    emit: (op, ctx) => toEmitted(emitConvWindow(asConv(op), consts(ctx), { fn: ctx.fn, weights, mode: ctx.mode, ...(weights === 'int8p' ? { order: wordOrderFor(ctx.target) } : {}) }), op),
    estimate: (op) => {
      const c = asConv(op), p = planWindow(c, weights);
      if ('reason' in p) return { instructions: Infinity, loads: Infinity };
      const ev = estimateWindow(c, p, weights);
      return { instructions: ev, loads: Math.round(c.outH * c.outW * c.outC * p.shape.reduction * p.blocking.loadsPerMac) };
    },
  });
}

export const conv2dWindow = windowVariant<KConv2d>('conv2d', 'conv2d.window-m4', 'int16', 10, (op) => op);
export const conv2dWindow8 = windowVariant<KConv2d>('conv2d', 'conv2d.window8-m4', 'int8', 9, (op) => op);
export const fullyConnectedWindow = windowVariant<KFullyConnected>('fully_connected', 'fully_connected.window-m4', 'int16', 10, fcAsConv);
export const fullyConnectedWindow8 = windowVariant<KFullyConnected>('fully_connected', 'fully_connected.window8-m4', 'int8', 9, fcAsConv);
// int8 weights in the pair encoding (conv-window.ts, ldm-blocks.ts): half the int16 form's weight flash at its
// modelled cycles on the M4 (zero-wait memory: within 4% on the bench layers; with flash wait states far
// fewer, the weight reads halved), 1.2-1.4x its instructions and fewer than the int8 form's. Ranked between
// them: the flash budget's first replacement of an int16 layer.
export const conv2dWindow8p = windowVariant<KConv2d>('conv2d', 'conv2d.window8p-m4', 'int8p', 9.5, (op) => op);
export const fullyConnectedWindow8p = windowVariant<KFullyConnected>('fully_connected', 'fully_connected.window8p-m4', 'int8p', 9.5, fcAsConv);

export const addConvFast = defineVariant<KAddConv2d>({
  name: 'add_conv2d.usada8-m4',
  kind: 'add_conv2d',
  priority: 10,
  applies: (op, t, m) => dsp(t) && addConvFastApplies(op) === undefined && probe('emitAddConvFast', op, m, (mm) => emitAddConvFast(op, mm, { fn: 'probe' })),
  scratchBytes: addConvFastScratch,
  emit: (op, ctx) => toEmitted(emitAddConvFast(op, consts(ctx), { fn: ctx.fn }), op),
  estimate: (op) => ({ instructions: Math.round(op.macs * 0.45), loads: Math.round(op.macs * 0.1) }),
});

export const shiftConvFast = defineVariant<KShiftConv2d>({
  name: 'shift_conv2d.fast-m4',
  kind: 'shift_conv2d',
  priority: 10,
  applies: (op, t, m) => dsp(t) && shiftConvFastApplies(op) === undefined && probe('emitShiftConvFast', op, m, (mm) => emitShiftConvFast(op, mm, { fn: 'probe' })),
  scratchBytes: shiftConvFastScratch,
  emit: (op, ctx) => toEmitted(emitShiftConvFast(op, consts(ctx), { fn: ctx.fn }), op),
  estimate: (op) => ({ instructions: Math.round(op.macs * 1.3 + op.outH * op.outW * op.inC * 4), loads: Math.round(op.macs * 0.3) }),
});

// The int16-table variants again with their tables narrowed in flash and widened into scratch per call
// (narrow-consts.ts): about half the table's flash for one pass over it per call; ranked just below each.
export const NARROWED_VARIANTS: AnyVariant[] = [conv2dWindow, fullyConnectedWindow, depthwise3x3Fast, depthwiseGeneralFast, ...WINDOW_DOT_VARIANTS].map(narrowedVariant);

export const FAST_VARIANTS: AnyVariant[] = [conv2dWindow, conv2dWindow8p, conv2dWindow8, depthwiseRingFast, depthwiseRingS2Fast, depthwise3x3Fast, depthwiseGeneralFast, fullyConnectedWindow, fullyConnectedWindow8p, fullyConnectedWindow8, addConvFast, shiftConvFast,
  ...WINDOW_DOT_VARIANTS, ...NARROWED_VARIANTS];
