// The windowed conv2d / fully connected kernel (conv-window.ts) with int16 weights and the register-blocked
// inner products of dot-blocks.ts instead of the LDM blocks of ldm-blocks.ts, as variants of their own
// (conv2d.window-dot-m4, fully_connected.window-dot-m4) so that the schedule search's cycle objective can
// take them per layer.
//
// Why both: the LDM blocks execute fewer instructions (one pixel x 4 channels, weights streamed by LDM), so
// the instruction objective prefers them; but on the M4 an LDM of N registers costs 1 + N cycles (TRM table
// 3-1), one cycle per int16 weight register feeding a single SMLAD, while a register block of P pixels x Q
// channels loads each weight word once for P pixels (LDRD pipelined after LDRD, 1 cycle per word) — fewer
// cycles for more instructions; on the M7 the LDM blocks' load-use pattern costs more than the blocking's
// too. Which wins depends on the layer (pixels per row, channels, reduction length), so the probes decide.
//
// The held-weight blocks issue each LDRD step as two word steps of single loads (word-steps.ts), ordered for
// the core: grouped loads (pipelined LDRs) on the M3/M4/M33, loads interleaved with the MACs on the M7 (dual
// issue, no load-use stall). Applies wherever the int16 form does (where that form has no LDM blocks, it
// runs the same blocking with LDRD steps: the word steps still differ).

import type { KConv2d, KFullyConnected, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { emitConvWindow, estimateWindow, fcAsConv, overlaySafe, planWindow } from './conv-window.ts';
import { probe, toEmitted } from './fast-kernel.ts';
import { defineVariant, type AnyVariant, type McuTargetInfo } from './variant.ts';
import type { WordOrder } from './word-steps.ts';

/** The word-step order for a core: the M7 dual-issues a load with a MAC; the others pipeline neighbouring loads. */
export function wordOrderFor(t: McuTargetInfo): WordOrder { return t.cpu === 'm7' ? 'interleaved' : 'grouped'; }

function windowDotVariant<K extends KConv2d | KFullyConnected>(kind: K['kind'], name: string, asConv: (op: K) => KConv2d): AnyVariant {
  const plan = (op: K) => planWindow(asConv(op), 'int16', undefined, 'dot');
  return defineVariant<K>({
    name, kind,
    // Below the LDM form (fewer instructions: first for the instruction objective), above the int8 forms.
    priority: 9.8,
    applies: (op, t, m) => t.dsp &&
      probe(name, op, m, (mm) => emitConvWindow(asConv(op), mm, { fn: 'probe', weights: 'int16', blocks: 'dot', order: 'grouped' })),
    ...(kind === 'conv2d' ? { modes: { rows: true, slice: true, prepass: (op: KernelOp) => overlaySafe(op as KConv2d) } } : {}),
    scratchBytes: (op) => { const p = plan(op); return 'reason' in p ? 0 : p.scratchBytes; },
    emit: (op, ctx) => toEmitted(emitConvWindow(asConv(op), { consts: ctx.module.consts }, { fn: ctx.fn, weights: 'int16', mode: ctx.mode, blocks: 'dot', order: wordOrderFor(ctx.target) }), op),
    estimate: (op) => {
      const c = asConv(op), p = plan(op);
      if ('reason' in p) return { instructions: Infinity, loads: Infinity };
      return { instructions: estimateWindow(c, p, 'int16'), loads: Math.round(c.outH * c.outW * c.outC * p.shape.reduction * p.blocking.loadsPerMac) };
    },
  });
}

export const conv2dWindowDot = windowDotVariant<KConv2d>('conv2d', 'conv2d.window-dot-m4', (op) => op);
export const fullyConnectedWindowDot = windowDotVariant<KFullyConnected>('fully_connected', 'fully_connected.window-dot-m4', fcAsConv);
export const WINDOW_DOT_VARIANTS: AnyVariant[] = [conv2dWindowDot, fullyConnectedWindowDot];
