// Fast add convolution (AdderNet) for Cortex-M4 with USADA8: acc = bias - sum |(x + inputOffset) - w|.
// |(x - zp) - w| = |x - t| with t = w + zp; x + 128 and t + 128 are bytes, so USADA8 sums four |a - b| of
// biased bytes per instruction, exactly. t outside [-128, 127] is clamped and the excess, which the
// absolute value adds for every x (|x - t| = |x - clamp(t)| + |t - clamp(t)| since x is in [-128, 127]),
// is folded into the per-channel constant, so the kernel is bit-exact for all weights and zero points.
// Padding taps read the real value 0 (x = zp), which the biased prepass buffer (prepass.ts) holds, and
// padded channel positions hold zp + 128 in both operands (|d| = 0). The sum S enters the 4-instruction
// requantisation as acc2 = 2^k * (bias - E) - (S << k) (one SUB with a shifted operand).
// Same register blocking (blocking.ts, 4 lanes per word) and block emitter (dot-blocks.ts) as conv2d.

import type { KAddConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { ARMV7M_REGISTERS, chooseBlocking, evaluateBlocking, type ConvShape } from './blocking.ts';
import { emitDotBlocks, MAX_UNROLLED_STEPS, reductionLoop, type DotGeometry } from './dot-blocks.ts';
import { cIdent, constById, type FastResult } from './fast-kernel.ts';
import { biasUint8C, padBytes, padGeom } from './prepass.ts';
import { maxAbsInput, planRequant } from './requant.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';

function addGeom(op: KAddConv2d): { geom: DotGeometry; steps: number; bufC: number } {
  let bufC = Math.ceil(op.inC / 4) * 4;
  if ((op.kW * bufC) % 8 !== 0 || op.dilationW !== 1) bufC = Math.ceil(op.inC / 8) * 8;
  const pg = padGeom(op, bufC);
  const geom: DotGeometry = {
    bufW: pg.bufW, bufC, rows: op.outH, rowPixels: op.outW, rowStep: op.strideH * pg.bufW * bufC, pixelStep: op.strideW * bufC,
    kH: op.kH, kW: op.kW, kRowStep: op.dilationH * pg.bufW * bufC, kColStep: op.dilationW * bufC,
    groups: 1, inPerGroup: bufC, outPerGroup: op.outC, outC: op.outC, outRowStep: op.outW * op.outC,
  };
  const steps = op.dilationW === 1 ? op.kH * op.kW * bufC / 8 : op.kH * op.kW * bufC / 8;
  return { geom, steps, bufC };
}

export function addConvFastApplies(op: KAddConv2d): string | undefined {
  if (op.batches !== 1) return 'batches > 1';
  const { geom, steps } = addGeom(op);
  if (steps > MAX_UNROLLED_STEPS && !reductionLoop(geom, steps, 8)) return `reduction of ${steps} steps too long`;
  return undefined;
}

export function addConvFastScratch(op: KAddConv2d): number {
  return padBytes(padGeom(op, addGeom(op).bufC), 1);
}

export function emitAddConvFast(op: KAddConv2d, m: Pick<KernelModule, 'consts'>, opts: { fn?: string } = {}): FastResult {
  const why = addConvFastApplies(op);
  if (why) return { ok: false, reason: why };
  const { geom: g, steps } = addGeom(op);
  const wc = constById(m, op.weights).data;
  const bias = constById(m, op.bias).data;
  const zp = -op.inputOffset;
  const perOut = op.kH * op.kW * op.inC;
  const xMax = maxAbsInput(op.inputOffset);
  const rp = planRequant(op, op.outC,
    (c) => { let s = Math.abs(bias[c]!); for (let i = 0; i < perOut; i++) s += xMax + Math.abs(wc[c * perOut + i]!); return s; },
    () => 0);
  if (!rp.ok) return { ok: false, reason: rp.reason };
  const excess = new Float64Array(op.outC);
  const tByte = (oc: number, ky: number, kx: number, ic: number): number => {
    const t = wc[((oc * op.kH + ky) * op.kW + kx) * op.inC + ic]! + zp;
    return Math.min(127, Math.max(-128, t)) + 128;
  };
  for (let oc = 0; oc < op.outC; oc++) for (let i = 0; i < perOut; i++) {
    const t = wc[oc * perOut + i]! + zp;
    excess[oc] += t < -128 ? -128 - t : t > 127 ? t - 127 : 0;
  }
  const shape: ConvShape = { rowPixels: g.rowPixels, rows: g.rows, channelsPerGroup: op.outC, groups: 1, reduction: steps * 8, lanes: 4,
    maxPixels: Math.floor(1016 / g.pixelStep) + 1 };
  const registers = ARMV7M_REGISTERS - (steps > MAX_UNROLLED_STEPS ? 1 : 0);
  const blocking = chooseBlocking(shape, registers, [2]);
  const name = opts.fn ?? cIdent(`tf_addconv_${op.index}_${op.name}`);
  const dot = emitDotBlocks({
    name, kind: 'usada8', geom: g, blocking, rq: op, requant: rp.channels, singleRounding: op.rounding === 'single',
    weight: (oc, ky, kx, pos) => pos < op.inC ? tByte(oc, ky, kx, pos) : (zp + 128),
    start: (oc) => (bias[oc]! - excess[oc]!) * rp.channels[oc]!.wScale,
  });
  const pg = padGeom(op, g.bufC);
  const code = [
    SIMD_PRELUDE,
    biasUint8C(`${name}_bias8`, pg, op.inputOffset),
    dot.code,
    `static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`,
    `  uint8_t *s = (uint8_t *)(void *)scratch;`,
    `  ${name}_bias8(in, s);`,
    `  ${name}_dot(s, out);`,
    `}`,
  ].join('\n');
  const ev = evaluateBlocking(shape, blocking.pixels, blocking.channels, blocking.width, blocking.held);
  const macs = op.outH * op.outW * op.outC * shape.reduction;
  return { ok: true, kernel: { fn: name, data: dot.data, code, scratchBytes: padBytes(pg, 1), constBytes: dot.constBytes, blocking: ev,
    estimate: { instructions: Math.round(ev.instructionsPerMac * macs + pg.bufH * pg.bufW * g.bufC / 2),
      loads: Math.round(ev.loadsPerMac * macs + pg.bufH * pg.bufW * g.bufC / 4) } } };
}
