// Fast conv2d for Cortex-M4 (Armv7E-M DSP): general kH x kW, strides, dilation, explicit padding, groups
// (when each group's input channels fill whole words), with a specialised flat layout for 1x1 stride-1
// unpadded (pointwise) convolutions that turns the image into one long row of pixels. Scheme: int16
// widening prepass with the input offset folded in (prepass.ts), int16 weights pre-scaled for the
// 4-instruction requantisation (requant.ts) and stored in the register block's consumption order, the
// register blocking chosen analytically (blocking.ts) and emitted by dot-blocks.ts. Not applicable (the
// caller falls back to a leaner variant) when the requantisation preconditions fail, when a group's
// channels do not fill words, or when the reduction is too long to unroll.

import type { KConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { chooseBlocking, evaluateBlocking, ARMV7M_REGISTERS, type Blocking, type ConvShape } from './blocking.ts';
import { emitDotBlocks, MAX_UNROLLED_STEPS, reductionLoop, type DotGeometry } from './dot-blocks.ts';
import { cIdent, constById, type FastResult } from './fast-kernel.ts';
import { channelAt, padBytes, padGeom, widenInt16C } from './prepass.ts';
import { accRangeOf, maxAbsInput, planRequant } from './requant.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';


export interface ConvPlan {
  geom: DotGeometry;
  shape: ConvShape;
  registers: number;
  flat: boolean;
}

/** Geometry and blocking problem of a conv2d over the int16 buffer (bufC = stored channels per pixel). */
export function planConv(op: KConv2d): ConvPlan | { reason: string } {
  const groups = op.groups;
  const Ig = op.inC / groups;
  if (groups > 1 && Ig % 4 !== 0) return { reason: `grouped conv with ${Ig} input channels per group (needs a multiple of 4)` };
  const bufC = groups > 1 ? op.inC : Math.ceil(op.inC / 4) * 4;
  const inPerGroup = groups > 1 ? Ig : bufC;
  const flat = op.kH === 1 && op.kW === 1 && op.strideH === 1 && op.strideW === 1 &&
    op.padTop === 0 && op.padLeft === 0 && op.padBottom === 0 && op.padRight === 0 && op.outH === op.inH && op.outW === op.inW;
  const pg = padGeom(op, bufC);
  const contiguous = groups === 1 && op.dilationW === 1;
  const steps = contiguous ? op.kH * Math.ceil(op.kW * bufC / 4) : op.kH * op.kW * inPerGroup / 4;
  const rowLoop = steps > MAX_UNROLLED_STEPS;
  const geom: DotGeometry = {
    bufW: pg.bufW, bufC, rows: flat ? 1 : op.outH, rowPixels: flat ? op.outH * op.outW : op.outW,
    rowStep: op.strideH * pg.bufW * bufC, pixelStep: op.strideW * bufC,
    kH: op.kH, kW: op.kW, kRowStep: op.dilationH * pg.bufW * bufC, kColStep: op.dilationW * bufC,
    groups, inPerGroup, outPerGroup: op.outC / groups, outC: op.outC, outRowStep: op.outW * op.outC,
  };
  if (rowLoop && !reductionLoop(geom, steps, 8)) return { reason: `reduction of ${steps} LDRD steps is too long to unroll and not loopable` };
  const shape: ConvShape = { rowPixels: geom.rowPixels, rows: geom.rows * op.batches, channelsPerGroup: geom.outPerGroup, groups,
    reduction: op.kH * op.kW * inPerGroup, lanes: 2, maxPixels: Math.floor(1016 / (geom.pixelStep * 2)) + 1 };
  return { geom, shape, registers: ARMV7M_REGISTERS - (rowLoop ? 1 : 0), flat };
}

export function emitConvFast(op: KConv2d, m: Pick<KernelModule, 'consts'>, opts: { blocking?: Blocking; fn?: string } = {}): FastResult {
  if (op.batches !== 1) return { ok: false, reason: 'batches > 1' };
  const plan = planConv(op);
  if ('reason' in plan) return { ok: false, reason: plan.reason };
  const wc = constById(m, op.weights).data;
  const bias = constById(m, op.bias).data;
  const Ig = op.inC / op.groups;
  const perOut = op.kH * op.kW * Ig;
  const xMax = maxAbsInput(op.inputOffset);
  const rp = planRequant(op, op.outC,
    (c) => { let s = Math.abs(bias[c]!); for (let i = 0; i < perOut; i++) s += Math.abs(wc[c * perOut + i]!) * xMax; return s; },
    (c) => { let s = 0; for (let i = 0; i < perOut; i++) s = Math.max(s, Math.abs(wc[c * perOut + i]!)); return s; },
    (c) => accRangeOf(bias[c]!, wc, op.inputOffset, c * perOut, perOut));
  if (!rp.ok) return { ok: false, reason: rp.reason };
  const blocking = opts.blocking ?? chooseBlocking(plan.shape, plan.registers, [2]);
  const name = opts.fn ?? cIdent(`tf_conv_${op.index}_${op.name}`);
  const g = plan.geom;
  const dot = emitDotBlocks({
    name, kind: 'smlad', geom: g, blocking, rq: op, requant: rp.channels, singleRounding: op.rounding === 'single',
    weight: (oc, ky, kx, pos) => {
      const ic = channelAt(pos);
      return ic < Ig ? wc[((oc * op.kH + ky) * op.kW + kx) * Ig + ic]! * rp.channels[oc]!.wScale : 0;
    },
    start: (oc) => bias[oc]! * rp.channels[oc]!.wScale,
  });
  const pg = padGeom(op, g.bufC);
  const code = [
    SIMD_PRELUDE,
    widenInt16C(`${name}_widen`, pg, op.inputOffset),
    dot.code,
    `static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`,
    `  int16_t *s = (int16_t *)(void *)scratch;`,
    `  ${name}_widen(in, s);`,
    `  ${name}_dot(s, out);`,
    `}`,
  ].join('\n');
  const ev = evaluateBlocking(plan.shape, blocking.pixels, blocking.channels, blocking.width, blocking.held);
  const macs = op.outH * op.outW * op.outC * plan.shape.reduction;
  const prepass = pg.bufH * pg.bufW * g.bufC / 2;
  return { ok: true, kernel: { fn: name, data: dot.data, code, scratchBytes: padBytes(pg, 2), constBytes: dot.constBytes, blocking: ev,
    estimate: { instructions: Math.round(ev.instructionsPerMac * macs + 1.5 * prepass), loads: Math.round(ev.loadsPerMac * macs + prepass / 2) } } };
}
