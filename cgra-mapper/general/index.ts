// Strategy `general` (issue 16): the general mapper. For a layer it reads the loop nest (dfg.ts), tries a
// few unrolls that fit the array, finds a modulo schedule for each (schedule.ts; cached per array and
// unroll, since the schedule depends only on the dataflow graph and the array), checks every schedule
// independently (check.ts, symbolic execution of the emitted words), emits the kernels and streams
// (emit.ts) and keeps the plan with the fewest estimated cycles (both bus models, calls included). The
// estimate uses the trip counts of the loops it built and the per-step timing function it shares with the
// simulator (cost.ts `stepCycles`), nothing else.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { CgraArch } from '../arch.ts';
import { LAUNCH_OVERHEAD, stepCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { MemLayout, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { checkSchedule } from './check.ts';
import { buildDfg, dfgText, loopNest, passOf, pixelOf, productsPerAcc, windowOf, windowTerms, type LoopNest, type Unroll } from './dfg.ts';
import { MAX_PAIRS } from '../strategies/checker-fxp.ts';
import { decodePass, emitKernel, launchParts, loadWord, passLength, primeIterations, replayLoads, tapList, tripCounts, type EmittedKernel } from './emit.ts';
import { accPlaces, bodyCycles, flushSlots, miiOf, scheduleScore, searchSchedule, WORK_PER_MS, type Block, type Schedule } from './schedule.ts';
import { makeArch } from '../arch.ts';
import type { Dfg, Operand, Product } from './dfg.ts';

export const GENERAL = 'general';

export function generalSupports(_L: CgraLayer): string | undefined {
  return undefined;
}

export interface GeneralOptions {
  /** Search budget per (array, unroll) in work units (schedule.ts `Meter`; default `searchWork`). */
  work?: number;
}

const cache = new Map<string, Schedule[]>();

/** Search budget per unroll for a graph of `products` products, in work units (never wall-clock time, so
 *  the bitstream does not depend on machine load): 200 + 60 per product ms-equivalents, at most 2500, each
 *  `WORK_PER_MS` units. Small by default (tests, the CLI); `setSearchBudget` scales it (the benchmark: 3x). */
let budgetScale = 1;
export function setSearchBudget(scale: number): void { budgetScale = scale; cache.clear(); }
export const searchBudget = (): number => budgetScale;
export const searchWork = (products: number): number => Math.round(Math.min(2500, 200 + 60 * products) * budgetScale * WORK_PER_MS);

/** Pass lengths the search weighs its schedules for: the layer's pairs per pass, at most PASS_KEY_MAX (beyond
 *  it the body dominates and longer passes would rank schedules the same). */
const PASS_KEY_MAX = 16;

/** Estimated array cycles per MAC slot of one pass of n pairs, both buses averaged: the body n (+ padding) times,
 *  and the flush's and epilogue's steps as emitted (cost.ts stepCycles). What the search minimises. */
export function passScore(arch: CgraArch, s: Schedule, n: number): number {
  const nPad = passLength(s, n);
  const e = emitKernel(arch, s, 1, nPad, 1);
  let c = 0;
  for (const bus of ['shared', 'ports'] as const) {
    c += nPad * s.body[bus];
    for (const t of [...e.flush, ...e.epi]) c += stepCycles(e.kernel, t, bus);
  }
  return c / 2 / (s.dfg.products.length * n);
}

/** The schedules for an unroll on an array, the best of each pass structure (searched once per process) for
 *  passes of n pairs (the layer's; schedules differ in their per-pass drain, padding and epilogue). */
export function schedulesFor(arch: CgraArch & Block, u: Unroll, depthwise: boolean, opts: GeneralOptions = {}, nPass = PASS_KEY_MAX): Schedule[] {
  const n = Math.min(PASS_KEY_MAX, nPass);
  const key = `${arch.rows}x${arch.cols}${arch.noWrapRows ? 'R' : ''}${arch.noWrapCols ? 'C' : ''}/${arch.registers}/${arch.instrSlots}/${depthwise ? 'dw' : 'dot'}/${unrollName(u)}/n${n}/${opts.work ?? budgetScale}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dfg = buildDfg(u, depthwise);
  const found: Schedule[] = [];
  // Each pass structure gets its own search (drained passes first, they usually pack denser).
  const work = opts.work ?? searchWork(dfg.products.length);
  const seed = 7 + u.up * 31 + u.uo * 131 + (depthwise ? 5 : 0) + (u.win ? 1000 * u.win.k + 100 * u.win.s + 10 * u.win.d : 0);
  for (const [drain, share] of [[true, 0.6], [false, 0.4]] as const) {
    searchSchedule(arch, dfg, { work: Math.round(work * share), seed: seed + (drain ? 1 : 0), modes: [drain], score: (x) => passScore(arch, x, n), each: (b) => { found.push(...b); } });
  }
  for (const s of found) {
    const why = checkSchedule(arch, s);
    if (why) throw new Error(`general: the schedule for ${key} fails the independent check: ${why}`);
  }
  cache.set(key, found);
  return found;
}

/** The best schedule for an unroll on an array. */
export function scheduleFor(arch: CgraArch, u: Unroll, depthwise: boolean, opts: GeneralOptions = {}, nPass = PASS_KEY_MAX): Schedule | undefined {
  return schedulesFor(arch, u, depthwise, opts, nPass).sort((a, b) => passScore(arch, a, nPass) - passScore(arch, b, nPass))[0];
}

/** Unrolls worth trying for this layer on this array: the tile shapes whose products fill a quarter to all
 *  of the array (half for depthwise, whose inputs are not shared), and the exact fits of small layers. */
export function unrollCandidates(L: CgraLayer, arch: CgraArch): Unroll[] {
  const pes = arch.rows * arch.cols;
  const P = L.outH * L.outW;
  const dw = L.kind === 'depthwise_conv2d';
  const hi = Math.max(1, dw ? Math.floor(pes / 2) : pes), lo = Math.max(1, Math.floor(hi / 4));
  const sizes = [1, 2, 3, 4, 6, 8, 12, 16];
  const out: Unroll[] = [];
  for (const up of sizes) for (const uo of sizes) {
    const n = up * uo;
    if (up > P || uo > L.outC || n > hi) continue;
    if (n < lo && !(up === P || uo === L.outC)) continue;
    if (Math.max(up, uo) > 4 * Math.min(up, uo) && !(up === P || uo === L.outC)) continue;
    out.push({ up, uo });
  }
  // The largest tiles first (at most 4 shapes), the mid-size tiles that schedule on any array of 16 PEs or
  // more (12 to 20 products, up to 4), then small ones that always schedule.
  const sorted = out.sort((a, b) => b.up * b.uo - a.up * a.uo);
  const big = sorted.slice(0, 4);
  for (const u of sorted.filter((x) => x.up * x.uo >= 12 && x.up * x.uo <= 20 && !big.includes(x)).slice(0, 4)) big.push(u);
  for (const u of [{ up: 2, uo: 2 }, { up: 1, uo: 2 }, { up: 2, uo: 1 }, { up: 1, uo: 1 }]) {
    if (u.up <= P && u.uo <= L.outC && u.up * u.uo <= Math.max(1, pes / 2) && !big.some((b) => b.up === u.up && b.uo === u.uo)) big.push(u);
  }
  return big;
}

/** An unroll's name: pixels x channels, and the window axis with kernel/stride/dilation for window reuse. */
export const unrollName = (u: Unroll): string => `${u.up}x${u.uo}${u.win ? `w${u.win.axis}${u.win.k}s${u.win.s}d${u.win.d}` : ''}`;

/** Window-reuse unrolls of a depthwise layer (dfg.ts): runs of pixels along each axis whose windows overlap
 *  (stride below the kernel's extent there), with one or two channels; the tile's products fill up to the
 *  array, and each accumulator's pairs per pass stay within MAX_PAIRS. */
export function windowCandidates(L: CgraLayer, arch: CgraArch): Unroll[] {
  if (L.kind !== 'depthwise_conv2d') return [];
  const pes = arch.rows * arch.cols;
  const out: Unroll[] = [];
  for (const axis of ['y', 'x'] as const) {
    const win = windowOf(L, axis);
    const A = axis === 'y' ? L.outH : L.outW, kB = axis === 'y' ? L.kW : L.kH;
    if (A < 2 || win.s >= win.k * win.d) continue;
    // Runs of 4 to 16 pixels, each balanced over the axis (25 pixels: 5 runs of 5 rather than 4 of 8).
    const ups = new Set<number>();
    for (const up of [4, 6, 8, 10, 12, 16]) ups.add(Math.ceil(A / Math.ceil(A / Math.min(up, A))));
    for (const uo of [1, 2]) for (const up of [...ups].sort((a, b) => a - b)) {
      if (uo > L.outC || up < 2) continue;
      const u: Unroll = { up, uo, win };
      const { terms } = windowTerms(win, up);
      if (terms.length * uo > pes || kB * productsPerAcc(buildDfg(u, true)) > MAX_PAIRS) continue;
      out.push(u);
    }
  }
  // The widest tiles first (fewest weight loads per MAC), at most two (each is a search of its own).
  return out.sort((a, b) => b.up * b.uo - a.up * a.uo).slice(0, 2);
}

interface Built { plan: LayerPlan; score: number }

/** A block of an array larger than 4x4: 4x4 PEs (the array's full extent where that is at most 4), with the
 *  torus-closing links only along a dimension the block spans, so a schedule searched on it reads the same
 *  neighbours wherever a copy of it sits. Undefined when the array is not a multiple of 4 or is one block. */
export function blockOf(arch: CgraArch): (CgraArch & Block) | undefined {
  const br = Math.min(4, arch.rows), bc = Math.min(4, arch.cols);
  if (arch.rows % br || arch.cols % bc || br * bc === arch.rows * arch.cols) return undefined;
  return { ...makeArch({ rows: br, cols: bc, registers: arch.registers, instrSlots: arch.instrSlots, callCycles: arch.callCycles, bus: arch.bus }), noWrapRows: br < arch.rows, noWrapCols: bc < arch.cols };
}

/** Schedule s of a block copied to every block of the array: copy r takes the next uo channels (along 'o') or
 *  up pixels (along 'p') of a tile r times as large; its loads, products and accumulators are renumbered, its
 *  PEs moved by the block's offset; copy 0 keeps the loop control. */
export function replicate(arch: CgraArch, block: Pick<CgraArch, 'rows' | 'cols'>, s: Schedule, along: 'o' | 'p', shift = 0): Schedule {
  const perRow = arch.cols / block.cols;
  const k = (arch.rows / block.rows) * perRow;
  const d = s.dfg, u = d.u;
  const nL = d.loads.length, nA = d.accs.length;
  const at = (r: number, pe: number): number => {
    const br = Math.floor(r / perRow), bc = r % perRow;
    return (Math.floor(pe / block.cols) + br * block.rows) * arch.cols + (pe % block.cols) + bc * block.cols;
  };
  const loads: Operand[] = [], products: Product[] = [], accs: { p: number; o: number }[] = [];
  for (let r = 0; r < k; r++) {
    const dO = along === 'o' ? r * u.uo : 0, dP = along === 'p' ? r * u.up : 0;
    for (const l of d.loads) loads.push(l.kind === 'w' ? { ...l, o: l.o + dO } : { ...l, p: l.p + dP, o: l.o >= 0 ? l.o + dO : l.o });
    for (const p of d.products) products.push({ p: p.p + dP, o: p.o + dO, a: p.a + r * nL, b: p.b + r * nL, acc: p.acc + r * nA });
    for (const a of d.accs) accs.push({ p: a.p + dP, o: a.o + dO });
  }
  const dfg: Dfg = { depthwise: d.depthwise, u: along === 'o' ? { ...u, uo: u.uo * k } : { ...u, up: u.up * k }, loads, products, accs };
  // Copies in odd block rows run `shift` steps later (drain schedules only), so that copies sharing columns
  // do not load in the same steps on the ports bus.
  const dt = (r: number): number => (s.drain && Math.floor(r / perRow) % 2 === 1 ? shift : 0);
  const copy = <T extends { pe: number; t: number }>(xs: T[]): T[] => Array.from({ length: k }, (_, r) => xs.map((x) => ({ ...x, pe: at(r, x.pe), t: x.t + dt(r) }))).flat();
  const adds = copy(s.adds);
  const stages = adds.map((a) => Math.floor(a.t / s.II));
  const out: Schedule = {
    ...s, rows: arch.rows, cols: arch.cols, dfg, loads: copy(s.loads), muls: copy(s.muls), adds,
    ctrl: { pe: at(0, s.ctrl.pe), dec: s.ctrl.dec }, mii: miiOf(dfg, arch.rows * arch.cols), copies: k,
    sMin: Math.min(...stages), sMax: Math.max(...stages),
  };
  out.body = bodyCycles(out);
  return out;
}

/** Copies of block schedules across a larger array for layer L: along channels, and along pixels where the
 *  tile's pixels are independent loads (not window reuse); every copy must have a real channel or pixel. */
function replicatedSchedules(L: CgraLayer, arch: CgraArch, opts: GeneralOptions): Schedule[] {
  const block = blockOf(arch);
  if (!block) return [];
  const k = (arch.rows / block.rows) * (arch.cols / block.cols);
  const out: Schedule[] = [];
  const P = L.outH * L.outW;
  for (const u of [...unrollCandidates(L, block), ...windowCandidates(L, block)]) {
    for (const s of schedulesFor(block, u, L.kind === 'depthwise_conv2d', opts, loopNest(L, u).n)) {
      for (const along of ['o', 'p'] as const) {
        if (along === 'o' ? u.uo * (k - 1) >= L.outC : u.win || u.up * (k - 1) >= P) continue;
        // The time shift of the odd block rows with the fewest ports-bus cycles per iteration (ties: none).
        let best = replicate(arch, block, s, along);
        if (s.drain && arch.rows > block.rows) {
          for (let shift = 1; shift < s.II; shift++) {
            const r = replicate(arch, block, s, along, shift);
            if (r.body.ports < best.body.ports && !checkSchedule(arch, r)) best = r;
          }
        }
        out.push(best);
      }
    }
  }
  for (const s of out) {
    const why = checkSchedule(arch, s);
    if (why) throw new Error(`general: a copied block schedule (${unrollName(s.dfg.u)}) fails the independent check: ${why}`);
  }
  return out;
}

export function planGeneral(L: CgraLayer, arch: CgraArch, opts: GeneralOptions = {}): LayerPlan {
  let best: Built | undefined;
  const tried: string[] = [];
  const consider = (s: Schedule): void => {
    const plan = buildPlan(L, arch, s);
    const score = plan.cost.shared + plan.cost.ports + 2 * plan.cost.launches * arch.callCycles;
    if (!best || score < best.score) best = { plan, score };
  };
  // Arrays made of 4x4 blocks: block schedules copied across the array; the array is searched as a whole
  // only for a layer too small to give every copy a channel or pixel.
  const copies = replicatedSchedules(L, arch, opts);
  copies.forEach(consider);
  if (!copies.length) {
    for (const u of [...unrollCandidates(L, arch), ...windowCandidates(L, arch)]) {
      const ss = schedulesFor(arch, u, L.kind === 'depthwise_conv2d', opts, loopNest(L, u).n);
      if (!ss.length) { tried.push(`${unrollName(u)}: no schedule`); continue; }
      ss.forEach(consider);
    }
  }
  if (!best) throw new TinyforgeError(`general: no modulo schedule found for ${L.name} on a ${arch.rows}x${arch.cols} array (${tried.join('; ')})`);
  return (best as Built).plan;
}

/** The plan of layer L under schedule s. */
export function buildPlan(L: CgraLayer, arch: CgraArch, s: Schedule): LayerPlan {
  const nest = loopNest(L, s.dfg.u);
  const nPad = passLength(s, nest.n);
  const parts = launchParts(nest.passes);
  const kernels = new Map<number, EmittedKernel>();
  for (const p of parts) if (!kernels.has(p.kernelId)) kernels.set(p.kernelId, emitKernel(arch, s, p.kernelId, nPad, p.passes));
  const mem = new MemLayout();
  const taps = tapList(L);
  // Per launch: column streams (replayed) and output regions.
  const streams = parts.map((p) => replayLoads(arch, s, nPad, p.passes));
  const inAddr = streams.map((cols, li) => cols.map((w, c) => (w.length ? mem.alloc(`launch ${li} column ${c} stream`, w.length * 4) : 0)));
  const outWords = parts.map((p) => {
    const e = kernels.get(p.kernelId)!;
    const perCol = new Array<number>(arch.cols).fill(0);
    for (const st of e.stores) perCol[st.pe % arch.cols]++;
    return perCol.map((n) => n * p.passes);
  });
  const outAddr = outWords.map((cols, li) => cols.map((n, c) => (n ? mem.alloc(`launch ${li} column ${c} output`, n * 4) : 0)));
  const launches: Launch[] = parts.map((p, li) => ({ kernel: p.kernelId, ptrIn: inAddr[li], ptrOut: outAddr[li] }));
  const outRegions = parts.flatMap((_, li) => outAddr[li].map((addr, c) => ({ addr, words: outWords[li][c] })).filter((r) => r.words > 0));
  const stage = (input: Int8Array): MemBlock[] => {
    const blocks: MemBlock[] = [];
    parts.forEach((p, li) => streams[li].forEach((w, c) => {
      if (!w.length) return;
      const words = new Int32Array(w.length);
      const g0 = p.first * nPad;
      for (let i = 0; i < w.length; i++) {
        const g = w[i].g;
        words[i] = g < 0 || g >= p.passes * nPad ? 0 : loadWord(nest, s, taps, input, w[i].l, g0 + g, nPad);
      }
      blocks.push({ addr: inAddr[li][c], words, what: `launch ${li} column ${c}: packed input and weight pairs in load order` });
    }));
    return blocks;
  };
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(nest.P * L.outC);
    let ri = 0;
    parts.forEach((p, li) => {
      const e = kernels.get(p.kernelId)!;
      const colData: Int32Array[] = [];
      for (let c = 0; c < arch.cols; c++) colData.push(outWords[li][c] ? regions[ri++] : new Int32Array(0));
      const at = new Array<number>(arch.cols).fill(0);
      const places = accPlaces(s);
      const prev = new Int32Array(places.length);
      for (let q = 0; q < p.passes; q++) {
        const { ot, pt } = passOf(nest, p.first + q);
        for (const st of e.stores) {
          const c = st.pe % arch.cols;
          const v = colData[c][at[c]++];
          const acc = s.dfg.accs[places[st.k].acc];
          const px = pixelOf(nest, pt, acc.p), o = ot * nest.u.uo + acc.o;
          const d = decodePass(v, prev[st.k]);
          prev[st.k] = v;
          if (px >= 0 && o < L.outC) raw[px * L.outC + o] = (raw[px * L.outC + o] + d) | 0;
        }
      }
    });
    return raw;
  };
  const cost = { shared: 0, ports: 0, launches: parts.length };
  let last = -1;
  for (const p of parts) {
    const e = kernels.get(p.kernelId)!;
    const counts = tripCounts(e, s, nPad, p.passes);
    for (const bus of ['shared', 'ports'] as const) {
      let exec = 1;
      counts.forEach((n, t) => { exec += n * stepCycles(e.kernel, t, bus); });
      cost[bus] += exec + LAUNCH_OVERHEAD(arch.cols) + (p.kernelId !== last ? arch.cols * (e.kernel.words.length + 1) : 0);
    }
    last = p.kernelId;
  }
  const iters = parts.reduce((a, p) => a + p.passes * nPad + primeIterations(s), 0);
  const view = [
    `general: ${L.name}: unroll ${s.dfg.u.up} pixel(s) x ${s.dfg.u.uo} channel(s)${s.dfg.u.win ? ` (window reuse along ${s.dfg.u.win.axis})` : ''}${s.copies ? ` (${s.copies} copies of a block schedule)` : ''}, II ${s.II} (lower bound ${Math.max(s.mii.res, s.mii.rec)}: resources ${s.mii.res}, recurrence ${s.mii.rec}), accumulates in stages ${s.sMin}..${s.sMax}, ${s.drain ? `passes finished by a flush of ${flushSlots(s).length} step(s)` : `passes padded by ${s.sMax - s.sMin} zero pair(s)`}`,
    `  ${nest.taps} taps = ${nest.pairs} packed pairs${nest.chunks > 1 ? ` in ${nest.chunks} chunks of ${nest.n}` : ''}; ${nest.passes} passes (${nest.chunks} chunk(s) x ${nest.oTiles} channel tile(s) x ${nest.pTiles} pixel tile(s)) in ${parts.length} launch(es)`,
    `  body ${s.body.shared} cycles (shared) / ${s.body.ports} (ports) per iteration of ${2 * s.dfg.products.length} MACs`,
    scheduleText(arch, s),
    dfgText(s.dfg),
  ].join('\n');
  return {
    strategy: GENERAL, layer: L, kernels: [...kernels.values()].map((e) => e.kernel), memoryBytes: mem.size, constBlocks: [], stage, launches, outRegions, gather,
    hostWork: {
      preBytes: streams.reduce((a, cols) => a + cols.reduce((b, w) => b + 4 * w.length, 0), 0), requantOps: nest.P * L.outC,
      adds: nest.P * L.outC * (nest.chunks + 2),
      notes: ['host writes every column stream in load order (packed input and weight pairs, replayed from the schedule)', 'host decodes differences of cumulative sums'],
    },
    cost, view, peak: (2 * s.dfg.products.length) / s.body.shared, slotMacs: 2 * iters * s.dfg.products.length,
    schedule: { II: s.II, resMII: s.mii.res, recMII: s.mii.rec, unroll: unrollName(s.dfg.u) + (s.copies ? `/${s.copies} copies` : ''), stages: s.sMax + 1, bodyShared: s.body.shared, bodyPorts: s.body.ports },
  };
}

/** The schedule as a grid of steps: per step, each busy PE's operation. */
export function scheduleText(arch: Pick<CgraArch, 'cols'>, s: Schedule): string {
  const cell = new Map<string, string>();
  const put = (pe: number, t: number, what: string): void => { cell.set(`${((t % s.II) + s.II) % s.II},${pe}`, `${what}@${t}`); };
  s.loads.forEach((l, i) => put(l.pe, l.t, `L${i}`));
  s.muls.forEach((m, k) => put(m.pe, m.t, `M${k}`));
  s.adds.forEach((a, k) => put(a.pe, a.t, `A${k}:R${a.reg}`));
  put(s.ctrl.pe, s.ctrl.dec, 'dec');
  put(s.ctrl.pe, s.II - 1, 'br');
  const lines: string[] = [];
  for (let t = 0; t < s.II; t++) {
    const row: string[] = [];
    for (let pe = 0; pe < s.rows * s.cols; pe++) { const c = cell.get(`${t},${pe}`); if (c) row.push(`(${Math.floor(pe / arch.cols)},${pe % arch.cols}) ${c}`); }
    lines.push(`  step ${t}: ${row.join('  ')}`);
  }
  return lines.join('\n');
}

export { scheduleScore };
export type { LoopNest };
