// The windowed fast conv2d / fully connected kernels (mcu-backend/emit/conv-window.ts), int16 and int8
// weights: bit-exact against the straightforward TFLite-Micro-style references of fast-fixtures.ts on
// awkward shapes (channels not a multiple of 4, stride 2, padding, dilation, widths not a multiple of the
// register blocking, 5x5, clamped activations, single rounding, a dead channel, packed rows of 1-3 input
// channels), in the plain form and in
// the modal forms the memory planner uses (output rows [oy0, oy1) one row per call, as in-place execution
// calls it; output channel slices, as partial execution does), on the host and on QEMU Cortex-M4; the
// scratch bound of the bench shapes; the whole-overlay condition against a byte-level simulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KConv2d } from '../../compiler/kernel-ir/types.ts';
import { chooseBlocking } from '../../mcu-backend/emit/blocking.ts';
import { emitConvWindow, fcAsConv, overlaySafe, planWindow, type WeightForm, type WindowBlocks } from '../../mcu-backend/emit/conv-window.ts';
import type { FastResult } from '../../mcu-backend/emit/fast-kernel.ts';
import { runCasesHost, runCasesM4, runCasesOn, type RunCase } from '../../mcu-backend/emit/fast-run.ts';
import { pairWordRun } from '../../mcu-backend/emit/pair-words.ts';
import type { WordOrder } from '../../mcu-backend/emit/word-steps.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';
import { convFixture, fcFixture, Rng, type ConvParams, type Fixture } from './fast-fixtures.ts';

const work = scratchDir('tinyforge-convw-');

const SHAPES: ConvParams[] = [
  { inH: 6, inW: 7, inC: 16, outC: 6, kH: 3, kW: 3, pad: 1 }, // width 7: not a multiple of 3 (or 8) pixels
  { inH: 7, inW: 9, inC: 6, outC: 5, kH: 3, kW: 3, pad: 1, stride: 2 }, // 6 channels: padded to 8
  { inH: 9, inW: 7, inC: 12, outC: 7, kH: 3, kW: 3, pad: 2, dilation: 2 },
  { inH: 5, inW: 11, inC: 3, outC: 9, kH: 5, kW: 5, pad: 2, act: [-100, 90] },
  { inH: 6, inW: 6, inC: 8, outC: 6, kH: 3, kW: 3, pad: 1, single: true },
  { inH: 6, inW: 5, inC: 9, outC: 7, kH: 1, kW: 1, dead: true }, // pointwise, chunked
  { inH: 8, inW: 8, inC: 4, outC: 8, kH: 1, kW: 1, stride: 2 }, // 1x1 stride 2: row window
  { inH: 8, inW: 9, inC: 64, outC: 70, kH: 1, kW: 1 }, // growing pointwise: 5 chunks of 15 pixels, last first
  { inH: 9, inW: 9, inC: 5, outC: 10, kH: 3, kW: 3, pad: 0, stride: 2 },
  // Packed rows (inC not padded to 4, LDRDs straddling pixels): a kws-like first layer, 3 and 2 channels.
  { inH: 12, inW: 10, inC: 1, outC: 8, kH: 10, kW: 4, pad: 2, stride: 2 },
  { inH: 9, inW: 9, inC: 3, outC: 5, kH: 3, kW: 3, pad: 1, stride: 2 },
  { inH: 7, inW: 6, inC: 2, outC: 3, kH: 3, kW: 2, pad: 1 },
  // Packed rows gathered into columns for the LDM blocks (int16 weights; see the test on which layers take them).
  { inH: 21, inW: 10, inC: 1, outC: 24, kH: 10, kW: 4, pad: 1, stride: 2 },
  // LDM blocks (int16 weights) looped over kernel rows of 24 steps, a 2-channel tail block, a clamp.
  { inH: 4, inW: 5, inC: 64, outC: 10, kH: 3, kW: 3, pad: 1, act: [-50, 100] },
  // vww-like first layers (3 channels, stride 2): word-aligned packed rows widened 16 values per assembly
  // step plus a C tail (36 and 39 values a row), columns gathered by LDM / STMIA (a kernel row of 9 words
  // in two pieces, zero words after the runs), columns of 15 and 27 words: whole LDM steps and a last
  // step of 3 words; then last steps of 1 and 2 words (columns of 9 and 10 words).
  { inH: 11, inW: 12, inC: 3, outC: 8, kH: 3, kW: 3, pad: 0, stride: 2 },
  { inH: 9, inW: 13, inC: 3, outC: 8, kH: 3, kW: 6, pad: 2, stride: 2 },
  { inH: 10, inW: 11, inC: 2, outC: 8, kH: 3, kW: 3, pad: 1 },
  { inH: 9, inW: 10, inC: 3, outC: 8, kH: 2, kW: 3, pad: 0, stride: 2 },
  // 1x1 over 8 widened channels, plain form: the pixel-major LDM form (a clamp and a dead channel; 6
  // channels padded to 8, 144 pixels in two chunks, the output growing: chunks from the last one back).
  { inH: 5, inW: 7, inC: 8, outC: 13, kH: 1, kW: 1, act: [-60, 90], dead: true },
  { inH: 12, inW: 12, inC: 6, outC: 40, kH: 1, kW: 1 },
  // ReLU outputs (clamp at or above the output zero point): the requantisation without its tie correction
  // in the LDM blocks (3x3 and 1x1 over 16 channels), the pixel-major form, the dot blocks, a clamp above -128.
  { inH: 6, inW: 7, inC: 16, outC: 8, kH: 3, kW: 3, pad: 1, zpOut: -128 },
  { inH: 5, inW: 6, inC: 16, outC: 12, kH: 1, kW: 1, zpOut: -128 },
  { inH: 4, inW: 5, inC: 8, outC: 9, kH: 1, kW: 1, zpOut: 3, act: [10, 100] },
  { inH: 7, inW: 7, inC: 5, outC: 6, kH: 3, kW: 3, pad: 1, stride: 2, zpOut: -7, act: [-7, 127] },
];
/** Fully connected cases [batches, inputs, outputs]: LDM blocks unrolled (5 and 25 steps), chunked 2 x 16 + 5 steps. */
const FC: Array<[number, number, number]> = [[1, 37, 5], [3, 20, 9], [2, 296, 7], [1, 200, 5]];

function ok(r: FastResult, label: string) {
  if (!r.ok) throw new Error(`${label}: ${r.reason}`);
  return r.kernel;
}

type Form = 'plain' | 'rows' | 'slices';

/** A case running the kernel in `form`, wrapped into the plain signature the test driver calls. */
function windowCase(f: Fixture<KConv2d>, weights: WeightForm, form: Form, fn: string, blocks: WindowBlocks = 'ldm', order?: WordOrder): RunCase & { label: string } {
  const op = f.op;
  const label = `${weights}${blocks === 'dot' ? ` dot ${order ?? 'ldrd'}` : ''} ${form} ${f.label}`;
  const o = order ? { order } : {};
  if (form === 'plain') return { kernel: ok(emitConvWindow(op, { consts: f.consts }, { fn, weights, blocks, ...o }), label), input: f.input, expected: f.expected, label };
  // Slices: the smallest divisor > 1 of the output channels (the whole tensor when prime).
  const width = form === 'rows' ? op.outC : op.outC / ([2, 3, 5, 7].find((d) => op.outC % d === 0 && d < op.outC) ?? 1);
  const k = ok(emitConvWindow(op, { consts: f.consts }, { fn: `${fn}_m`, weights, blocks, ...o, mode: { width, inStride: op.inC, outStride: op.outC } }), label);
  const call = form === 'rows'
    ? `  for (int oy = 0; oy < ${op.outH}; oy++) ${fn}_m(in, out + oy * ${op.outW * op.outC}, oy, oy + 1, 0, scratch);`
    : `  for (int c0 = 0; c0 < ${op.outC}; c0 += ${width}) ${fn}_m(in, out + c0, 0, ${op.outH}, c0, scratch);`;
  const code = `${k.code}\nstatic void ${fn}(const int8_t *in, int8_t *out, int8_t *scratch) {\n${call}\n}`;
  return { kernel: { ...k, fn, code }, input: f.input, expected: f.expected, label };
}

/** `alternate`: one weight form per shape (int16 for even shapes, int8 for odd), to keep the program small. */
function cases(seed: number, forms: Form[], alternate = false): Array<RunCase & { label: string }> {
  const rng = new Rng(seed);
  const out: Array<RunCase & { label: string }> = [];
  SHAPES.forEach((sh, i) => {
    const f = convFixture(sh, rng, (['random', 'min', 'max', 'alternating', 'zero-point'] as const)[i % 5], `w${i}`);
    const forms8 = alternate ? [(['int16', 'int8'] as const)[i % 2]!] : (['int16', 'int8'] as const);
    for (const weights of forms8) for (const form of forms) {
      if (form === 'slices' && sh.single) continue;
      out.push(windowCase(f, weights, form, `cw${out.length}`));
    }
  });
  for (const [b, n, o] of FC) {
    const f = fcFixture({ batches: b, inDepth: n, outDepth: o }, rng, 'random', `fc${n}`);
    for (const weights of ['int16', 'int8'] as const)
      out.push({ kernel: ok(emitConvWindow(fcAsConv(f.op), { consts: f.consts }, { fn: `cw${out.length}`, weights }), f.label), input: f.input, expected: f.expected, label: `${weights} ${f.label}` });
  }
  return out;
}

test('windowed conv/FC kernels are bit-exact on awkward shapes in the modal forms, rows and channel slices (host gcc)', (t) => {
  if (!needTools(t, 'host')) return;
  const cs = cases(11, ['rows', 'slices'], true);
  assert.equal(cs.length, SHAPES.length * 2 - 1 + 2 * FC.length);
  const r = runCasesHost(join(work, 'host'), cs);
  assert.equal(r.failedCases, 0, `failing cases:\n${r.log}`);
});

test('windowed conv/FC kernels are bit-exact on QEMU Cortex-M4 (plain and row-by-row)', (t) => {
  if (!needTools(t, 'm4')) return;
  const cs = cases(12, ['plain', 'rows']);
  const r = runCasesM4(join(work, 'm4'), cs);
  assert.equal(r.failedCases, 0, `${r.failedCases} failing cases on M4: ${r.log}`);
  assert.equal(r.instructions!.length, cs.length);
});

test('int16-weight layers with contiguous rows of whole 8-value steps take the LDM blocks, unrolled or looped', () => {
  const rng = new Rng(5);
  const kind = (op: KConv2d, w: WeightForm = 'int16') => { const p = planWindow(op, w); return 'reason' in p ? p.reason : p.ldm?.loop.kind ?? 'dot-blocks'; };
  assert.equal(kind(convFixture({ inH: 16, inW: 16, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1 }, rng).op), 'none'); // 3 rows x 6 steps
  assert.equal(kind(convFixture({ inH: 4, inW: 5, inC: 64, outC: 10, kH: 3, kW: 3, pad: 1 }, rng).op), 'rows');
  assert.equal(kind(fcAsConv(fcFixture({ batches: 1, inDepth: 256, outDepth: 64 }, rng).op)), 'none'); // 32 steps
  assert.equal(kind(fcAsConv(fcFixture({ batches: 1, inDepth: 384, outDepth: 6 }, rng).op)), 'chunks');
  assert.equal(kind(convFixture({ inH: 16, inW: 16, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1 }, rng).op, 'int8'), 'dot-blocks');
  assert.equal(kind(convFixture({ inH: 6, inW: 6, inC: 8, outC: 6, kH: 3, kW: 3, pad: 1, single: true }, rng).op), 'dot-blocks');
  assert.equal(kind(convFixture({ inH: 9, inW: 7, inC: 12, outC: 7, kH: 3, kW: 3, pad: 2, dilation: 2 }, rng).op), 'dot-blocks');
  assert.equal(kind(convFixture({ inH: 8, inW: 8, inC: 4, outC: 8, kH: 1, kW: 1, stride: 2 }, rng).op), 'dot-blocks'); // 4-value rows
  // A packed first layer (kws 49x10x1, 10x4, stride 2): columns of 40 values gathered for the LDM blocks
  // (QEMU M4 on kws: 337 K -> 297 K instructions); the int8 form keeps the packed LDRD blocking.
  const kwsFirst = convFixture({ inH: 49, inW: 10, inC: 1, outC: 64, kH: 10, kW: 4, pad: 1, stride: 2 }, rng).op;
  const colOf = (w: WeightForm) => { const p = planWindow(kwsFirst, w); return 'reason' in p ? undefined : p.col; };
  assert.deepEqual(colOf('int16'), { Lp: 4, K8: 40, chunk: 5, windowBytes: 248 });
  assert.equal(colOf('int8'), undefined);
  const shape = planWindow(convFixture(SHAPES[12]!, rng).op, 'int16');
  assert.ok(!('reason' in shape) && shape.col, 'test shape 12 takes the columns');
  // vww's first layer (96x96x3 -> 48x48x8, 3x3 stride 2): columns of 3 runs of 10 values (9 and a zero
  // weight), 15 words: 3 whole LDM steps and a last step of 3 words.
  const vwwFirst = planWindow(convFixture({ inH: 96, inW: 96, inC: 3, outC: 8, kH: 3, kW: 3, pad: 0, stride: 2 }, rng).op, 'int16');
  assert.ok(!('reason' in vwwFirst) && vwwFirst.col && vwwFirst.ldm);
  assert.deepEqual([vwwFirst.col.Lp, vwwFirst.ldm.steps, vwwFirst.ldm.tail], [10, 3, 3]);
  // vww's second pointwise layer (48x48x8 -> 16): the pixel-major form, in the plain form only.
  const vwwPw = convFixture({ inH: 48, inW: 48, inC: 8, outC: 16, kH: 1, kW: 1 }, rng).op;
  const pm = planWindow(vwwPw, 'int16'), pmRows = planWindow(vwwPw, 'int16', { width: 16, inStride: 8, outStride: 16 });
  assert.ok(!('reason' in pm) && pm.ldm?.pixelMajor === true);
  assert.ok(!('reason' in pmRows) && pmRows.ldm && !pmRows.ldm.pixelMajor);
});

test('scratch is bounded by the window: the bench shapes need at most 2 KB', () => {
  const rng = new Rng(3);
  const c3 = convFixture({ inH: 16, inW: 16, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1 }, rng).op;
  const c1 = convFixture({ inH: 16, inW: 16, inC: 16, outC: 16, kH: 1, kW: 1 }, rng).op;
  const fc = fcAsConv(fcFixture({ batches: 1, inDepth: 256, outDepth: 64 }, rng).op);
  for (const w of ['int16', 'int8'] as const) {
    const p3 = planWindow(c3, w), p1 = planWindow(c1, w), pf = planWindow(fc, w);
    assert.ok(!('reason' in p3) && !('reason' in p1) && !('reason' in pf));
    if ('reason' in p3 || 'reason' in p1 || 'reason' in pf) return;
    // 3 padded rows of 18 pixels x 16 channels x int16.
    assert.equal(p3.scratchBytes, 3 * 18 * 16 * 2);
    assert.ok(p1.scratchBytes <= 2048, `1x1: ${p1.scratchBytes}`);
    assert.equal(pf.scratchBytes, 256 * 2);
  }
  // A bigger image does not need a bigger window along its height.
  const tall = convFixture({ inH: 64, inW: 16, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1 }, rng).op;
  const pt = planWindow(tall, 'int16');
  assert.ok(!('reason' in pt) && pt.scratchBytes === 3 * 18 * 16 * 2);
  // kws's first layer (49x10x1, 10x4, stride 2, pad 4/1): a window of 10 packed rows of 12 values (+ 8 B margin),
  // with int16 weights plus columns of 40 values for its 5 output pixels.
  const kws = planWindow(convFixture({ inH: 49, inW: 10, inC: 1, outC: 64, kH: 10, kW: 4, pad: 1, stride: 2 }, rng).op, 'int16');
  assert.ok(!('reason' in kws) && kws.packed && kws.bufC === 1);
  if (!('reason' in kws)) assert.equal(kws.scratchBytes, 10 * 12 * 2 + 8 + 5 * 40 * 2);
});

test('the whole-overlay condition matches a byte-level simulation of the window', () => {
  // Simulate: output row oy is written (bytes [oy * outRow, (oy + 1) * outRow)) after the window for oy
  // has read its input rows; any later read of an overwritten input byte is a violation.
  const simulate = (op: KConv2d): boolean => {
    const inRow = op.inW * op.inC, outRow = op.outW * op.outC, rows = (op.kH - 1) * op.dilationH + 1;
    let written = 0;
    for (let oy = 0; oy < op.outH; oy++) {
      // The window slides: after the first row only its new rows are read from the input.
      for (let r = oy > 0 && op.strideH < rows ? rows - op.strideH : 0; r < rows; r++) {
        const iy = oy * op.strideH - op.padTop + r;
        if (iy >= 0 && iy < op.inH && iy * inRow < written) return false; // reads an overwritten row
      }
      written = (oy + 1) * outRow;
    }
    return true;
  };
  const rng = new Rng(9);
  let safe = 0, unsafe = 0;
  for (let i = 0; i < 60; i++) {
    const k = [1, 3, 5][rng.int(0, 2)]!;
    const op = convFixture({ inH: rng.int(k, 9), inW: rng.int(k, 9), inC: rng.int(1, 8), outC: rng.int(1, 12), kH: k, kW: k,
      stride: rng.int(1, 2), pad: k > 1 ? rng.int(0, Math.floor(k / 2)) : 0 }, rng).op;
    if (op.kH === 1 && op.strideH === 1 && op.padTop === 0) continue; // pointwise chunks: outC <= inC, below
    const s = simulate(op);
    assert.equal(overlaySafe(op), s, JSON.stringify([op.inH, op.inW, op.inC, op.outC, op.kH, op.strideH, op.padTop]));
    if (s) safe++; else unsafe++;
  }
  assert.ok(safe > 0 && unsafe > 0, `both outcomes covered (${safe} safe, ${unsafe} not)`);
  const pw = (inC: number, outC: number) => convFixture({ inH: 4, inW: 4, inC, outC, kH: 1, kW: 1 }, rng).op;
  // Pointwise: chunks forward when the output shrinks, backward when it grows: always.
  assert.equal(overlaySafe(pw(16, 8)), true);
  assert.equal(overlaySafe(pw(8, 16)), true);
});

// The pair-encoded int8 weights (`int8p`, ldm-blocks.ts header): weights in TFLite's int8 range [-127, 127].
const PAIR_SHAPES: ConvParams[] = [
  { inH: 6, inW: 7, inC: 16, outC: 6, kH: 3, kW: 3, pad: 1, symmetric: true }, // register blocking, width 7
  { inH: 9, inW: 7, inC: 12, outC: 7, kH: 3, kW: 3, pad: 2, dilation: 2, symmetric: true },
  { inH: 9, inW: 9, inC: 8, outC: 6, kH: 5, kW: 5, pad: 2, stride: 2, act: [-100, 90], symmetric: true },
  { inH: 6, inW: 5, inC: 8, outC: 7, kH: 1, kW: 1, dead: true, symmetric: true }, // pointwise, chunked, a dead channel
  // A dead channel whose bias passes the int16 form's proof (< 2^30) but whose 256x accumulator does not fit
  // (as in vww): folded to its constant for int8p.
  { inH: 4, inW: 3, inC: 16, outC: 5, kH: 1, kW: 1, dead: true, deadBias: 1073741000, symmetric: true },
  { inH: 8, inW: 9, inC: 64, outC: 70, kH: 1, kW: 1, symmetric: true }, // growing pointwise, chunks last first
  { inH: 5, inW: 1, inC: 64, outC: 10, kH: 3, kW: 1, zpIn: -128, symmetric: true }, // 1-pixel rows: LDM blocks, unrolled
  { inH: 5, inW: 1, inC: 128, outC: 6, kH: 3, kW: 1, zpIn: 127, symmetric: true }, // LDM blocks looped over kernel rows
];
/** Fully connected: LDM blocks unrolled (32 steps) and chunked (48 steps); several batch rows: the dot blocks. */
const PAIR_FC: Array<[number, number, number]> = [[1, 256, 64], [1, 384, 6], [3, 20, 9]];

function pairCases(seed: number, forms: Form[]): Array<RunCase & { label: string }> {
  const rng = new Rng(seed);
  const out: Array<RunCase & { label: string }> = [];
  const pats = ['random', 'min', 'max', 'alternating', 'zero-point'] as const;
  PAIR_SHAPES.forEach((sh, i) => {
    // Several forms: one per shape, in turn (keeps the program small).
    for (const form of forms.length > 1 ? [forms[i % forms.length]!] : forms) out.push(windowCase(convFixture(sh, rng, pats[(i + out.length) % 5], `p${i}`), 'int8p', form, `cp${out.length}`));
  });
  PAIR_FC.forEach(([b, n, o], i) => {
    const f = fcFixture({ batches: b, inDepth: n, outDepth: o, symmetric: true }, rng, pats[i % 5], `pf${n}`);
    out.push({ kernel: ok(emitConvWindow(fcAsConv(f.op), { consts: f.consts }, { fn: `cp${out.length}`, weights: 'int8p' }), f.label), input: f.input, expected: f.expected, label: `int8p ${f.label}` });
  });
  return out;
}

test('int8p weights: bit-exact on the host (rows or channel slices, in turn) and on QEMU Cortex-M4 (plain)', (t) => {
  if (!needTools(t, 'host')) return;
  const h = runCasesHost(join(work, 'pair-host'), pairCases(21, ['rows', 'slices']));
  assert.equal(h.failedCases, 0, `failing cases:\n${h.log}`);
  if (!needTools(t, 'm4')) return;
  const cs = pairCases(22, ['plain']);
  const r = runCasesM4(join(work, 'pair-m4'), cs);
  assert.equal(r.failedCases, 0, `${r.failedCases} failing cases on M4: ${r.log}`);
  assert.equal(r.instructions!.length, cs.length);
});

test('int8p weights: which blocks each shape takes, and the layers the form declines', () => {
  const rng = new Rng(6);
  const kind = (op: KConv2d) => { const p = planWindow(op, 'int8p'); return 'reason' in p ? p.reason : p.ldm ? `ldm ${p.ldm.loop.kind}` : `dot ${p.blocking.pixels}x${p.blocking.channels}`; };
  assert.equal(kind(convFixture(PAIR_SHAPES[0]!, rng).op), 'dot 2x3');
  assert.equal(kind(convFixture({ inH: 16, inW: 16, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1 }, rng).op), 'dot 2x3');
  assert.equal(kind(convFixture(PAIR_SHAPES[6]!, rng).op), 'ldm none');
  assert.equal(kind(convFixture(PAIR_SHAPES[7]!, rng).op), 'ldm rows');
  assert.equal(kind(fcAsConv(fcFixture({ batches: 1, inDepth: 256, outDepth: 64 }, rng).op)), 'ldm none');
  assert.equal(kind(fcAsConv(fcFixture({ batches: 1, inDepth: 384, outDepth: 6 }, rng).op)), 'ldm chunks');
  assert.match(kind(convFixture({ inH: 6, inW: 6, inC: 8, outC: 6, kH: 3, kW: 3, pad: 1, single: true }, rng).op), /double rounding/);
  assert.match(kind(convFixture({ inH: 7, inW: 9, inC: 6, outC: 5, kH: 3, kW: 3, pad: 1 }, rng).op), /multiple of 4/);
  // A weight pair (w_lo < 0, w_hi = -128) has no encoding: 256 * -128 + w_lo is below int16.
  const f = convFixture({ inH: 4, inW: 4, inC: 8, outC: 2, kH: 1, kW: 1, symmetric: true }, rng);
  const w = f.consts.find((c) => c.id === f.op.weights)!.data as Int8Array;
  w[8 + 2] = -5; w[8 + 3] = -128;
  const r = emitConvWindow(f.op, { consts: f.consts }, { fn: 'x', weights: 'int8p' });
  assert.ok(!r.ok && /channel 1: weight pair \(-5, -128\)/.test(r.reason), r.ok ? 'applied' : r.reason);
  w[8 + 2] = 0; // (0, -128) encodes: bytes 0x00, 0x80
  assert.ok(emitConvWindow(f.op, { consts: f.consts }, { fn: 'x', weights: 'int8p' }).ok);
  // 256 x the accumulator must fit int32: |acc| < 2^23 (here 1024 weights of 127 against inputs up to 255).
  const big = fcFixture({ batches: 1, inDepth: 1024, outDepth: 2, zpIn: -128, symmetric: true }, rng);
  (big.consts.find((c) => c.id === big.op.weights)!.data as Int8Array).fill(127);
  const rb = emitConvWindow(fcAsConv(big.op), { consts: big.consts }, { fn: 'x', weights: 'int8p' });
  assert.ok(!rb.ok && /exceeds 2\^23/.test(rb.reason), rb.ok ? 'applied' : rb.reason);
});

// The pair form's one-pixel LDM blocks with word loads (pair-words.ts): the same table read by single LDRs,
// grouped (M3/M4) or list-scheduled for the M7's dual issue (interleaved): unrolled with the merged
// accumulator starts, looped over kernel rows, in chunks with a tail; blocks of 4, 3 and 2 channels.
const PAIR_WORD_SHAPES = [6, 7].map((i) => PAIR_SHAPES[i]!);
const PAIR_WORD_FC: Array<[number, number]> = [[256, 64], [384, 6], [200, 7], [128, 11]];

function pairWordCases(seed: number, order: WordOrder): Array<RunCase & { label: string }> {
  const rng = new Rng(seed);
  const out: Array<RunCase & { label: string }> = [];
  const pats = ['random', 'min', 'max', 'alternating', 'zero-point'] as const;
  PAIR_WORD_SHAPES.forEach((sh, i) => {
    const f = convFixture(sh, rng, pats[i % 5], `pw${i}`);
    out.push({ kernel: ok(emitConvWindow(f.op, { consts: f.consts }, { fn: `cw${out.length}`, weights: 'int8p', order }), f.label), input: f.input, expected: f.expected, label: `int8p words ${f.label}` });
  });
  PAIR_WORD_FC.forEach(([n, o], i) => {
    const f = fcFixture({ batches: 1, inDepth: n, outDepth: o, symmetric: true }, rng, pats[(i + 2) % 5], `pwf${n}`);
    out.push({ kernel: ok(emitConvWindow(fcAsConv(f.op), { consts: f.consts }, { fn: `cw${out.length}`, weights: 'int8p', order }), f.label), input: f.input, expected: f.expected, label: `int8p words ${f.label}` });
  });
  return out;
}

test('int8p one-pixel blocks with word loads (pair-words.ts): no LDM in the reduction, offsets within LDR range; bit-exact on the host and on QEMU M4 (grouped) and M7 (interleaved)', (t) => {
  const rng = new Rng(11);
  const f = fcFixture({ batches: 1, inDepth: 256, outDepth: 8, symmetric: true }, rng);
  const code = (order?: WordOrder) => ok(emitConvWindow(fcAsConv(f.op), { consts: f.consts }, { fn: 'x', weights: 'int8p', ...(order ? { order } : {}) }), 'x').code;
  assert.match(code(), /ldmia r1!, \{r6, r7\}/);
  for (const order of ['grouped', 'interleaved'] as const) {
    const c = code(order);
    assert.doesNotMatch(c, /ldmia r0!, \{r2, r3, r4, r5\}|ldmia r1!, \{r6, r7[,}]/, order);
    assert.match(c, /ldr r6, \[r1, #0\]/, order);
  }
  // Grouped: per step the 4 input words and two channels' weight words back to back, then their 12 MAC instructions.
  const step = code('grouped').split('ldr r2, [r0, #16]')[0]!.split('ldr r2, [r0, #0]')[1]!;
  assert.deepEqual((step.match(/(ldr|smlad|sxtb16) /g) ?? []).map((x) => x.trim()).slice(0, 21),
    [...Array(3 + 4 + 2 + 2).fill('ldr'), 'smlad', 'sxtb16', 'smlad', 'smlad', 'sxtb16', 'smlad', 'smlad', 'sxtb16', 'smlad', 'smlad']);
  // A kernel-row skip beyond the LDR offset range moves the pointers in between (3 steps, 5000 bytes skipped after each).
  const run = pairWordRun('grouped', ['r10', 'r11'], 3, false, () => 5000, (d, s, imm) => [`add ${d}, ${s}, #${imm}`]);
  const offs = run.flatMap((l) => [...l.matchAll(/#(\d+)\]/g)].map((m) => Number(m[1])));
  assert.ok(offs.every((o) => o < 4096), JSON.stringify(offs));
  const moved = (r: string) => run.filter((l) => l.startsWith(`add ${r}, ${r}`)).reduce((a, l) => a + Number(/#(\d+)$/.exec(l)![1]), 0);
  assert.equal(moved('r0'), 3 * 16 + 3 * 5000);
  assert.equal(moved('r1'), 3 * 2 * 8);
  if (!needTools(t, 'host')) return;
  const h = runCasesHost(join(work, 'pairw-host'), pairWordCases(41, 'grouped'));
  assert.equal(h.failedCases, 0, `failing cases:\n${h.log}`);
  for (const [cpu, order] of [['m4', 'grouped'], ['m7', 'interleaved']] as const) {
    if (!needTools(t, cpu)) return;
    const cs = pairWordCases(42, order);
    const r = runCasesOn(cpu, join(work, `pairw-${cpu}`), cs);
    assert.equal(r.failedCases, 0, `${r.failedCases} failing cases on ${cpu}: ${r.log}`);
    assert.equal(r.instructions!.length, cs.length);
  }
});

// The int16 form with the register-blocked dot blocks instead of the LDM blocks (`blocks: 'dot'`, the
// conv2d.window-dot-m4 / fully_connected.window-dot-m4 variants of window-dot.ts), with the LDRD steps
// issued as word steps (word-steps.ts) grouped (M3/M4) or interleaved (M7), and as LDRD steps: the shapes
// on which the int16 form takes the LDM blocks (so the dot form is a different kernel there).
// 1, 4, 10: shapes without LDM blocks (6 channels at stride 2, single rounding, packed rows of 3 channels).
const DOT_SHAPES = [0, 7, 12, 13, 1, 4, 10].map((i) => SHAPES[i]!);
const DOT_FC: Array<[number, number, number]> = [[1, 256, 64], [1, 384, 6], [2, 296, 7]];

function dotCases(seed: number, forms: Form[], orders: Array<WordOrder | undefined>): Array<RunCase & { label: string }> {
  const rng = new Rng(seed);
  const out: Array<RunCase & { label: string }> = [];
  const pats = ['random', 'min', 'max', 'alternating', 'zero-point'] as const;
  DOT_SHAPES.forEach((sh, i) => {
    const f = convFixture(sh, rng, pats[i % 5], `d${i}`);
    for (const order of orders) for (const form of forms.length > 1 ? [sh.single ? forms[0]! : forms[(i + out.length) % forms.length]!] : forms) out.push(windowCase(f, 'int16', form, `cd${out.length}`, 'dot', order));
  });
  DOT_FC.forEach(([b, n, o], i) => {
    const f = fcFixture({ batches: b, inDepth: n, outDepth: o }, rng, pats[(i + 2) % 5], `df${n}`);
    const order = orders[i % orders.length];
    out.push({ kernel: ok(emitConvWindow(fcAsConv(f.op), { consts: f.consts }, { fn: `cd${out.length}`, weights: 'int16', blocks: 'dot', ...(order ? { order } : {}) }), f.label), input: f.input, expected: f.expected, label: `dot ${f.label}` });
  });
  return out;
}

test('int16 dot blocks (window-dot variants): no LDM blocks where the int16 form has them, word steps also where it has none; bit-exact on the host (rows, slices; LDRD, grouped and interleaved word steps) and QEMU M4 (grouped) and M7 (interleaved)', (t) => {
  const rng = new Rng(7);
  for (const sh of DOT_SHAPES.slice(0, 4)) {
    const op = convFixture(sh, rng).op, l = planWindow(op, 'int16'), d = planWindow(op, 'int16', undefined, 'dot');
    assert.ok(!('reason' in l) && l.ldm && !('reason' in d) && !d.ldm && !d.col, JSON.stringify(sh));
  }
  // The word steps replace every LDRD of a block by two LDRs (shape 0: inputs held in registers, shape 7: weights).
  for (const i of [0, 7]) {
  const f0 = convFixture(SHAPES[i]!, rng);
  const code = (order?: WordOrder) => ok(emitConvWindow(f0.op, { consts: f0.consts }, { fn: 'x', weights: 'int16', blocks: 'dot', ...(order ? { order } : {}) }), 'x').code;
  assert.match(code(), /TFK_LDRD_POST\((h0a, h0b|u0, u1), w\)/);
  assert.doesNotMatch(code('grouped'), /TFK_LDRD\w*\((h\d+a|u0),/);
  assert.match(code('interleaved'), /TFK_SMLAD_V\(a\d_\d, xp\d_1, wq\d_1\)/);
  }
  if (!needTools(t, 'host')) return;
  const h = runCasesHost(join(work, 'dot-host'), dotCases(31, ['rows', 'slices'], [undefined, 'grouped', 'interleaved']));
  assert.equal(h.failedCases, 0, `failing cases:\n${h.log}`);
  for (const [cpu, order] of [['m4', 'grouped'], ['m7', 'interleaved']] as const) {
    if (!needTools(t, cpu)) return;
    const cs = dotCases(32, ['plain'], [order]);
    const r = runCasesOn(cpu, join(work, `dot-${cpu}`), cs);
    assert.equal(r.failedCases, 0, `${r.failedCases} failing cases on ${cpu}: ${r.log}`);
    assert.equal(r.instructions!.length, cs.length);
  }
});

// The dot blocks' blocking by modelled M4 cycles where the instruction count picks a held-weight blocking
// (conv-window.ts dotCycleScore): a 1x1 stride-2 convolution over 16 channels (resnet's shortcut) takes
// 3 pixels x 2 channels on 16-pixel rows, not the instruction count's 8 x 1; bit-exact on the host and QEMU M4 (grouped) and M7 (interleaved).
test('int16 dot blocks: a 1x1 over 16 channels takes 3 x 2 held weights (cycles), not 8 x 1 (instructions); bit-exact on the host, QEMU M4 and M7', (t) => {
  const rng = new Rng(12);
  const shapes: ConvParams[] = [{ inH: 4, inW: 32, inC: 16, outC: 10, kH: 1, kW: 1, stride: 2 }, { inH: 6, inW: 9, inC: 8, outC: 7, kH: 1, kW: 1, pad: 0, act: [-90, 100] }];
  const fx = shapes.map((sh, i) => convFixture(sh, rng, (['random', 'max'] as const)[i]!, `s${i}`));
  const p = planWindow(fx[0]!.op, 'int16', undefined, 'dot');
  if ('reason' in p) throw new Error(p.reason);
  const byInstructions = chooseBlocking(p.shape, 14, [2]);
  assert.deepEqual([byInstructions.pixels, byInstructions.channels, byInstructions.held], [8, 1, 'weights']);
  assert.ok(p.blocking.pixels === 3 && p.blocking.channels === 2 && p.blocking.held === 'weights', JSON.stringify(p.blocking));
  if (!needTools(t, 'host')) return;
  const mk = (order: WordOrder) => fx.flatMap((f, i) => (['plain', 'rows'] as const).map((form) => windowCase(f, 'int16', form, `cs${i}${form[0]}`, 'dot', order)));
  const h = runCasesHost(join(work, 'dot13-host'), mk('grouped'));
  assert.equal(h.failedCases, 0, `failing cases:\n${h.log}`);
  for (const [cpu, order] of [['m4', 'grouped'], ['m7', 'interleaved']] as const) {
    if (!needTools(t, cpu)) return;
    const cs = mk(order);
    const r = runCasesOn(cpu, join(work, `dot13-${cpu}`), cs);
    assert.equal(r.failedCases, 0, `${r.failedCases} failing cases on ${cpu}: ${r.log}`);
    assert.equal(r.instructions!.length, cs.length);
  }
});
