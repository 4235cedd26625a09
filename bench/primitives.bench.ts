// Convolution primitives on an emulated Cortex-M4 (research.md result 1, Nguyen et al., re-measured with
// this compiler's kernels): standard, grouped (2 groups), depthwise-separable (depthwise k x k + pointwise),
// shift (per-channel shift + pointwise) and add (AdderNet, L1) convolution over kernel sizes 1/3/5 and
// channel counts 8/16/32 on an 8x8 input, each on two paths:
//   simd     - the variant the backend's table picks for a DSP core (the fast generators where they apply:
//              int16 SMLAD blocks, planar depthwise, USADA8 add convolution; else the generic kernel's
//              DSP path), compiled for mps2-an386;
//   portable - the generic kernel of the same op with the DSP path compiled out (-U__ARM_FEATURE_DSP),
//              i.e. plain C on the same core.
// Every run is checked bit-exact against the reference implementations of tests/mcu-backend/fast-fixtures.ts.
// Instructions are counted exactly (icount plugin, markers around each kernel call); per primitive and
// path a least-squares line instructions = a * MACs + b with its r^2; bench/results/primitives.svg plots
// them (log-log). MACs are the theoretical ones (add conv: one |x - w| accumulation per "MAC").
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KConst, KernelModule, KernelOp } from '../compiler/kernel-ir/types.ts';
import { runCasesM4, type RunCase } from '../mcu-backend/emit/fast-run.ts';
import { VARIANTS } from '../mcu-backend/emit/registry.ts';
import { candidates, type AnyVariant, type EmitContext, type McuTargetInfo } from '../mcu-backend/emit/variant.ts';
import { addConvFixture, convFixture, depthwiseFixture, shiftConvFixture, Rng, type Fixture } from '../tests/mcu-backend/fast-fixtures.ts';

type Prim = 'standard' | 'grouped' | 'depthwise-separable' | 'shift' | 'add';
type Path = 'simd' | 'portable';
const PRIMS: Prim[] = ['standard', 'grouped', 'depthwise-separable', 'shift', 'add'];
const KS = [1, 3, 5];
const CS = [8, 16, 32];
const HW = 8;
const M4: McuTargetInfo = { cpu: 'm4', dsp: true };

function moduleOf(f: Fixture<KernelOp>): KernelModule {
  return { name: 'prim', arith: 'tflm', buffers: [], consts: f.consts, ops: [f.op], inputs: [], outputs: [] };
}

function emitWith(v: AnyVariant, f: Fixture<KernelOp>, fn: string): RunCase['kernel'] {
  const m = moduleOf(f);
  const ctx: EmitContext = { module: m, target: M4, arith: 'tflm', fn,
    konst: (id) => m.consts.find((c: KConst) => c.id === id)!, buffer: () => { throw new Error('no buffers'); } };
  const k = v.emit(f.op, ctx);
  return { fn, data: k.data, code: k.code, scratchBytes: v.scratchBytes(f.op) };
}

function pick(f: Fixture<KernelOp>, path: Path): AnyVariant {
  const c = candidates(VARIANTS, f.op, path === 'simd' ? M4 : { cpu: 'm4', dsp: false }, moduleOf(f));
  const v = path === 'simd' ? c[0] : c.find((x) => x.priority === 0);
  if (!v) throw new Error(`no variant for ${f.label}`);
  return v;
}

interface Point { prim: Prim; path: Path; k: number; c: number; macs: number; instructions: number; variants: string[] }

/** The kernels (one, or two for depthwise-separable) of one sweep point. */
function fixtures(prim: Prim, k: number, c: number, rng: Rng): Array<Fixture<KernelOp>> {
  const pad = Math.floor(k / 2);
  switch (prim) {
    case 'standard': return [convFixture({ inH: HW, inW: HW, inC: c, outC: c, kH: k, kW: k, pad }, rng, 'random', 'std')];
    case 'grouped': return [convFixture({ inH: HW, inW: HW, inC: c, outC: c, kH: k, kW: k, pad, groups: 2 }, rng, 'random', 'grp')];
    case 'depthwise-separable': return [
      depthwiseFixture({ inH: HW, inW: HW, inC: c, outC: c, kH: k, kW: k, pad }, rng, 'random', 'dws_dw'),
      convFixture({ inH: HW, inW: HW, inC: c, outC: c, kH: 1, kW: 1 }, rng, 'random', 'dws_pw')];
    case 'shift': return [shiftConvFixture({ inH: HW, inW: HW, inC: c, outC: c }, rng, 'random', 'shift')];
    case 'add': return [addConvFixture({ inH: HW, inW: HW, inC: c, outC: c, kH: k, kW: k, pad }, rng, 'random', 'add')];
  }
}

function fit(points: Point[]): { slope: number; intercept: number; r2: number } {
  const n = points.length, xs = points.map((p) => p.macs), ys = points.map((p) => p.instructions);
  const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i]! - mx) * (ys[i]! - my); sxx += (xs[i]! - mx) ** 2; syy += (ys[i]! - my) ** 2; }
  const slope = sxy / sxx, intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i]! - (slope * xs[i]! + intercept)) ** 2;
  return { slope, intercept, r2: 1 - ssr / syy };
}

const COLORS: Record<Prim, string> = { standard: '#1f77b4', grouped: '#ff7f0e', 'depthwise-separable': '#2ca02c', shift: '#9467bd', add: '#d62728' };

function svg(points: Point[], fits: Array<{ prim: Prim; path: Path; slope: number; intercept: number }>): string {
  const W = 640, H = 420, L = 70, R = 190, T = 20, B = 50;
  const xs = points.map((p) => p.macs), ys = points.map((p) => p.instructions);
  const x0 = Math.floor(Math.log10(Math.min(...xs))), x1 = Math.ceil(Math.log10(Math.max(...xs)));
  const y0 = Math.floor(Math.log10(Math.min(...ys))), y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const px = (x: number) => L + (Math.log10(x) - x0) / (x1 - x0) * (W - L - R);
  const py = (y: number) => H - B - (Math.log10(y) - y0) / (y1 - y0) * (H - T - B);
  const o: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`];
  for (let e = x0; e <= x1; e++) o.push(`<line x1="${px(10 ** e)}" y1="${T}" x2="${px(10 ** e)}" y2="${H - B}" stroke="#ddd"/>`, `<text x="${px(10 ** e)}" y="${H - B + 15}" text-anchor="middle">1e${e}</text>`);
  for (let e = y0; e <= y1; e++) o.push(`<line x1="${L}" y1="${py(10 ** e)}" x2="${W - R}" y2="${py(10 ** e)}" stroke="#ddd"/>`, `<text x="${L - 5}" y="${py(10 ** e) + 4}" text-anchor="end">1e${e}</text>`);
  o.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">theoretical MACs</text>`,
    `<text x="15" y="${(T + H - B) / 2}" transform="rotate(-90 15 ${(T + H - B) / 2})" text-anchor="middle">instructions (QEMU Cortex-M4)</text>`);
  for (const f of fits) {
    const pts = points.filter((p) => p.prim === f.prim && p.path === f.path).map((p) => p.macs).sort((a, b) => a - b);
    const seg: string[] = [];
    for (let i = 0; i <= 20; i++) { const x = pts[0]! * (pts[pts.length - 1]! / pts[0]!) ** (i / 20); const y = f.slope * x + f.intercept; if (y > 0) seg.push(`${px(x).toFixed(1)},${py(y).toFixed(1)}`); }
    o.push(`<polyline points="${seg.join(' ')}" fill="none" stroke="${COLORS[f.prim]}" stroke-width="1.5"${f.path === 'portable' ? ' stroke-dasharray="5,3"' : ''}/>`);
  }
  for (const p of points) o.push(p.path === 'simd'
    ? `<circle cx="${px(p.macs).toFixed(1)}" cy="${py(p.instructions).toFixed(1)}" r="3" fill="${COLORS[p.prim]}"/>`
    : `<rect x="${(px(p.macs) - 3).toFixed(1)}" y="${(py(p.instructions) - 3).toFixed(1)}" width="6" height="6" fill="none" stroke="${COLORS[p.prim]}"/>`);
  PRIMS.forEach((pr, i) => o.push(`<rect x="${W - R + 15}" y="${T + 10 + i * 18}" width="10" height="10" fill="${COLORS[pr]}"/>`, `<text x="${W - R + 30}" y="${T + 19 + i * 18}">${pr}</text>`));
  o.push(`<circle cx="${W - R + 20}" cy="${T + 120}" r="3" fill="#444"/><text x="${W - R + 30}" y="${T + 124}">simd (solid fit)</text>`,
    `<rect x="${W - R + 17}" y="${T + 135}" width="6" height="6" fill="none" stroke="#444"/><text x="${W - R + 30}" y="${T + 142}">portable (dashed fit)</text>`, `</svg>`);
  return o.join('\n') + '\n';
}

export default async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-prims-'));
  const points: Point[] = [];
  for (const path of ['simd', 'portable'] as Path[]) {
    const cases: RunCase[] = [];
    const owners: Array<{ point: Point }> = [];
    const rng = new Rng(2303);
    let n = 0;
    for (const prim of PRIMS) for (const k of prim === 'shift' ? [1] : KS) for (const c of CS) {
      const fx = fixtures(prim, k, c, rng);
      const point: Point = { prim, path, k, c, macs: fx.reduce((s, f) => s + f.op.macs, 0), instructions: 0, variants: [] };
      for (const f of fx) {
        const v = pick(f, path);
        point.variants.push(v.name);
        cases.push({ kernel: emitWith(v, f, `p${n++}`), input: f.input, expected: f.expected });
        owners.push({ point });
      }
      points.push(point);
    }
    const r = runCasesM4(join(dir, path), cases, path === 'portable' ? ['-U__ARM_FEATURE_DSP'] : []);
    if (!r.ok) throw new Error(`${path}: ${r.failedCases} cases not bit-exact (${r.log})`);
    r.instructions!.forEach((ins, i) => { owners[i]!.point.instructions += ins; });
  }
  rmSync(dir, { recursive: true, force: true });
  const fits = PRIMS.flatMap((prim) => (['simd', 'portable'] as Path[]).map((path) => {
    const f = fit(points.filter((p) => p.prim === prim && p.path === path));
    return { prim, path, slope: +f.slope.toFixed(4), intercept: Math.round(f.intercept), r2: +f.r2.toFixed(5) };
  }));
  const out = join('bench', 'results', 'primitives.svg');
  writeFileSync(out + '.tmp', svg(points, fits));
  renameSync(out + '.tmp', out);
  console.log('primitive             path      instr/MAC (slope)  intercept     r^2');
  for (const f of fits) console.log(`${f.prim.padEnd(21)} ${f.path.padEnd(9)} ${String(f.slope).padStart(17)} ${String(f.intercept).padStart(10)} ${String(f.r2).padStart(8)}`);
  const slope = (prim: Prim, path: Path) => fits.find((f) => f.prim === prim && f.path === path)!.slope;
  return {
    board: 'QEMU 7.2 mps2-an386 (Cortex-M4), arm-none-eabi-gcc 12.2 -O2 -fno-schedule-insns',
    sweep: { input: `${HW}x${HW}`, kernelSizes: KS, channels: CS, groups: 2, shiftKernel: '1 (shift + pointwise)' },
    fits,
    simdSpeedup: Object.fromEntries(PRIMS.map((p) => [p, +(slope(p, 'portable') / slope(p, 'simd')).toFixed(2)])),
    addVsStandard: { simd: +(slope('add', 'simd') / slope('standard', 'simd')).toFixed(2), portable: +(slope('add', 'portable') / slope('standard', 'portable')).toFixed(2) },
    points,
    plot: 'bench/results/primitives.svg',
  };
}
