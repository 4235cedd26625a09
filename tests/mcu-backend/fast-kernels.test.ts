// The fast Cortex-M4 kernel generators: bit-exact against straightforward TFLite-Micro-style references
// (fast-fixtures.ts, requantised with compiler/quant/multiplier.ts) on random shapes and the edge inputs
// (all -128, all +127, alternating, zero point only) on the host and, batched into one program, on QEMU
// Cortex-M4; the analytic blocking choice against a brute-force enumeration; the requantisation
// shortcut's preconditions enforced (the variant does not apply when they fail); the M4 cost table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KernelModule, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { emitAddConvFast } from '../../mcu-backend/emit/addconv-fast.ts';
import { ARMV7M_REGISTERS, chooseBlocking, evaluateBlocking, type ConvShape } from '../../mcu-backend/emit/blocking.ts';
import { emitConvWindow, fcAsConv } from '../../mcu-backend/emit/conv-window.ts';
import { emitDepthwise3x3Fast, emitDepthwiseGeneralFast } from '../../mcu-backend/emit/depthwise-fast.ts';
import type { FastResult } from '../../mcu-backend/emit/fast-kernel.ts';
import { runCasesHost, runCasesM4, type RunCase } from '../../mcu-backend/emit/fast-run.ts';
import { conv2dWindow, conv2dWindow8, fullyConnectedWindow } from '../../mcu-backend/emit/fast-variants.ts';
import { classify } from '../../mcu-backend/emit/m4-cost.ts';
import { planRequant } from '../../mcu-backend/emit/requant.ts';
import { emitShiftConvFast } from '../../mcu-backend/emit/shiftconv-fast.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';
import {
  addConvFixture, convFixture, depthwiseFixture, fcFixture, shiftConvFixture, Rng, type Fixture, type InputPattern,
} from './fast-fixtures.ts';

const work = scratchDir('tinyforge-fast-');
const PATTERNS: InputPattern[] = ['random', 'min', 'max', 'alternating', 'zero-point'];

function ok(r: FastResult, label: string) {
  if (!r.ok) throw new Error(`${label}: ${r.reason}`);
  return r.kernel;
}

/** Random applicable cases of every fast generator; `n` shapes per kind, each round covering all five input patterns. */
function randomCases(seed: number, n: number): Array<RunCase & { label: string }> {
  const rng = new Rng(seed);
  const out: Array<RunCase & { label: string }> = [];
  const add = (f: Fixture<KernelOp>, gen: (fn: string) => FastResult) => {
    const fn = `k${out.length}`;
    out.push({ kernel: ok(gen(fn), f.label), input: f.input, expected: f.expected, label: f.label });
  };
  for (let i = 0; i < n; i++) {
    // Each round gives the five kinds the five input patterns, rotated per round.
    const pt = (kind: number) => PATTERNS[(i + kind) % PATTERNS.length]!;
    const k = [1, 3, 5][rng.int(0, 2)]!;
    const groups = rng.int(0, 3) === 0 ? 2 : 1;
    const inC = groups > 1 ? 4 * rng.int(1, 4) * groups / 2 * 2 : rng.int(1, 40);
    const single = rng.int(0, 3) === 0;
    const act: [number, number] | undefined = rng.int(0, 3) === 0 ? [rng.int(-128, -60), rng.int(40, 127)] : undefined;
    const dilation = k === 3 && rng.int(0, 3) === 0 ? 2 : 1;
    const span = (k - 1) * dilation + 1;
    const cp = { inH: rng.int(span, 10), inW: rng.int(span, 10), inC, outC: groups * rng.int(1, 6), kH: k, kW: k, stride: rng.int(1, 2),
      dilation, pad: rng.int(0, Math.floor(k / 2)), groups, single, act };
    const c = convFixture({ ...cp, dead: i === 1 && !single }, rng, pt(0), `conv${i}`);
    add(c, (fn) => emitConvWindow(c.op, { consts: c.consts }, { fn, weights: i % 2 ? 'int8' : 'int16' }));
    const d = depthwiseFixture({ inH: rng.int(3, 11), inW: rng.int(3, 11), inC: rng.int(1, 20), outC: 0, kH: 3, kW: 3, pad: rng.int(0, 1), act }, rng, pt(1), `dw${i}`);
    add(d, (fn) => emitDepthwise3x3Fast(d.op, { consts: d.consts }, { fn }));
    const gk = [2, 3, 5][rng.int(0, 2)]!;
    const dg = depthwiseFixture({ inH: rng.int(gk, 9), inW: rng.int(gk, 9), inC: rng.int(1, 20), outC: 0, kH: gk, kW: gk, stride: rng.int(1, 2),
      pad: rng.int(0, Math.floor(gk / 2)), act }, rng, pt(i + 2), `dwg${i}`);
    add(dg, (fn) => emitDepthwiseGeneralFast(dg.op, { consts: dg.consts }, { fn }));
    // A column (width 1, kH x 1 kernel: str_ww's 1-D depthwise layers), run as a row.
    const ck = [3, 5, 10][i % 3]!;
    const dc = depthwiseFixture({ inH: rng.int(ck, ck + 12), inW: 1, inC: rng.int(1, 20), outC: 0, kH: ck, kW: 1, stride: rng.int(1, 2), act }, rng, pt(i + 3), `dwc${i}`);
    add(dc, (fn) => emitDepthwiseGeneralFast(dc.op, { consts: dc.consts }, { fn }));
    const f = fcFixture({ batches: rng.int(1, 3), inDepth: rng.int(1, i === 0 ? 400 : 100), outDepth: rng.int(1, 10), single }, rng, pt(2), `fc${i}`);
    add(f, (fn) => emitConvWindow(fcAsConv(f.op), { consts: f.consts }, { fn, weights: i % 2 ? 'int16' : 'int8' }));
    const ak = [1, 3][rng.int(0, 1)]!;
    const a = addConvFixture({ inH: rng.int(3, 8), inW: rng.int(3, 8), inC: rng.int(1, 24), outC: rng.int(1, 8), kH: ak, kW: ak,
      stride: rng.int(1, 2), pad: ak === 3 ? rng.int(0, 1) : 0, zpIn: rng.int(0, 1) ? -128 : rng.int(-128, 127) }, rng, pt(3), `add${i}`);
    add(a, (fn) => emitAddConvFast(a.op, { consts: a.consts }, { fn }));
    const s = shiftConvFixture({ inH: rng.int(2, 8), inW: rng.int(2, 8), inC: rng.int(1, 24), outC: rng.int(1, 10), stride: rng.int(1, 2) }, rng, pt(4), `shift${i}`);
    add(s, (fn) => emitShiftConvFast(s.op, { consts: s.consts }, { fn }));
  }
  // ReLU outputs (clamp minimum at or above the output zero point): the requantisation without its tie
  // correction in the nhwc16 and general depthwise kernels and the int8-weight windowed conv.
  const rr = new Rng(seed + 1000);
  for (const [zpOut, act] of [[-128, undefined], [6, [6, 120]]] as const) {
    const tag = zpOut < 0 ? 'm' : 'p';
    const d = depthwiseFixture({ inH: 7, inW: 9, inC: 12, outC: 0, kH: 3, kW: 3, pad: 1, zpOut, ...(act ? { act: [...act] as [number, number] } : {}) }, rr, 'random', `dwrelu${tag}`);
    add(d, (fn) => emitDepthwise3x3Fast(d.op, { consts: d.consts }, { fn }));
    const g = depthwiseFixture({ inH: 8, inW: 6, inC: 10, outC: 0, kH: 5, kW: 5, pad: 2, stride: 2, zpOut, ...(act ? { act: [...act] as [number, number] } : {}) }, rr, 'alternating', `dwgrelu${tag}`);
    add(g, (fn) => emitDepthwiseGeneralFast(g.op, { consts: g.consts }, { fn }));
    const c = convFixture({ inH: 6, inW: 6, inC: 12, outC: 7, kH: 3, kW: 3, pad: 1, zpOut, ...(act ? { act: [...act] as [number, number] } : {}) }, rr, 'random', `convrelu${tag}`);
    add(c, (fn) => emitConvWindow(c.op, { consts: c.consts }, { fn, weights: 'int8' }));
  }
  return out;
}

test('fast kernels are bit-exact with the reference on random shapes and edge inputs (host gcc)', (t) => {
  if (!needTools(t, 'host')) return;
  const cases = randomCases(1, 3);
  const r = runCasesHost(join(work, 'host'), cases);
  assert.equal(r.failedCases, 0, `failing cases:\n${r.log}`);
  assert.ok(r.ok);
});

test('fast kernels are bit-exact on QEMU Cortex-M4 (one program, several cases)', (t) => {
  if (!needTools(t, 'm4')) return;
  const cases = randomCases(2, 2);
  const r = runCasesM4(join(work, 'm4'), cases);
  assert.equal(r.failedCases, 0, `${r.failedCases} failing cases on M4: ${r.log}`);
  // Every case was bracketed by markers and counted.
  assert.equal(r.instructions!.length, cases.length);
  for (const n of r.instructions!) assert.ok(n > 0);
});

test('the analytic blocking choice matches a brute-force enumeration', () => {
  const shapes: ConvShape[] = [
    { rowPixels: 16, rows: 16, channelsPerGroup: 16, groups: 1, reduction: 144 },
    { rowPixels: 256, rows: 1, channelsPerGroup: 16, groups: 1, reduction: 16 },
    { rowPixels: 1, rows: 1, channelsPerGroup: 10, groups: 1, reduction: 640 },
    { rowPixels: 7, rows: 7, channelsPerGroup: 5, groups: 2, reduction: 36 },
    { rowPixels: 5, rows: 3, channelsPerGroup: 64, groups: 1, reduction: 576, maxPixels: 2 },
    { rowPixels: 9, rows: 9, channelsPerGroup: 3, groups: 1, reduction: 48, lanes: 4 },
  ];
  for (const s of shapes) for (const regs of [10, 13, 14]) {
    const chosen = chooseBlocking(s, regs);
    // Brute force: every (P, Q, width, held side) whose registers fit, scored independently here by
    // its exact load count per MAC, then instructions per MAC.
    let best: { loads: number; instr: number } | undefined;
    for (const W of [1, 2] as const) {
      if (s.reduction % ((s.lanes ?? 2) * W)) continue;
      for (const held of ['weights', 'inputs'] as const)
        for (let Q = 1; Q <= s.channelsPerGroup; Q++)
          for (let P = 1; P <= Math.min(s.rowPixels, s.maxPixels ?? Infinity); P++) {
            const regsNeeded = P * Q + W * (held === 'weights' ? Q : P) + W + 2;
            if (regsNeeded > regs) continue;
            const e = evaluateBlocking(s, P, Q, W, held);
            if (!best || e.loadsPerMac < best.loads - 1e-12 || (Math.abs(e.loadsPerMac - best.loads) <= 1e-12 && e.instructionsPerMac < best.instr - 1e-12))
              best = { loads: e.loadsPerMac, instr: e.instructionsPerMac };
          }
    }
    assert.ok(best, JSON.stringify(s));
    assert.ok(Math.abs(chosen.loadsPerMac - best.loads) < 1e-12, `${JSON.stringify(s)} regs ${regs}: chose ${chosen.loadsPerMac}, best ${best.loads}`);
    assert.ok(Math.abs(chosen.instructionsPerMac - best.instr) < 1e-12);
    assert.ok(chosen.registers <= regs);
  }
  // The documented optimum for the 3x3 16-channel layer with LDRD: 3 pixels x 2 channels (or 2 x 3), 14 registers.
  const c = chooseBlocking(shapes[0]!, ARMV7M_REGISTERS, [2]);
  assert.equal(c.pixels * c.channels, 6);
  assert.equal(c.registers, 14);
});

test('the requantisation shortcut is refused when its preconditions fail', () => {
  const rng = new Rng(5);
  const base = convFixture({ inH: 4, inW: 4, inC: 8, outC: 4, kH: 3, kW: 3, pad: 1 }, rng);
  const module = (f: Fixture<KernelOp>): KernelModule => ({ name: 'm', arith: 'tflm', buffers: [], consts: f.consts, ops: [f.op], inputs: [], outputs: [] });
  const m4 = { cpu: 'm4' as const, dsp: true };
  assert.ok(emitConvWindow(base.op, { consts: base.consts }).ok);
  assert.equal(conv2dWindow.applies(base.op, m4, module(base)), true);
  assert.equal(conv2dWindow.applies(base.op, { cpu: 'm3', dsp: false }, module(base)), false, 'no DSP, no fast variant');
  // |acc| may reach 2^30 and the output is not constant over the accumulator range: refused.
  const r1 = planRequant(base.op, 1, () => 2 ** 30, () => 1, () => [-(2 ** 30), 2 ** 30]);
  assert.equal(r1.ok, false);
  assert.match((r1 as { reason: string }).reason, /2\^30/);
  // A negative multiplier: the generator and the variant both refuse.
  const neg = { ...base.op, requant: { multiplier: Int32Array.from([-5, 1 << 30, 1 << 30, 1 << 30]), shift: Int32Array.from([-8, -8, -8, -8]) } };
  assert.match((emitConvWindow(neg, { consts: base.consts }) as { reason: string }).reason, /negative multiplier/);
  assert.equal(conv2dWindow.applies(neg, m4, module(base)), false);
  // A left shift that does not fit the int16 weights.
  const left = { ...base.op, requant: { multiplier: Int32Array.from([1 << 30, 1 << 30, 1 << 30, 1 << 30]), shift: Int32Array.from([9, 0, 0, 0]) } };
  assert.match((emitConvWindow(left, { consts: base.consts }) as { reason: string }).reason, /int16/);
  // The int8-weight form keeps the weights unscaled (the left shift goes to the accumulator): applicable.
  assert.ok(emitConvWindow(left, { consts: base.consts }, { weights: 'int8' }).ok);
  assert.equal(conv2dWindow8.applies(left, m4, module(base)), true);
  assert.equal(conv2dWindow.applies(left, m4, module(base)), false);
  // The planner's arithmetic by hand: shift -10 -> e = 10, C = 2^9 + zp * 2^10; shift +2 -> weights x 2^3, e = 0, C = zp.
  const p = planRequant({ ...base.op, outputOffset: -3, requant: { multiplier: Int32Array.from([1 << 30, 1 << 30]), shift: Int32Array.from([-10, 2]) } }, 2, () => 100, () => 127);
  assert.ok(p.ok);
  if (p.ok) {
    assert.deepEqual(p.channels.map((c) => [c.e, c.wScale, c.C]), [[10, 2, 512 - 3 * 1024], [0, 8, -3]]);
  }
  // A dead channel (zero weights, bias near 2^31) breaks the bound but has a provably constant output: folded.
  const dead = convFixture({ inH: 4, inW: 4, inC: 8, outC: 4, kH: 3, kW: 3, pad: 1, dead: true }, rng);
  const rd = emitConvWindow(dead.op, { consts: dead.consts });
  assert.ok(rd.ok, (rd as { reason?: string }).reason);
  assert.equal(dead.expected.filter((_, i) => i % 4 === 0).every((v) => v === dead.expected[0]), true, 'reference output of the dead channel is constant');
  // FC variant: refused with a negative multiplier, applicable otherwise.
  const f = fcFixture({ batches: 1, inDepth: 16, outDepth: 2 }, rng);
  const fNeg = { ...f.op, requant: { multiplier: Int32Array.from([-(1 << 30), 1 << 30]), shift: Int32Array.from([-10, -10]) } };
  assert.equal(fullyConnectedWindow.applies(fNeg, m4, module(f)), false);
  assert.equal(fullyConnectedWindow.applies(f.op, m4, module(f)), true);
});

test('M4 cost table classifies instructions as documented', () => {
  assert.deepEqual(classify('ldrd', 'r0, r1, [r2], #8'), { cls: 'ldrd_strd', cycles: 3, regs: 0 });
  assert.deepEqual(classify('ldmia.w', 'sp!, {r4, r5, r6, r7, r8, r9, sl, fp, pc}'), { cls: 'ldm_stm', cycles: 1 + 9 + 2, regs: 9 });
  assert.deepEqual(classify('push', '{r4-r7, lr}'), { cls: 'ldm_stm', cycles: 6, regs: 5 });
  assert.equal(classify('ldr.w', 'r2, [r1, #-16]').cycles, 2);
  assert.equal(classify('strb', 'r3, [r7, #16]').cycles, 2);
  assert.equal(classify('smlad', 'r1, r2, r3, r4').cycles, 1);
  assert.equal(classify('bne.n', '1386').cls, 'cond_branch');
  assert.equal(classify('bl', '1b78').cycles, 3);
  assert.equal(classify('sxtab16', 'r6, lr, r0').cycles, 1);
});
