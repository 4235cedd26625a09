// The Helium (MVE) kernel variants for Cortex-M55 and M85 in the backend's variant table (registry.ts):
// conv2d and fully connected through conv-helium.ts (VMLADAVA.S8 over int8 channels, int8 weights in flash,
// scratch bounded by the window of rows or a 2 KB chunk), depthwise through depthwise-helium.ts (pixels along
// the lanes, VMLA.S32 by the tap's weight, a window of rows within 2 KB), same-shape ADD through add-helium.ts. They rank above the Cortex-M4 DSP
// kernels (which the M55 also runs) and apply only on a Helium core; the portable and DSP paths stay for
// the other cores. Each applies when its generator accepts the op (the requantisation proof of requant.ts
// included), in both arithmetics.

import type { KConv2d, KDepthwiseConv2d, KFullyConnected, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { emitConvHelium, estimateConvHelium, planConvHelium } from './conv-helium.ts';
import { fcAsConv, overlaySafe } from './conv-window.ts';
import { depthwiseHeliumApplies, depthwiseHeliumOverlay, depthwiseHeliumScratch, emitDepthwiseHelium, estimateDepthwiseHelium } from './depthwise-helium.ts';
import { probe, toEmitted } from './fast-kernel.ts';
import { addHelium } from './add-helium.ts';
import { defineVariant, type AnyVariant } from './variant.ts';
import { helium } from './helium-prelude.ts';

export { HELIUM_CPUS, helium } from './helium-prelude.ts';

function convLike<K extends KConv2d | KFullyConnected>(kind: K['kind'], name: string, asConv: (op: K) => KConv2d) {
  const scratch = (op: K) => { const p = planConvHelium(asConv(op)); return 'reason' in p ? 0 : p.scratchBytes; };
  return defineVariant<K>({
    name, kind, priority: 20,
    applies: (op, t, m) => helium(t) && probe(name, op, m, (mm) => emitConvHelium(asConv(op), mm, { fn: 'probe' })),
    // Rows and channel slices; the plain kernel overlays its output on the input when every output row
    // lands on input rows already copied into the window (conv-window.ts overlaySafe: same window rule).
    ...(kind === 'conv2d' ? { modes: { rows: true, slice: true, prepass: (op: KernelOp) => overlaySafe(op as KConv2d) } } : {}),
    scratchBytes: scratch,
    emit: (op, ctx) => toEmitted(emitConvHelium(asConv(op), { consts: ctx.module.consts }, { fn: ctx.fn, mode: ctx.mode }), op, 'Helium'),
    estimate: (op) => {
      const c = asConv(op), p = planConvHelium(c);
      if ('reason' in p) return { instructions: Infinity, loads: Infinity };
      return { instructions: estimateConvHelium(c, p), loads: Math.round(c.outH * c.outW * c.outC * p.steps * (p.P + p.Q) / (p.P * p.Q)) };
    },
  });
}

export const conv2dHelium = convLike<KConv2d>('conv2d', 'conv2d.helium-m55', (op) => op);
export const fullyConnectedHelium = convLike<KFullyConnected>('fully_connected', 'fully_connected.helium-m55', fcAsConv);

export const depthwiseHelium = defineVariant<KDepthwiseConv2d>({
  name: 'depthwise.helium-m55',
  kind: 'depthwise_conv2d',
  priority: 20,
  applies: (op, t, m) => helium(t) && depthwiseHeliumApplies(op) === undefined &&
    probe('depthwise.helium-m55', op, m, (mm) => emitDepthwiseHelium(op, mm, { fn: 'probe' })),
  modes: { rows: true, slice: true, prepass: (op: KernelOp) => depthwiseHeliumOverlay(op as KDepthwiseConv2d) },
  scratchBytes: depthwiseHeliumScratch,
  emit: (op, ctx) => toEmitted(emitDepthwiseHelium(op, { consts: ctx.module.consts }, { fn: ctx.fn, mode: ctx.mode }), op, 'Helium'),
  estimate: estimateDepthwiseHelium,
});

export const HELIUM_VARIANTS: AnyVariant[] = [conv2dHelium, fullyConnectedHelium, depthwiseHelium, addHelium];
