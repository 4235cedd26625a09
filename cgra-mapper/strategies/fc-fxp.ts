// Strategy `fc-fxp`: single-pixel layers (FULLY_CONNECTED with batch 1, convolutions with a 1x1 output),
// where every weight is used once, so the shared bus (one word per cycle) bounds the speed. It uses the
// packed pairs of `checker-fxp` (one FXPMUL = two MACs, exact for chunks of <= 127 tap pairs, see there):
// a weight word carries two MACs instead of the one a `checker` weight feeder can unpack per 4 cycles.
//   - 7 multipliers (checkerboard, even row + col; the one left over by the matching idles) keep the pixel's packed input pair X in R3
//     and `a` accumulators (a = 1..3 output channels) in R0..R2;
//   - 7 weight feeders, one per multiplier (a perfect matching on the torus), load one packed weight word
//     per multiply step (the word for the next multiply step), so a multiply step carries 7 loads;
//   - 2 of them, (0,1) and (2,3), whose neighbours are all 8 multipliers, also load the next X at the last
//     step of an iteration; the multipliers copy it into R3 in the first step ("C") of the next one;
//   - (1,0) only counts iterations and passes and branches.
// Body per tap pair: C, then (FXPMUL, SADD) x a. A pass = one tile of 7a output channels x one reduction
// chunk (the host adds the chunks' decoded sums); all passes run in one launch, the weight stream (packed
// offline, the per-inference X words written by the host into its slots) is read strictly in order.
// The channels left after the full tiles may run under a second kernel with fewer accumulators (planner's choice).
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { inputAt, weightAt } from '../layer.ts';
import { MemLayout, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { MAX_PAIRS, decodeFxp } from './checker-fxp.ts';
import { ins, KernelBuilder, type PE, type Src } from './program.ts';

const SHIFT = 23;
const pack = (lo: number, hi: number): number => (lo + hi * (1 << SHIFT)) | 0;

const MULS: PE[] = [[0, 0], [0, 2], [1, 1], [1, 3], [2, 0], [2, 2], [3, 1], [3, 3]];
const FEEDS: PE[] = [[0, 1], [0, 3], [1, 2], [2, 1], [2, 3], [3, 0], [3, 2]];
const CTRL: PE = [1, 0];
const X_FEEDS: PE[] = [[0, 1], [2, 3]];

function dirOf(at: PE, from: PE): Src | undefined {
  const dr = (from[0] - at[0] + 4) % 4, dc = (from[1] - at[1] + 4) % 4;
  return dr === 0 && dc === 1 ? 'RCR' : dr === 0 && dc === 3 ? 'RCL' : dr === 1 && dc === 0 ? 'RCB' : dr === 3 && dc === 0 ? 'RCT' : undefined;
}
const same = (a: PE, b: PE): boolean => a[0] === b[0] && a[1] === b[1];

/** 7 multipliers matched to the 7 weight feeders (search; the multiplier left over idles). */
function matching(): { mul: PE; feed: PE }[] {
  const out: { mul: PE; feed: PE }[] = [];
  const used = new Set<number>();
  const go = (f: number): boolean => {
    if (f === FEEDS.length) return true;
    for (let m = 0; m < MULS.length; m++) {
      if (used.has(m) || !dirOf(MULS[m], FEEDS[f])) continue;
      used.add(m); out.push({ mul: MULS[m], feed: FEEDS[f] });
      if (go(f + 1)) return true;
      used.delete(m); out.pop();
    }
    return false;
  };
  if (!go(0)) throw new Error('fc-fxp: no matching');
  return out;
}
const MATCH = matching();
/** The X feeder next to each active multiplier. */
const xFeedOf = (m: PE): PE => X_FEEDS.find((x) => dirOf(m, x))!;

/** Body: C, (M, A) x a; epilogue: a stores, a resets (at least 3 steps); pass loop in one launch. */
export function fcKernel(arch: CgraArch, id: number, a: number, iters: number, passes: number): { kernel: ReturnType<KernelBuilder['toKernel']>; counts: number[] } {
  if (arch.rows !== 4 || arch.cols !== 4) throw new Error('fc-fxp needs a 4x4 array');
  if (a < 1 || a > 3) throw new Error(`fc-fxp: ${a} accumulators per multiplier (1..3)`);
  if (iters < 2 || iters > MAX_PAIRS + 1) throw new Error(`fc-fxp: ${iters} iterations per pass`);
  if (passes < 1 || passes > 4095) throw new Error(`fc-fxp: ${passes} passes per launch (1..4095)`);
  const b = new KernelBuilder(arch, id, 'fc-fxp');
  const pro = b.step();
  b.set(pro, CTRL, ins.sadd('R2', 'ZERO', iters));
  const pro1 = b.step();
  b.set(pro1, CTRL, ins.sadd('R3', 'ZERO', passes));
  const body = Array.from({ length: 1 + 2 * a }, (_, i) => b.step(i === 0 ? 'body' : undefined));
  const M = Array.from({ length: a }, (_, s) => body[1 + 2 * s]);
  const A = Array.from({ length: a }, (_, s) => body[2 + 2 * s]);
  const acc = ['R0', 'R1', 'R2'] as const;
  for (const { mul, feed } of MATCH) {
    b.set(body[0], mul, ins.sadd('R3', dirOf(mul, xFeedOf(mul))!, 'ZERO'));
    for (let s = 0; s < a; s++) {
      b.set(M[s], mul, ins.fxpmul('ROUT', dirOf(mul, feed)!, 'R3'));
      b.set(A[s], mul, ins.sadd(acc[s], acc[s], 'SELF'));
    }
  }
  // Every feeder loads, at multiply step s, the word of multiply step s + 1 (the last one: step 1 of the next pair).
  for (const f of FEEDS) {
    const isX = X_FEEDS.some((x) => same(x, f));
    for (let s = 0; s < a; s++) b.set(M[s], f, ins.lwd(isX && s === a - 1 ? 'R1' : 'ROUT', 4));
    if (isX) {
      b.set(A[a - 1], f, ins.lwd('ROUT', 4)); // the next X, copied by the multipliers in step C
      b.set(body[0], f, ins.sadd('ROUT', 'R1', 'ZERO')); // the first weight word again
    }
  }
  b.set(M[0], CTRL, ins.ssub('R2', 'R2', 1));
  b.set(A[a - 1], CTRL, ins.bne('R2', 'ZERO', 'body'));
  const ep = Array.from({ length: Math.max(3, 2 * a) }, () => b.step());
  for (const { mul } of MATCH) {
    for (let j = 0; j < a; j++) { b.set(ep[j], mul, ins.swd(acc[j], 4)); b.set(ep[a + j], mul, ins.sadd(acc[j], 'ZERO', 'ZERO')); }
  }
  b.set(ep[0], CTRL, ins.sadd('R2', 'ZERO', iters));
  b.set(ep[1], CTRL, ins.ssub('R3', 'R3', 1));
  b.set(ep[ep.length - 1], CTRL, ins.bne('R3', 'ZERO', 'body'));
  const exit = b.step();
  b.set(exit, [0, 0], ins.exit());
  const counts = new Array<number>(b.steps.length).fill(0);
  counts[pro] = counts[pro1] = counts[exit] = 1;
  for (const t of body) counts[t] = passes * iters;
  for (const t of ep) counts[t] = passes;
  return { kernel: b.toKernel(), counts };
}

export function fcSupports(L: CgraLayer): string | undefined {
  if (L.kind === 'depthwise_conv2d') return 'depthwise has no reduction over channels';
  if (L.outH * L.outW !== 1) return `${L.outH * L.outW} output pixels (fc-fxp maps single-pixel layers: weights used once)`;
  return undefined;
}

export function planFcFxp(L: CgraLayer, arch: CgraArch): LayerPlan {
  const why = fcSupports(L);
  if (why) throw new Error(`fc-fxp: ${L.name}: ${why}`);
  // One kernel for all channels, or full tiles with `a` accumulators and the channels left over under a
  // second kernel with fewer (fewer idle multiply slots in the last tile, one more launch).
  const splits: { a: number; n: number }[][] = [];
  for (let a = 1; a <= 3; a++) {
    splits.push([{ a, n: L.outC }]);
    const full = Math.floor(L.outC / (7 * a)) * 7 * a, rest = L.outC - full;
    if (full > 0 && rest > 0) for (let b = 1; b < a; b++) splits.push([{ a, n: full }, { a: b, n: rest }]);
  }
  const plans = splits.map((sp) => planSplit(L, arch, sp));
  return plans.reduce((x, y) => (y.cost.shared + y.cost.launches * arch.callCycles < x.cost.shared + x.cost.launches * arch.callCycles ? y : x));
}

interface Segment {
  kernel: ReturnType<typeof fcKernel>['kernel']; counts: number[]; constBlocks: MemBlock[];
  stage(input: Int8Array): MemBlock[]; launch: Launch; outRegion: { addr: number; words: number };
  gather(raw: Int32Array, region: Int32Array): void; view: string; slotMacs: number; preBytes: number; chunks: number;
}

function planSplit(L: CgraLayer, arch: CgraArch, split: { a: number; n: number }[]): LayerPlan {
  const mem = new MemLayout();
  let oc0 = 0;
  const segs = split.map((sp, k) => { const sg = segment(L, arch, sp.a, oc0, sp.n, k + 1, mem); oc0 += sp.n; return sg; });
  const kernels = segs.map((sg) => sg.kernel);
  const cost = (bus: BusModel): number => segs.reduce((t, sg) => t + kernelCycles(sg.kernel, sg.counts, 1, bus), 0);
  return {
    strategy: 'fc-fxp', layer: L, kernels, memoryBytes: mem.size, constBlocks: segs.flatMap((sg) => sg.constBlocks),
    stage: (input) => segs.flatMap((sg) => sg.stage(input)),
    launches: segs.map((sg) => sg.launch), outRegions: segs.map((sg) => sg.outRegion),
    gather: (regions) => { const raw = new Int32Array(L.outC); segs.forEach((sg, k) => sg.gather(raw, regions[k])); return raw; },
    hostWork: { preBytes: segs.reduce((t, sg) => t + sg.preBytes, 0), requantOps: L.outC, adds: L.outC * (segs[0].chunks + 2), notes: ['host writes the packed input pairs into the weight streams', 'host decodes each accumulator'] },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: segs.length },
    view: [...segs.map((sg) => sg.view),
      ...MATCH.map((m) => `  MUL (${m.mul}) <- weights from (${m.feed}), X from (${xFeedOf(m.mul)})`),
      `  (${CTRL}) counts and branches; (${MULS.find((m) => !MATCH.some((x) => same(x.mul, m)))}) idles`].join('\n'),
    peak: Math.max(...split.map((sp) => (14 * sp.a) / (9 * sp.a + 3))), slotMacs: segs.reduce((t, sg) => t + sg.slotMacs, 0),
  };
}

/** Output channels oc0 .. oc0 + ocN - 1 with `a` accumulators per multiplier: one kernel (id), one launch. */
function segment(L: CgraLayer, arch: CgraArch, a: number, oc0: number, ocN: number, id: number, mem: MemLayout): Segment {
  const taps: [number, number, number][] = [];
  for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) for (let c = 0; c < L.inC; c++) taps.push([ky, kx, c]);
  const pairs = Math.ceil(taps.length / 2);
  const chunks = Math.ceil(pairs / MAX_PAIRS);
  const n = Math.ceil(pairs / chunks);
  const iters = n + 1;
  const tileC = MATCH.length * a;
  const tiles = Math.ceil(ocN / tileC);
  const passes = tiles * chunks;
  const end = oc0 + ocN;
  const tapOf = (c: number, i: number, h: number): [number, number, number] | undefined => taps[2 * (c * n + i) + h];
  const wWord = (o: number, c: number, i: number): number => {
    if (o >= end || i < 0 || i >= n) return 0;
    const t1 = tapOf(c, i, 0), t2 = tapOf(c, i, 1);
    return pack(t2 ? weightAt(L, o, t2[0], t2[1], t2[2]) : 0, t1 ? weightAt(L, o, t1[0], t1[1], t1[2]) : 0);
  };
  const ocOf = (t: number, q: number, s: number): number => oc0 + t * tileC + q * a + s;
  // Stream order per column and iteration i (pair i - 1; iteration 0 multiplies by zero words): at multiply
  // step s the column's feeders (by row) load the word of step s + 1 (pair i - 1), the last one step 1's of
  // pair i; then the X feeder loads X of pair i.
  const cols = [0, 1, 2, 3].map((col) => FEEDS.filter((f) => f[1] === col).sort((x, y) => x[0] - y[0]));
  const perIter = cols.map((fs) => a * fs.length + fs.filter((f) => X_FEEDS.some((x) => same(x, f))).length);
  const base = cols.map((_, col) => mem.alloc(`stream col ${col}`, passes * iters * perIter[col] * 4 + 4));
  const xSlots: { col: number; at: number; chunk: number; pair: number }[] = [];
  const streams = cols.map((fs, col) => {
    const w = new Int32Array(passes * iters * perIter[col] + 1);
    let k = 0;
    for (let t = 0; t < tiles; t++) for (let c = 0; c < chunks; c++) for (let i = 0; i < iters; i++) {
      for (let s = 0; s < a; s++) for (const f of fs) {
        const q = MATCH.findIndex((m) => same(m.feed, f));
        w[k++] = s + 1 < a ? wWord(ocOf(t, q, s + 1), c, i - 1) : wWord(ocOf(t, q, 0), c, i);
      }
      for (const f of fs) if (X_FEEDS.some((x) => same(x, f))) { xSlots.push({ col, at: k, chunk: c, pair: i }); w[k++] = 0; }
    }
    return w;
  });
  const outAddr = mem.alloc('output', MATCH.length * a * passes * 4);
  const outCols = [0, 1, 2, 3].map((col) => MATCH.filter((m) => m.mul[1] === col).sort((x, y) => x.mul[0] - y.mul[0]));
  const outBase: number[] = [];
  let off = 0;
  for (let col = 0; col < 4; col++) { outBase.push(outAddr + off * 4); off += outCols[col].length * a * passes; }
  const constBlocks: MemBlock[] = streams.map((w, col) => ({ addr: base[col], words: w, what: `packed weight pairs, column ${col}` }));
  const xOf = (input: Int8Array, t?: [number, number, number]): number => (t ? inputAt(L, input, t[0] * L.dilH - L.padTop, t[1] * L.dilW - L.padLeft, t[2]) : 0);
  // The X slots are single words inside the weight streams: the host writes only those per inference
  // (returned as whole column streams so a replayed launch.json stays compact).
  const stage = (input: Int8Array): MemBlock[] => {
    const filled = new Map<number, Int32Array>();
    for (const x of xSlots) {
      if (!filled.has(x.col)) filled.set(x.col, Int32Array.from(streams[x.col]));
      filled.get(x.col)![x.at] = x.pair < n ? pack(xOf(input, tapOf(x.chunk, x.pair, 0)), xOf(input, tapOf(x.chunk, x.pair, 1))) : 0;
    }
    return [...filled].map(([col, words]) => ({ addr: base[col], words, what: `column ${col} stream with the packed input pairs in their slots` }));
  };
  const { kernel, counts } = fcKernel(arch, id, a, iters, passes);
  const gather = (raw: Int32Array, region: Int32Array): void => {
    let col0 = 0;
    for (let col = 0; col < 4; col++) {
      const ms = outCols[col];
      for (let p = 0; p < passes; p++) {
        const t = Math.floor(p / chunks);
        for (let j = 0; j < a; j++) ms.forEach((m, idx) => {
          const q = MATCH.indexOf(m);
          const o = ocOf(t, q, j);
          if (o < end) raw[o] = (raw[o] + decodeFxp(region[col0 + (p * a + j) * ms.length + idx])) | 0;
        });
      }
      col0 += ms.length * a * passes;
    }
  };
  return {
    kernel, counts, constBlocks, stage, gather, chunks,
    launch: { kernel: id, ptrIn: base, ptrOut: outBase },
    outRegion: { addr: outAddr, words: MATCH.length * a * passes },
    view: `fc-fxp: ${L.name}: channels ${oc0}..${end - 1}: ${taps.length} taps = ${pairs} packed pairs${chunks > 1 ? ` in ${chunks} chunks of ${n}` : ''}, ${a} accumulator(s) per multiplier, ${passes} passes (${tiles} tiles of ${tileC} channels x ${chunks} chunks), kernel ${id}, one launch`,
    slotMacs: passes * iters * 14 * a, preBytes: 4 * xSlots.length,
  };
}
