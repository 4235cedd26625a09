// The Helium (MVE) kernels of cortex-m55 (conv-helium.ts, depthwise-helium.ts) on single layers in both
// arithmetics (TFLite Micro double rounding, TFLite single rounding) against the independent reference of
// fast-fixtures.ts (plain loops over the definitions, requantised by compiler/quant) on five input patterns,
// on the host (portable MVE) and on QEMU mps3-an547.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KConst, KConv2d, KDepthwiseConv2d } from '../../compiler/kernel-ir/types.ts';
import { emitConvHelium } from '../../mcu-backend/emit/conv-helium.ts';
import { fcAsConv } from '../../mcu-backend/emit/conv-window.ts';
import { emitDepthwiseHelium } from '../../mcu-backend/emit/depthwise-helium.ts';
import { runCasesHost, runCasesOn, type RunCase } from '../../mcu-backend/emit/fast-run.ts';
import { scratchDir } from '../helpers/paths.ts';
import { convFixture, depthwiseFixture, fcFixture, Rng, type ConvParams, type Fixture, type InputPattern } from './fast-fixtures.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-helium-layers-');
const PATTERNS: InputPattern[] = ['random', 'min', 'max', 'alternating', 'zero-point'];

type Layer = { tag: string; fixture: (pt: InputPattern) => Fixture<KConv2d | KDepthwiseConv2d> ; dw?: boolean };
const conv = (tag: string, p: ConvParams, seed: number): Layer => ({ tag, fixture: (pt) => convFixture(p, new Rng(seed), pt, tag) });
const dw = (tag: string, p: ConvParams, seed: number): Layer => ({ tag, dw: true, fixture: (pt) => depthwiseFixture(p, new Rng(seed), pt, tag) });
const fc = (tag: string, p: Parameters<typeof fcFixture>[0], seed: number): Layer => ({ tag, fixture: (pt) => { const f = fcFixture(p, new Rng(seed), pt, tag); return { ...f, op: fcAsConv(f.op) }; } });

// Both arithmetics (single: TFLite's single rounding), padding, stride, dilation, narrow activation ranges,
// channel counts that are not multiples of 16 (kws's first layer: 1 input channel, 10x4), a dead channel.
const LAYERS: Layer[] = [];
for (const single of [false, true]) {
  const s = single ? 's' : 'd';
  LAYERS.push(
    conv(`c3_${s}`, { inH: 8, inW: 9, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1, single }, 201),
    conv(`c1_${s}`, { inH: 6, inW: 7, inC: 32, outC: 24, kH: 1, kW: 1, single, act: [-128, 90] }, 202),
    conv(`cs2_${s}`, { inH: 9, inW: 11, inC: 5, outC: 7, kH: 3, kW: 3, pad: 1, stride: 2, single }, 203),
    conv(`kws_${s}`, { inH: 15, inW: 10, inC: 1, outC: 9, kH: 10, kW: 4, pad: 2, stride: 2, single }, 204),
    conv(`dil_${s}`, { inH: 9, inW: 10, inC: 20, outC: 13, kH: 3, kW: 3, pad: 2, dilation: 2, single, act: [-100, 90] }, 205),
    fc(`fc_${s}`, { batches: 1, inDepth: 200, outDepth: 19, single }, 206),
    fc(`fcb_${s}`, { batches: 3, inDepth: 64, outDepth: 10, single }, 207),
    dw(`d3_${s}`, { inH: 9, inW: 10, inC: 20, outC: 20, kH: 3, kW: 3, pad: 1, single }, 208),
    dw(`ds2_${s}`, { inH: 11, inW: 13, inC: 10, outC: 10, kH: 3, kW: 3, pad: 1, stride: 2, single, act: [-90, 100] }, 209),
    dw(`d5_${s}`, { inH: 7, inW: 6, inC: 24, outC: 24, kH: 5, kW: 5, pad: 2, dilation: 1, single }, 210),
  );
}
LAYERS.push(conv('dead', { inH: 5, inW: 5, inC: 8, outC: 6, kH: 3, kW: 3, pad: 1, dead: true }, 211));

function cases(): { cases: RunCase[]; macs: number[] } {
  const out: RunCase[] = [], macs: number[] = [];
  for (const l of LAYERS) {
    const fx = PATTERNS.map((p) => l.fixture(p));
    const m = { consts: fx[0]!.consts as KConst[] };
    const r = l.dw ? emitDepthwiseHelium(fx[0]!.op as KDepthwiseConv2d, m, { fn: `h_${l.tag}` }) : emitConvHelium(fx[0]!.op as KConv2d, m, { fn: `h_${l.tag}` });
    assert.ok(r.ok, `${l.tag}: ${r.ok ? '' : r.reason}`);
    for (const f of fx) out.push({ kernel: r.kernel, input: f.input, expected: f.expected });
    macs.push(fx[0]!.op.macs);
  }
  return { cases: out, macs };
}

test('Helium layers, both arithmetics, 5 input patterns: bit-exact on the host (portable MVE) and on QEMU M55 (mps3-an547)', (t) => {
  const { cases: cs } = cases();
  if (needTools(t, 'host')) { const h = runCasesHost(join(work, 'layers-host'), cs); assert.ok(h.ok, `host: ${h.failedCases} failing cases\n${h.log}`); }
  if (needTools(t, 'm55')) {
    const q = runCasesOn('m55', join(work, 'layers-m55'), cs);
    assert.ok(q.ok, `M55: ${q.failedCases} failing cases ${q.log}`);
    assert.equal(q.instructions!.length, cs.length);
  }
});

