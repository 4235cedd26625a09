// Fast shift convolution for Cortex-M4: the per-channel spatial shifts (and the stride) are applied by
// the prepass, which writes the int16 buffer already sampled at the output pixels (x + inputOffset, 0 for
// reads outside the image, channels in the SXTAB16 order of prepass.ts); the pointwise part is then a
// flat 1x1 convolution emitted by dot-blocks.ts with the analytic blocking and the 4-instruction
// requantisation. Interior pixels (every shift lands inside) take an unrolled load/add/store per channel
// with constant offsets; border pixels a checked path.

import type { KShiftConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { ARMV7M_REGISTERS, chooseBlocking, evaluateBlocking, type ConvShape } from './blocking.ts';
import { emitDotBlocks, MAX_UNROLLED_STEPS, reductionLoop, type DotGeometry } from './dot-blocks.ts';
import { cIdent, constById, type FastResult } from './fast-kernel.ts';
import { channelAt } from './prepass.ts';
import { accRangeOf, maxAbsInput, planRequant } from './requant.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';

function shiftGeom(op: KShiftConv2d): { geom: DotGeometry; steps: number } {
  const bufC = Math.ceil(op.inC / 4) * 4;
  const n = op.outH * op.outW;
  const geom: DotGeometry = { bufW: n, bufC, rows: 1, rowPixels: n, rowStep: 0, pixelStep: bufC, kH: 1, kW: 1, kRowStep: 0, kColStep: bufC,
    groups: 1, inPerGroup: bufC, outPerGroup: op.outC, outC: op.outC, outRowStep: 0 };
  return { geom, steps: bufC / 4 };
}

export function shiftConvFastApplies(op: KShiftConv2d): string | undefined {
  if (op.batches !== 1) return 'batches > 1';
  const { geom, steps } = shiftGeom(op);
  if (steps > MAX_UNROLLED_STEPS && !reductionLoop(geom, steps, 8)) return `reduction of ${steps} steps too long`;
  return undefined;
}

export function shiftConvFastScratch(op: KShiftConv2d): number {
  return Math.ceil(op.outH * op.outW * shiftGeom(op).geom.bufC * 2 / 8) * 8;
}

function shiftPrepassC(name: string, op: KShiftConv2d, bufC: number): string {
  const dys = op.shifts.map((s) => s[0]), dxs = op.shifts.map((s) => s[1]);
  const [dyMin, dyMax, dxMin, dxMax] = [Math.min(...dys), Math.max(...dys), Math.min(...dxs), Math.max(...dxs)];
  const unit = Array.from({ length: bufC }, (_, pos) => {
    const c = channelAt(pos);
    if (c >= op.inC) return `d[${pos}] = 0;`;
    const [dy, dx] = op.shifts[c]!;
    return `d[${pos}] = (int16_t)(src[${(dy * op.inW + dx) * op.inC + c}] + ${op.inputOffset});`;
  });
  const tab = Array.from({ length: bufC }, (_, pos) => { const c = channelAt(pos); return c < op.inC ? `{${op.shifts[c]![0]},${op.shifts[c]![1]},${c}}` : `{0,0,-1}`; });
  return [
    `static void __attribute__((noinline)) ${name}(const int8_t *x, int16_t *s) {`,
    `  static const int8_t sh[${bufC}][3] = {${tab.join(',')}};`,
    `  for (int oy = 0; oy < ${op.outH}; oy++) for (int ox = 0; ox < ${op.outW}; ox++) {`,
    `    const int y = oy * ${op.strideH}, xx = ox * ${op.strideW}; int16_t *d = s + (oy * ${op.outW} + ox) * ${bufC};`,
    `    if (y + ${dyMin} >= 0 && y + ${dyMax} < ${op.inH} && xx + ${dxMin} >= 0 && xx + ${dxMax} < ${op.inW}) {`,
    `      const int8_t *src = x + (y * ${op.inW} + xx) * ${op.inC};`,
    `      ${unit.join(' ')}`,
    `    } else {`,
    `      for (int p = 0; p < ${bufC}; p++) { const int yy = y + sh[p][0], xs = xx + sh[p][1];`,
    `        d[p] = sh[p][2] >= 0 && yy >= 0 && yy < ${op.inH} && xs >= 0 && xs < ${op.inW} ? (int16_t)(x[(yy * ${op.inW} + xs) * ${op.inC} + sh[p][2]] + ${op.inputOffset}) : 0; }`,
    `    }`,
    `  }`,
    `}`].join('\n');
}

export function emitShiftConvFast(op: KShiftConv2d, m: Pick<KernelModule, 'consts'>, opts: { fn?: string } = {}): FastResult {
  const why = shiftConvFastApplies(op);
  if (why) return { ok: false, reason: why };
  const { geom: g, steps } = shiftGeom(op);
  const wc = constById(m, op.weights).data;
  const bias = constById(m, op.bias).data;
  const xMax = maxAbsInput(op.inputOffset);
  const rp = planRequant(op, op.outC,
    (c) => { let s = Math.abs(bias[c]!); for (let i = 0; i < op.inC; i++) s += Math.abs(wc[c * op.inC + i]!) * xMax; return s; },
    (c) => { let s = 0; for (let i = 0; i < op.inC; i++) s = Math.max(s, Math.abs(wc[c * op.inC + i]!)); return s; },
    (c) => accRangeOf(bias[c]!, wc, op.inputOffset, c * op.inC, op.inC));
  if (!rp.ok) return { ok: false, reason: rp.reason };
  const shape: ConvShape = { rowPixels: g.rowPixels, rows: 1, channelsPerGroup: op.outC, groups: 1, reduction: g.bufC, lanes: 2,
    maxPixels: Math.floor(1016 / (g.pixelStep * 2)) + 1 };
  const blocking = chooseBlocking(shape, ARMV7M_REGISTERS - (steps > MAX_UNROLLED_STEPS ? 1 : 0), [2]);
  const name = opts.fn ?? cIdent(`tf_shiftconv_${op.index}_${op.name}`);
  const dot = emitDotBlocks({
    name, kind: 'smlad', geom: g, blocking, rq: op, requant: rp.channels, singleRounding: op.rounding === 'single',
    weight: (oc, _ky, _kx, pos) => { const ic = channelAt(pos); return ic < op.inC ? wc[oc * op.inC + ic]! * rp.channels[oc]!.wScale : 0; },
    start: (oc) => bias[oc]! * rp.channels[oc]!.wScale,
  });
  const code = [
    SIMD_PRELUDE,
    shiftPrepassC(`${name}_shift`, op, g.bufC),
    dot.code,
    `static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`,
    `  int16_t *s = (int16_t *)(void *)scratch;`,
    `  ${name}_shift(in, s);`,
    `  ${name}_dot(s, out);`,
    `}`,
  ].join('\n');
  const ev = evaluateBlocking(shape, blocking.pixels, blocking.channels, blocking.width, blocking.held);
  const macs = g.rowPixels * op.outC * g.bufC;
  return { ok: true, kernel: { fn: name, data: dot.data, code, scratchBytes: shiftConvFastScratch(op), constBytes: dot.constBytes, blocking: ev,
    estimate: { instructions: Math.round(ev.instructionsPerMac * macs + 4 * g.rowPixels * g.bufC), loads: Math.round(ev.loadsPerMac * macs + g.rowPixels * g.bufC) } } };
}
