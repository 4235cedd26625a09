// mesh-fxp: a conv / FC dataflow written for the array it runs on (any 4k x 4l torus, k, l >= 1) instead of
// for the 4x4 one: the PE roles, their links, the load slots and the column streams all follow from the
// arch record, so 4x8 and 8x8 arrays use every PE.
//
// Roles (checkerboard). PEs with even row + col multiply (M). The others feed: in even rows they show
// weight words (W), in odd rows packed input pairs (X), one 32-bit word per tap pair, exactly as
// checker-fxp packs them (X = x1 + 2^23 x2, W = w2 + 2^23 w1, FXPMUL gives 2^8 (x1 w1 + x2 w2) + small
// terms, decoded by checker-fxp's decodeFxp; at most 127 pairs per chunk). A W feeder at (r, c) holds
// channel label 2 ((r / 2) mod 2) + (((c - 1) / 2) mod 2); each X feeder holds its own pixel. The four
// feeders diagonal to an X feeder then carry the four labels, so a pass computes 4 channels x (rows *
// cols / 4) pixels, each (W, X) diagonal pair once.
// - Each M has two W and two X neighbours and multiplies two of the four (W, X) combinations, one per
//   multiply step (R0 and R1 accumulate). Which two, and which in the first step, is a 4x4-periodic
//   pattern found by search (`meshPattern`): every diagonal (W, X) pair covered by exactly one M, and as
//   few loads as possible per column and multiply step.
// - A feeder read in one multiply step only may reload in either; one read in both reloads in the second.
//   Loads are balanced per column so that a multiply step hides them (2 per column on the ports bus).
// - Body per tap pair: FXPMUL, SADD R0, FXPMUL, SADD R1 (3 + 1 + 3 + 1 cycles when the loads hide): 4
//   MACs per M, i.e. rows * cols MACs per 8 cycles on the ports bus (16 MAC/cycle on 8x8).
// - Loop control lives in a feeder read in the first multiply step only (its ROUT is free in between);
//   the pass counter in one M after its stores. Every pass stores 2 words per M (int32 pair sums).
// - Streams: each column's read pointer walks one host-built stream in the exact order the column's
//   feeders load (generated from the same step schedule the estimate counts); odd columns hold only
//   weights (constant), even columns only packed inputs (written per inference).
import type { CgraArch } from '../arch.ts';
import { neighbour, type Dir } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { Kernel } from '../isa/image.ts';
import { decode } from '../isa/encoding.ts';
import { OP } from '../isa/tables.ts';
import type { CgraLayer } from '../layer.ts';
import { inputAt, weightAt } from '../layer.ts';
import type { Launch, LayerPlan, MemBlock, Region } from '../plan.ts';
import { ins, KernelBuilder, type PE, type Src } from './program.ts';
import { decodeFxp } from './checker-fxp.ts';

const MAX_PAIRS = 127;
const MAX_PASSES = 4095;

type Combo = [Dir, Dir];
interface MRole { r: number; c: number; combos: [Combo, Combo] }
interface Feeder { r: number; c: number; kind: 'W' | 'X'; label: number; reads: number; load: 1 | 3; early: boolean }
export interface MeshPattern { rows: number; cols: number; ms: MRole[]; feeders: Feeder[]; ctrl: Feeder; bodyPorts: number; bodyShared: number; pixels: number }

const SRC_OF: Record<Dir, Src> = { L: 'RCL', R: 'RCR', T: 'RCT', B: 'RCB' };
const cache = new Map<string, MeshPattern | string>();

/** Why mesh-fxp cannot use this array, or undefined. */
export function meshArrayReason(arch: CgraArch): string | undefined {
  if (arch.rows % 4 || arch.cols % 4) return `needs rows and columns that are multiples of 4 (its channel labels and roles repeat every 4 PEs), this array is ${arch.rows}x${arch.cols}`;
  const p = meshPattern(arch.rows, arch.cols);
  return typeof p === 'string' ? p : undefined;
}

/** The role pattern for a rows x cols torus (cached), or why there is none. */
export function meshPattern(R: number, C: number): MeshPattern | string {
  const key = `${R}x${C}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const a = { rows: R, cols: C };
  const isW = (r: number, c: number): boolean => (r + c) % 2 === 1 && r % 2 === 0;
  const label = (r: number, c: number): number => (isW(r, c) ? 2 * ((r / 2) % 2) + (((c - 1) / 2) % 2) : -1);
  const mPos: [number, number][] = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) if ((r + c) % 2 === 0) mPos.push([r, c]);
  const idx = (r: number, c: number): number => mPos.findIndex(([x, y]) => x === r % 4 && y === c % 4);
  let best: MeshPattern | undefined;
  for (let mask = 0; mask < 1 << 16; mask++) {
    const ms: MRole[] = [];
    const reads = new Map<number, number>();
    const covered = new Map<string, number>();
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
      if ((r + c) % 2) continue;
      const i = idx(r, c);
      const type = (mask >> i) & 1, slot = (mask >> (8 + i)) & 1;
      const pair: [Combo, Combo] = type === 0 ? [['L', 'T'], ['R', 'B']] : [['L', 'B'], ['R', 'T']];
      const combos: [Combo, Combo] = slot === 0 ? pair : [pair[1], pair[0]];
      ms.push({ r, c, combos });
      combos.forEach((cb, s) => {
        const fs = cb.map((d) => neighbour(a, r, c, d));
        for (const [fr, fc] of fs) reads.set(fr * C + fc, (reads.get(fr * C + fc) ?? 0) | (1 << s));
        const k = fs.map(([fr, fc]) => fr * C + fc).sort((x, y) => x - y).join(',');
        covered.set(k, (covered.get(k) ?? 0) + 1);
      });
    }
    // Every feeder read, and the rows * cols combinations (2 per M) all distinct: every diagonal (W, X) pair once.
    if (reads.size !== (R * C) / 2 || covered.size !== R * C || [...covered.values()].some((v) => v !== 1)) continue;
    // Load slots: read in both -> second multiply step (3); in one -> balance per column.
    const feeders: Feeder[] = [];
    const perCol = Array.from({ length: C }, () => [0, 0]);
    const flexible: Feeder[] = [];
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
      if ((r + c) % 2 === 0) continue;
      const v = reads.get(r * C + c)!;
      const f: Feeder = { r, c, kind: isW(r, c) ? 'W' : 'X', label: isW(r, c) ? label(r, c) : -1, reads: v, load: 3, early: true };
      feeders.push(f);
      if (v === 3) perCol[c][1]++;
      else flexible.push(f);
    }
    // The loop-control feeder: read in the first multiply step only, loading in the second.
    const ctrl = flexible.find((f) => f.reads === 1);
    if (!ctrl) continue;
    perCol[ctrl.c][1]++;
    for (const f of flexible) {
      if (f === ctrl) continue;
      const [n1, n3] = perCol[f.c];
      f.load = n1 < n3 ? 1 : 3;
      perCol[f.c][f.load === 1 ? 0 : 1]++;
    }
    for (const f of feeders) f.early = !(f.reads === 2 && f.load === 1);
    const stepP = (k: number): number => Math.max(3, 1 + Math.max(...perCol.map((x) => x[k])));
    const stepS = (k: number): number => Math.max(3, 1 + perCol.reduce((s, x) => s + x[k], 0));
    const bodyPorts = stepP(0) + stepP(1) + 2, bodyShared = stepS(0) + stepS(1) + 2;
    if (!best || bodyPorts < best.bodyPorts || (bodyPorts === best.bodyPorts && bodyShared < best.bodyShared)) {
      best = { rows: R, cols: C, ms, feeders, ctrl, bodyPorts, bodyShared, pixels: (R * C) / 4 };
      // Nothing beats 2 loads per column per multiply step and the loads split evenly over the two steps.
      const bound = bodyBound({ rows: R, cols: C } as CgraArch);
      if (bodyPorts <= bound.ports && bodyShared <= bound.shared) break;
    }
  }
  const out = best ?? `no role pattern covers every (weight, input) pair once on a ${R}x${C} torus`;
  cache.set(key, out);
  return out;
}

/** Lower bounds of the body per tap pair: 2 FXPMUL + 2 SADD steps, rows * cols / 2 feeder loads spread evenly over the two multiply steps. */
export function bodyBound(arch: CgraArch): { ports: number; shared: number } {
  return { ports: 2 + 2 * Math.max(3, 1 + Math.ceil(arch.rows / 4)), shared: 2 + 2 * Math.max(3, 1 + Math.ceil((arch.rows * arch.cols) / 4)) };
}

export function meshSupports(L: CgraLayer): string | undefined {
  if (L.kind === 'depthwise_conv2d') return 'depthwise has no reduction over channels (an input word would serve one channel)';
  return undefined;
}

/** Taps of one pixel's reduction, as (ky, kx, c). */
function tapsOf(L: CgraLayer): [number, number, number][] {
  const t: [number, number, number][] = [];
  for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) for (let c = 0; c < L.inC; c++) t.push([ky, kx, c]);
  return t;
}

const pack = (lo: number, hi: number): number => (lo + hi * (1 << 23)) | 0;

interface Built { kernel: Kernel; steps: { init: number; prime: number; pre: number[]; loop: number[]; post: number[]; epi: number[]; exit: number } }

function meshKernel(arch: CgraArch, pat: MeshPattern, n: number, passes: number): Built {
  const b = new KernelBuilder(arch, 1, 'mesh-fxp');
  const mp: PE = [pat.ms[0].r, pat.ms[0].c];
  const F: PE = [pat.ctrl.r, pat.ctrl.c];
  const init = b.step();
  b.set(init, F, ins.sadd('R1', 'ZERO', n - 2));
  b.set(init, mp, ins.sadd('R2', 'ZERO', passes));
  const prime = b.step();
  for (const f of pat.feeders) if (f.early) b.set(prime, [f.r, f.c], ins.lwd(f === pat.ctrl ? 'R0' : 'ROUT', 4));
  const mul = (t: number, slot: 0 | 1): void => {
    for (const m of pat.ms) b.set(t, [m.r, m.c], ins.fxpmul('ROUT', SRC_OF[m.combos[slot][0]], SRC_OF[m.combos[slot][1]]));
    for (const f of pat.feeders) if (f.load === (slot === 0 ? 1 : 3)) b.set(t, [f.r, f.c], ins.lwd(f === pat.ctrl ? 'R0' : 'ROUT', 4));
  };
  const acc = (t: number, reg: 'R0' | 'R1', first: boolean): void => {
    for (const m of pat.ms) b.set(t, [m.r, m.c], ins.sadd(reg, first ? 'ZERO' : reg, 'SELF'));
  };
  // Pass: X1(0) X2(0) X3(0) X4(0) X1(1) X2(1), loop [X3(k) X4(k) X1(k+1) X2(k+1)] for k = 1..n-2, X3(n-1) X4(n-1).
  const pre = [b.step('pass'), b.step(), b.step(), b.step(), b.step(), b.step()];
  mul(pre[0], 0); acc(pre[1], 'R0', true); mul(pre[2], 1); acc(pre[3], 'R1', true); mul(pre[4], 0); acc(pre[5], 'R0', false);
  const loop = [b.step('loop'), b.step(), b.step(), b.step()];
  mul(loop[0], 1); acc(loop[1], 'R1', false); mul(loop[2], 0); acc(loop[3], 'R0', false);
  b.set(loop[2], F, ins.ssub('R1', 'R1', 1));
  b.set(loop[3], F, ins.bne('R1', 'ZERO', 'loop'));
  const post = [b.step(), b.step()];
  mul(post[0], 1); acc(post[1], 'R1', false);
  const epi = [b.step(), b.step(), b.step(), b.step()];
  for (const m of pat.ms) { b.set(epi[0], [m.r, m.c], ins.swd('R0', 4)); b.set(epi[1], [m.r, m.c], ins.swd('R1', 4)); }
  b.set(epi[0], F, ins.sadd('R1', 'ZERO', n - 2));
  b.set(epi[1], F, ins.sadd('ROUT', 'R0', 'ZERO'));
  b.set(epi[2], mp, ins.ssub('R2', 'R2', 1));
  b.set(epi[3], mp, ins.bne('R2', 'ZERO', 'pass'));
  const exit = b.step();
  b.set(exit, mp, ins.exit());
  return { kernel: b.toKernel(), steps: { init, prime, pre, loop, post, epi, exit } };
}

/** The executed step sequence of one launch of `passes` passes (the control flow the kernel's counters give). */
function* schedule(s: Built['steps'], n: number, passes: number): Generator<number> {
  yield s.init; yield s.prime;
  for (let p = 0; p < passes; p++) {
    yield* s.pre;
    for (let k = 1; k <= n - 2; k++) yield* s.loop;
    yield* s.post;
    yield* s.epi;
  }
  yield s.exit;
}

export function planMeshFxp(L: CgraLayer, arch: CgraArch): LayerPlan {
  const why = meshSupports(L) ?? meshArrayReason(arch);
  if (why) throw new Error(`mesh-fxp: ${why}`);
  const pat = meshPattern(arch.rows, arch.cols) as MeshPattern;
  // Two orientations: the 4-label feeders show channels (rows*cols/4 pixels x 4 channels per pass) or pixels
  // (4 pixels x rows*cols/4 channels, better for small images with many channels); the one with fewer passes.
  const passes = (swap: boolean): number => Math.ceil((L.outH * L.outW) / (swap ? 4 : pat.pixels)) * Math.ceil(L.outC / (swap ? pat.pixels : 4));
  return planOriented(L, arch, pat, passes(true) < passes(false));
}

function planOriented(L: CgraLayer, arch: CgraArch, pat: MeshPattern, swap: boolean): LayerPlan {
  const taps = tapsOf(L);
  const pairs = Math.ceil(taps.length / 2);
  const chunks = Math.ceil(pairs / MAX_PAIRS);
  const n = Math.max(3, Math.ceil(pairs / chunks));
  const P = L.outH * L.outW;
  // Feeders in even rows carry one of 4 labels, the others one of rows*cols/4 indices (idx); which of them show
  // weights (role W) and which packed inputs (role X) is the orientation.
  const lattice = (f: Feeder): boolean => f.kind === 'W';
  const role = (f: Feeder): 'W' | 'X' => (lattice(f) !== swap ? 'W' : 'X');
  const cPer = swap ? pat.pixels : 4, NP = swap ? 4 : pat.pixels;
  const groups = Math.ceil(P / NP), tiles = Math.ceil(L.outC / cPer);
  const others = new Map<Feeder, number>();
  pat.feeders.filter((f) => !lattice(f)).forEach((f, i) => others.set(f, i));
  const idx = (f: Feeder): number => (lattice(f) ? f.label : others.get(f)!);
  const total = chunks * tiles * groups;
  const nLaunch = Math.ceil(total / MAX_PASSES);
  const perLaunch = Math.ceil(total / nLaunch);
  const built = meshKernel(arch, pat, n, perLaunch);
  const k = built.kernel;
  // Who loads / stores in which step, by column, rows in service order (row 0 first).
  const cols = arch.cols;
  const loadsAt = k.words.map((st) => Array.from({ length: cols }, (_, c) => st.map((row, r) => [r, decode(row[c]).op] as const).filter(([, op]) => op === OP.LWD).map(([r]) => r)));
  const storesAt = k.words.map((st) => Array.from({ length: cols }, (_, c) => st.map((row, r) => [r, decode(row[c]).op] as const).filter(([, op]) => op === OP.SWD).map(([r]) => r)));
  const feederAt = new Map(pat.feeders.map((f) => [f.r * cols + f.c, f]));
  const mAt = new Map(pat.ms.map((m) => [m.r * cols + m.c, m]));
  const passOf = (g: number): { chunk: number; tile: number; group: number } | undefined => {
    if (g >= total) return undefined;
    return { chunk: Math.floor(g / (tiles * groups)), tile: Math.floor(g / groups) % tiles, group: g % groups };
  };
  // Per launch and column: the stream entries (feeder, global pass, tap) and the stores (M, register, global pass).
  type Entry = { f: Feeder; pass: number; tap: number } | null;
  const streams: Entry[][][] = [], outs: { m: MRole; reg: 0 | 1; pass: number }[][][] = [];
  const counts = new Array<number>(k.words.length).fill(0);
  for (let l = 0; l < nLaunch; l++) {
    const st: Entry[][] = Array.from({ length: cols }, () => []);
    const ot: { m: MRole; reg: 0 | 1; pass: number }[][] = Array.from({ length: cols }, () => []);
    const nextLoad = new Map<Feeder, number>();
    let pass = -1;
    for (const t of schedule(built.steps, n, perLaunch)) {
      if (l === 0) counts[t]++;
      if (t === built.steps.pre[0]) pass++;
      for (let c = 0; c < cols; c++) {
        for (const r of loadsAt[t][c]) {
          const f = feederAt.get(r * cols + c)!;
          const i = nextLoad.get(f) ?? 0;
          nextLoad.set(f, i + 1);
          // The i-th load of a feeder is tap i of its sequence (early feeders: a priming load first and one past the end).
          const local = Math.floor(i / n), tap = i % n;
          st[c].push(local < perLaunch ? { f, pass: l * perLaunch + local, tap } : null);
        }
        for (const r of storesAt[t][c]) ot[c].push({ m: mAt.get(r * cols + c)!, reg: t === built.steps.epi[0] ? 0 : 1, pass: l * perLaunch + pass });
      }
    }
    streams.push(st); outs.push(ot);
  }
  const mem: { base: number; words: number }[][] = [];
  let next = 0;
  for (let l = 0; l < nLaunch; l++) {
    const row: { base: number; words: number }[] = [];
    for (let c = 0; c < cols; c++) { row.push({ base: next, words: streams[l][c].length }); next += streams[l][c].length; }
    for (let c = 0; c < cols; c++) { row.push({ base: next, words: outs[l][c].length }); next += outs[l][c].length; }
    mem.push(row);
  }
  const tapOf = (chunk: number, i: number, h: number): [number, number, number] | undefined => (i < n ? taps[2 * (chunk * n + i) + h] : undefined);
  const wWord = (o: number, chunk: number, i: number): number => {
    if (o >= L.outC) return 0;
    const t1 = tapOf(chunk, i, 0), t2 = tapOf(chunk, i, 1);
    const w1 = t1 ? weightAt(L, o, t1[0], t1[1], t1[2]) : 0, w2 = t2 ? weightAt(L, o, t2[0], t2[1], t2[2]) : 0;
    return pack(w2, w1);
  };
  const fc = L.kind === 'fully_connected';
  const xTap = (input: Int8Array, p: number, t: [number, number, number] | undefined): number => {
    if (!t || p >= P) return 0;
    if (fc) return input[p * L.inC + t[2]];
    const oy = Math.floor(p / L.outW), ox = p % L.outW;
    return inputAt(L, input, oy * L.strideH - L.padTop + t[0] * L.dilH, ox * L.strideW - L.padLeft + t[1] * L.dilW, t[2]);
  };
  const launches: Launch[] = mem.map((row) => ({ kernel: 1, ptrIn: row.slice(0, cols).map((m) => m.base * 4), ptrOut: row.slice(cols).map((m) => m.base * 4) }));
  const constBlocks: MemBlock[] = [];
  const stagedCols: [number, number][] = [];
  for (let l = 0; l < nLaunch; l++) for (let c = 0; c < cols; c++) {
    const e = streams[l][c];
    if (!e.length) continue;
    if (e.some((x) => x && role(x.f) === 'X')) { stagedCols.push([l, c]); continue; }
    const words = Int32Array.from(e, (x) => {
      const q = x && passOf(x.pass);
      return x && q ? wWord(q.tile * cPer + idx(x.f), q.chunk, x.tap) : 0;
    });
    constBlocks.push({ addr: mem[l][c].base * 4, words, what: `weights, column ${c}` });
  }

  const stage = (input: Int8Array): MemBlock[] => stagedCols.map(([l, c]) => ({
    addr: mem[l][c].base * 4, what: `packed input pairs, column ${c}`,
    words: Int32Array.from(streams[l][c], (x) => {
      const q = x && passOf(x.pass);
      if (!x || !q) return 0;
      const p = q.group * NP + idx(x.f);
      return pack(xTap(input, p, tapOf(q.chunk, x.tap, 0)), xTap(input, p, tapOf(q.chunk, x.tap, 1)));
    }),
  }));
  const outRegions: Region[] = [];
  const outMap: { m: MRole; reg: 0 | 1; pass: number }[] = [];
  for (let l = 0; l < nLaunch; l++) for (let c = 0; c < cols; c++) {
    if (!outs[l][c].length) continue;
    outRegions.push({ addr: mem[l][cols + c].base * 4, words: outs[l][c].length });
    outMap.push(...outs[l][c]);
  }
  const a = { rows: arch.rows, cols };
  const pairOf = (m: MRole, reg: 0 | 1): { o: number; x: number } => {
    const fs = m.combos[reg].map((d) => { const [r, c] = neighbour(a, m.r, m.c, d); return feederAt.get(r * cols + c)!; });
    const w = fs.find((f) => role(f) === 'W')!, x = fs.find((f) => role(f) === 'X')!;
    return { o: idx(w), x: idx(x) };
  };
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(P * L.outC);
    let i = 0;
    for (const reg of regions) for (let j = 0; j < reg.length; j++, i++) {
      const s = outMap[i];
      const q = passOf(s.pass);
      if (!q) continue;
      const { o: oi, x } = pairOf(s.m, s.reg);
      const o = q.tile * cPer + oi, p = q.group * NP + x;
      if (o < L.outC && p < P) raw[p * L.outC + o] += decodeFxp(reg[j]);
    }
    return raw;
  };
  const cost = { shared: kernelCycles(k, counts, nLaunch, 'shared'), ports: kernelCycles(k, counts, nLaunch, 'ports'), launches: nLaunch };
  const roles = Array.from({ length: arch.rows }, (_, r) => Array.from({ length: cols }, (_, c) => {
    const f = feederAt.get(r * cols + c);
    if (f) return `${role(f)}${idx(f)}${f === pat.ctrl ? '*' : ''}`;
    const m = mAt.get(r * cols + c)!;
    return `M${m.combos[0].join('')}/${m.combos[1].join('')}`;
  }).map((s) => s.padEnd(9)).join(' ')).join('\n');
  return {
    strategy: 'mesh-fxp', layer: L, kernels: [k], memoryBytes: Math.max(4, next * 4), constBlocks, stage, launches, outRegions, gather,
    hostWork: {
      preBytes: stagedCols.reduce((s, [l, c]) => s + streams[l][c].length * 4, 0), requantOps: P * L.outC,
      adds: chunks > 1 ? P * L.outC * (chunks - 1) : 0,
      notes: [`packed input pairs per pixel (${n} pairs x ${chunks} chunk(s)), one stream word per load of an input feeder; every stored word decoded (shift, add, shift)`],
    },
    cost,
    view: `mesh-fxp on ${arch.rows}x${cols}: ${pat.ms.length} multipliers (M<first combination>/<second>), weight feeders W<channel in the tile>, input feeders X<pixel in the group>, * = loop counter; `
      + `${NP} pixels x ${cPer} channels per pass, ${n} tap pairs per pass, ${total} passes in ${nLaunch} launch(es); `
      + `body per tap pair ${pat.bodyPorts} cycles on ports (bound ${bodyBound(arch).ports}: 2 multiply + 2 add steps, at most 2 loads per column hidden per multiply), `
      + `${pat.bodyShared} on the shared bus (bound ${bodyBound(arch).shared})\n${roles}`,
    peak: (4 * pat.ms.length) / pat.bodyShared,
    slotMacs: total * n * pat.ms.length * 4,
  };
}
