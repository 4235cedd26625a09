// Emission for the general mapper: a modulo schedule (schedule.ts) becomes a kernel in the assembler's
// encoding (strategies/program.ts, isa/), and a layer's loop nest (dfg.ts) becomes its launches, the
// host-built column streams and the host post-step.
//
// Kernel: 2 prologue steps (inner counter n' + sMin (n' in drain schedules), outer counter = passes), the II body steps (label
// `body`, the control PE's BNE in the last), in drain schedules the flush (the operations of stage >= 1 of the
// pass's last iterations, the classic modulo-schedule epilogue), the epilogue (every accumulator stored with
// SWD, the inner counter reloaded with n', the outer one decremented, BNE back to `body`), EXIT. Trip counts
// come from this structure: the body runs passes * n' + sMin times (drain: passes * n'), the flush and the
// epilogue `passes` times.
// Streams: every LWD reads the next word of its column (the RTL serves a column's PEs row 0 first), so the
// host lays out each column's stream by replaying the kernel's control flow: the load of step t mod II in
// kernel iteration j reads operand l of iteration g = j - stage; iterations outside the launch, and the
// padded pairs i >= n of a pass, read 0. Stores are replayed the same way to know which accumulator each
// output word is; the host takes differences of successive cumulative sums of an accumulator and decodes
// them as checker-fxp does.
import { DIRS, neighbour, type BusModel, type CgraArch } from '../arch.ts';
import { LAUNCH_OVERHEAD, stepCycles } from '../cost.ts';
import type { Kernel } from '../isa/image.ts';
import { inputAt, weightAt, type CgraLayer } from '../layer.ts';
import { decodeFxp } from '../strategies/checker-fxp.ts';
import { ins, KernelBuilder, type PInstr, type Reg, type Src } from '../strategies/program.ts';
import { passOf, pixelOf, type LoopNest } from './dfg.ts';
import { accPlaces, CTRL_INNER, CTRL_OUTER, epilogueSteps, flushSlots, passOverhead, type Schedule } from './schedule.ts';

/** Body iterations the first pass of a launch runs beyond n' (filling the pipeline; none in drain schedules). */
export const primeIterations = (s: Schedule): number => (s.drain ? 0 : s.sMin);
/** n' = n + the schedule's per-pass overhead. */
export const passLength = (s: Schedule, n: number): number => n + passOverhead(s);

const SRC_OF: Record<string, Src> = { L: 'RCL', R: 'RCR', T: 'RCT', B: 'RCB' };
const REG = (i: number): Reg => `R${i}` as Reg;
const mod = (a: number, m: number): number => ((a % m) + m) % m;

/** Operand name PE `reader` uses to read `producer`'s ROUT. */
export function srcOf(arch: Pick<CgraArch, 'rows' | 'cols'>, reader: number, producer: number): Src {
  if (reader === producer) return 'SELF';
  const r = Math.floor(reader / arch.cols), c = reader % arch.cols;
  for (const d of DIRS) { const [nr, nc] = neighbour(arch, r, c, d); if (nr * arch.cols + nc === producer) return SRC_OF[d]; }
  throw new Error(`PE ${producer} is not a neighbour of PE ${reader}`);
}

export interface EmittedKernel {
  kernel: Kernel;
  /** Step indices: prologue, body, epilogue, exit. */
  pro: number[]; body: number[]; flush: number[]; epi: number[]; exit: number;
  /** Epilogue stores in service order per step: [step][(pe, accumulator register k of schedule.ts accPlaces)]. */
  stores: { step: number; pe: number; k: number }[];
}

const peOf = (arch: Pick<CgraArch, 'cols'>, pe: number): readonly [number, number] => [Math.floor(pe / arch.cols), pe % arch.cols];

/** The kernel for `passes` passes of n' = nPad body iterations each. */
export function emitKernel(arch: CgraArch, s: Schedule, id: number, nPad: number, passes: number): EmittedKernel {
  const b = new KernelBuilder(arch, id, 'general');
  const C = peOf(arch, s.ctrl.pe);
  const pro = [b.step(), b.step()];
  b.set(pro[0], C, ins.sadd(REG(CTRL_INNER), 'ZERO', nPad + primeIterations(s)));
  b.set(pro[1], C, ins.sadd(REG(CTRL_OUTER), 'ZERO', passes));
  const body = Array.from({ length: s.II }, (_, i) => b.step(i === 0 ? 'body' : undefined));
  const ops = bodyOps(arch, s);
  for (const o of ops) b.set(body[mod(o.t, s.II)], peOf(arch, o.pe), o.ins);
  b.set(body[s.ctrl.dec], C, ins.ssub(REG(CTRL_INNER), REG(CTRL_INNER), 1));
  b.set(body[s.II - 1], C, ins.bne(REG(CTRL_INNER), 'ZERO', 'body'));
  // Drain schedules: the flush finishes the pass's last iterations (copy f runs the operations of stage >= f;
  // empty steps are left out, which keeps every read after its value's production and in the same order).
  const flush: number[] = [];
  for (const slot of flushSlots(s)) {
    const st = b.step();
    flush.push(st);
    for (const o of ops) if (mod(o.t, s.II) === slot.t && Math.floor(o.t / s.II) >= slot.f) b.set(st, peOf(arch, o.pe), o.ins);
  }
  // Epilogue: per PE its stores; the control PE also reloads, decrements and branches (last step).
  const places = accPlaces(s);
  const perPe = new Map<number, number[]>();
  places.forEach(({ pe }, r) => { perPe.set(pe, [...(perPe.get(pe) ?? []), r]); });
  const nEpi = epilogueSteps(new Map([...perPe].map(([pe, ks]) => [pe, ks.length])), s.ctrl.pe, s.drain);
  const storeSteps = s.drain ? nEpi - 1 : nEpi;
  const epi = Array.from({ length: nEpi }, () => b.step());
  const stores: { step: number; pe: number; k: number }[] = [];
  // Spread each PE's stores over the steps starting at a column-dependent offset (ports bus balance).
  for (const [pe, ks] of perPe) {
    const isC = pe === s.ctrl.pe;
    const avail = isC ? nEpi - 3 : storeSteps;
    const off = isC ? 0 : (pe % arch.cols + Math.floor(pe / arch.cols)) % Math.max(1, avail - ks.length + 1);
    ks.forEach((k, i) => {
      const st = epi[off + i];
      b.set(st, peOf(arch, pe), ins.swd(REG(places[k].reg), 4));
      stores.push({ step: off + i, pe, k });
    });
  }
  // Drain schedules: every PE but the control PE shows 0 again, so the operations of stage >= 1 that the next
  // pass's first iterations run for iterations before it (already finished by the flush) add nothing.
  if (s.drain) for (let pe = 0; pe < arch.rows * arch.cols; pe++) if (pe !== s.ctrl.pe) b.set(epi[nEpi - 1], peOf(arch, pe), ins.sadd('ROUT', 'ZERO', 'ZERO'));
  b.set(epi[nEpi - 3], C, ins.sadd(REG(CTRL_INNER), 'ZERO', nPad));
  b.set(epi[nEpi - 2], C, ins.ssub(REG(CTRL_OUTER), REG(CTRL_OUTER), 1));
  b.set(epi[nEpi - 1], C, ins.bne(REG(CTRL_OUTER), 'ZERO', 'body'));
  const exit = b.step();
  b.set(exit, [0, 0], ins.exit());
  // Service order within a step: column by column, row 0 first.
  stores.sort((x, y) => x.step - y.step || (x.pe % arch.cols) - (y.pe % arch.cols) || x.pe - y.pe);
  return { kernel: b.toKernel(), pro, body, flush, epi, exit, stores };
}

/** The body's operations at their absolute times (loads, products, accumulates; not the loop control). */
function bodyOps(arch: CgraArch, s: Schedule): { pe: number; t: number; ins: PInstr }[] {
  const out: { pe: number; t: number; ins: PInstr }[] = [];
  s.loads.forEach((l) => out.push({ pe: l.pe, t: l.t, ins: ins.lwd('ROUT', 4) }));
  s.dfg.products.forEach((p, k) => {
    const m = s.muls[k], a = s.adds[k];
    out.push({ pe: m.pe, t: m.t, ins: ins.fxpmul('ROUT', srcOf(arch, m.pe, s.loads[p.a].pe), srcOf(arch, m.pe, s.loads[p.b].pe)) });
    out.push({ pe: a.pe, t: a.t, ins: ins.sadd(REG(a.reg), REG(a.reg), srcOf(arch, a.pe, m.pe)) });
  });
  return out;
}

/** Execution count of every step of an emitted kernel for one launch (the loops it built). */
export function tripCounts(e: EmittedKernel, s: Schedule, nPad: number, passes: number): number[] {
  const counts = new Array<number>(e.kernel.words.length).fill(0);
  for (const t of e.pro) counts[t] = 1;
  for (const t of e.body) counts[t] = passes * nPad + primeIterations(s);
  for (const t of [...e.flush, ...e.epi]) counts[t] = passes;
  counts[e.exit] = 1;
  return counts;
}

/** Packs two int8 values as lo + 2^23 hi. */
const pack = (lo: number, hi: number): number => (lo + hi * (1 << 23)) | 0;

export interface LaunchPart { first: number; passes: number; kernelId: number }

/** Launches: at most 4095 passes each (the counter's immediate). */
export function launchParts(passes: number): LaunchPart[] {
  const out: LaunchPart[] = [];
  const full = 4095;
  for (let q = 0; q < passes; q += full) out.push({ first: q, passes: Math.min(full, passes - q), kernelId: 0 });
  const sizes = [...new Set(out.map((p) => p.passes))];
  for (const p of out) p.kernelId = 1 + sizes.indexOf(p.passes);
  return out;
}

/** Taps of one pixel's reduction, as (ky, kx, c); depthwise: c = -1 (the output channel's input channel). */
export function tapList(L: CgraLayer): [number, number, number][] {
  const t: [number, number, number][] = [];
  const cin = L.kind === 'depthwise_conv2d' ? 1 : L.inC;
  for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) for (let c = 0; c < cin; c++) t.push([ky, kx, L.kind === 'depthwise_conv2d' ? -1 : c]);
  return t;
}

/** The word load l of iteration g (global over the layer) reads: packed pair, or 0 outside the layer. */
export function loadWord(nest: LoopNest, s: Schedule, taps: [number, number, number][], input: Int8Array | undefined, l: number, g: number, nPad: number): number {
  const G = nest.passes * nPad;
  if (g < 0 || g >= G) return 0;
  const q = Math.floor(g / nPad), i = g % nPad;
  if (i >= nest.n) return 0;
  if (nest.u.win) return windowWord(nest, s, input, l, q, i);
  const { chunk, ot, pt } = passOf(nest, q);
  const L = nest.L;
  const op = s.dfg.loads[l];
  const j = chunk * nest.n + i;
  const t1 = taps[2 * j], t2 = taps[2 * j + 1];
  if (op.kind === 'w') {
    const o = ot * nest.u.uo + op.o;
    if (o >= L.outC) return 0;
    const w1 = t1 ? weightAt(L, o, t1[0], t1[1], t1[2]) : 0, w2 = t2 ? weightAt(L, o, t2[0], t2[1], t2[2]) : 0;
    return pack(w2, w1);
  }
  const p = pixelOf(nest, pt, op.p);
  if (p < 0 || !input) return 0;
  const oy = Math.floor(p / L.outW), ox = p % L.outW;
  const ch = (t: [number, number, number]): number => {
    if (t[2] >= 0) return t[2];
    const o = ot * nest.u.uo + op.o;
    return Math.floor(o / L.depthMultiplier);
  };
  if (op.o >= 0 && ot * nest.u.uo + op.o >= L.outC) return 0;
  const xAt = (t?: [number, number, number]): number => t ? inputAt(L, input, oy * L.strideH - L.padTop + t[0] * L.dilH, ox * L.strideW - L.padLeft + t[1] * L.dilW, ch(t)) : 0;
  return pack(xAt(t1), xAt(t2));
}

/** Window reuse (dfg.ts): iteration i is kernel tap i along B; an input word packs positions c, c+1 of the
 *  tile's span along A; a weight word packs the taps at offsets rel (lo) and rel + 1 (hi) along A. */
function windowWord(nest: LoopNest, s: Schedule, input: Int8Array | undefined, l: number, q: number, i: number): number {
  const L = nest.L, w = nest.u.win!;
  const { ot, pt } = passOf(nest, q);
  const op = s.dfg.loads[l];
  const o = ot * nest.u.uo + op.o;
  if (o >= L.outC) return 0;
  const byY = w.axis === 'y';
  if (op.kind === 'w') {
    const tapW = (r: number): number => {
      if (r < 0 || r % w.d !== 0 || r / w.d >= w.k) return 0;
      return byY ? weightAt(L, o, r / w.d, i, -1) : weightAt(L, o, i, r / w.d, -1);
    };
    return pack(tapW(op.rel! + 1), tapW(op.rel!));
  }
  if (!input) return 0;
  const B = byY ? L.outW : L.outH;
  const b = pt % B, aTile = Math.floor(pt / B);
  const a0 = aTile * nest.u.up * w.s - (byY ? L.padTop : L.padLeft) + 2 * op.p;
  const bIn = b * (byY ? L.strideW : L.strideH) - (byY ? L.padLeft : L.padTop) + i * (byY ? L.dilW : L.dilH);
  const ch = Math.floor(o / L.depthMultiplier);
  const xAt = (a: number): number => (byY ? inputAt(L, input, a, bIn, ch) : inputAt(L, input, bIn, a, ch));
  return pack(xAt(a0), xAt(a0 + 1));
}

/** Per column, the (load op, iteration within the launch) each successive LWD of a launch reads: the load of
 *  slot t in kernel iteration j reads operand l of iteration g = j - stage. Drain schedules: pass q's body
 *  iterations j < nPad read iteration q * nPad + j - stage, or -1 (a zero word) where that falls before the
 *  pass (its operations there run for an iteration the previous pass's flush finished); the flush's loads
 *  read the pass's last iterations. */
export function replayLoads(arch: Pick<CgraArch, 'cols'>, s: Schedule, nPad: number, passes: number): { l: number; g: number }[][] {
  const bySlot: { l: number; pe: number }[][] = Array.from({ length: s.II }, () => []);
  s.loads.forEach((p, l) => bySlot[mod(p.t, s.II)].push({ l, pe: p.pe }));
  for (const x of bySlot) x.sort((a, b) => (a.pe % arch.cols) - (b.pe % arch.cols) || a.pe - b.pe);
  const cols: { l: number; g: number }[][] = Array.from({ length: arch.cols }, () => []);
  const stage = (l: number): number => Math.floor(s.loads[l].t / s.II);
  if (!s.drain) {
    const iters = passes * nPad + primeIterations(s);
    for (let j = 0; j < iters; j++) for (let t = 0; t < s.II; t++) for (const { l, pe } of bySlot[t]) cols[pe % arch.cols].push({ l, g: j - stage(l) });
    return cols;
  }
  const slots = flushSlots(s);
  for (let q = 0; q < passes; q++) {
    for (let j = 0; j < nPad; j++) for (let t = 0; t < s.II; t++) for (const { l, pe } of bySlot[t]) {
      const i = j - stage(l);
      cols[pe % arch.cols].push({ l, g: i >= 0 ? q * nPad + i : -1 });
    }
    for (const { f, t } of slots) for (const { l, pe } of bySlot[t]) {
      if (stage(l) >= f) cols[pe % arch.cols].push({ l, g: q * nPad + nPad - 1 + f - stage(l) });
    }
  }
  return cols;
}

export { stepCycles, LAUNCH_OVERHEAD };
export type { BusModel };
/** Decodes one pass's accumulated FXPMUL sum (cumulative difference). */
export const decodePass = (cur: number, prev: number): number => decodeFxp((cur - prev) | 0);
