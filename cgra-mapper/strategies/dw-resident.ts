// Strategy `dw-resident`: DEPTHWISE_CONV_2D with each channel's weights resident in registers and two
// int8 products per FXPMUL (the packing and exactness bound of checker-fxp.ts: X = x1 + 2^23 x2, W = w2 +
// 2^23 w1, a pixel's n <= 5 pair products summed in 32 bits, decoded by the host).
// A depthwise channel has only kH*kW taps (<= 10 here), i.e. n = ceil(T/2) <= 5 packed weight words, so
// per multiply only the packed input pair has to stream. The 4x4 torus is tiled by 4 T-shaped chains:
//   L   loader: one LWD per step, the next packed input pair of its channel's im2col stream;
//   M   multiplier: FXPMUL of L's word by weight word j, held in R0..R3 (word 4 shown by A1 or A2 from R3);
//   A1  accumulator of the even pixel, A2 of the odd pixel: SADD of M's product, one SWD per pixel.
// A loop iteration is 2n steps (2 pixels x n pairs), all multiply steps, no SADD steps in the multiplier:
// the pipeline is L (step g) -> M (g+1) -> A (g+2). An accumulator is idle for n steps of the 2n and uses
// them to store its sum, to show weight word 4, and (chain 0's A1) to count and branch. Stores are spread
// so that every step carries 4 loads and at most one store: 2n steps cost 2n*5 + 8 cycles on the shared
// bus for 4 chains x 2 pixels x T MACs (3x3: 72 MACs per 58 cycles, 1.24 MAC/cycle).
// A group covers 4 channels (one per chain) and up to 8188 pixels; the kernel loops over all channel groups
// in one launch, each group starting with 4 steps that load its weights from the column streams. Every column's stream (weights then packed pairs, in the exact order the column's PEs
// load) is host-built per inference; the host decodes every sum.
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { inputAt, weightAt } from '../layer.ts';
import { MemLayout, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { decodeFxp } from './checker-fxp.ts';
import { ins, KernelBuilder, torusDir, type PE, type PInstr, type Src } from './program.ts';

const SHIFT = 23;
const pack = (lo: number, hi: number): number => (lo + hi * (1 << SHIFT)) | 0;

export interface Chain { L: PE; M: PE; A1: PE; A2: PE }

export const dirOf = torusDir;
const torusNeighbours = ([r, c]: PE): PE[] => [[(r + 3) % 4, c], [(r + 1) % 4, c], [r, (c + 3) % 4], [r, (c + 1) % 4]];
const gridNeighbours = ([r, c]: PE): PE[] => ([[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]] as PE[]).filter(([a, b]) => a >= 0 && a < 4 && b >= 0 && b < 4);

/**
 * A tiling of the 4x4 torus by 4 chains (M plus three of its neighbours), found by backtracking; with
 * `wrap` false, of the 4x4 grid (T-tetrominoes, no link wrapping around the block), which lets tile.ts run
 * copies side by side on larger arrays.
 */
function findChains(wrap = true): Chain[] {
  const neighbours = wrap ? torusNeighbours : gridNeighbours;
  const used = new Set<string>();
  const key = (p: PE): string => `${p[0]},${p[1]}`;
  const out: Chain[] = [];
  const go = (): boolean => {
    let first: PE | undefined;
    for (let i = 0; i < 16 && !first; i++) if (!used.has(`${i >> 2},${i & 3}`)) first = [i >> 2, i & 3];
    if (!first) return true;
    // `first` is either a multiplier or a neighbour of one.
    const mCands: PE[] = [first, ...neighbours(first)];
    for (const M of mCands) {
      if (used.has(key(M))) continue;
      const nb = neighbours(M).filter((p) => !used.has(key(p)) && key(p) !== key(M));
      for (let skip = 0; skip < nb.length; skip++) {
        const three = nb.length === 3 ? nb : nb.filter((_, i) => i !== skip);
        if (three.length !== 3 || (nb.length === 3 && skip > 0)) continue;
        const members = [M, ...three];
        if (!members.some((p) => key(p) === key(first!))) continue;
        members.forEach((p) => used.add(key(p)));
        out.push({ M, L: three[0], A1: three[1], A2: three[2] });
        if (go()) return true;
        out.pop();
        members.forEach((p) => used.delete(key(p)));
      }
    }
    return false;
  };
  if (!go()) throw new Error('dw-resident: no chain tiling of the 4x4 torus');
  return out;
}
export const CHAINS = findChains();
const DEFAULT_CHAINS = CHAINS;
/** Chains reading no wrap-around link (for tiled copies on larger arrays). */
export const GRID_CHAINS = findChains(false);

/** What a load fetches or a store holds, by role and global body step g (-1 = the first executed step). */
type Load = { kind: 'w'; grp: number; chain: number; j: number } | { kind: 'x'; grp: number; chain: number; g: number };
type Store = { grp: number; chain: number; pixel: number };

export interface ResidentKernel {
  kernel: ReturnType<KernelBuilder['toKernel']>;
  counts: number[];
  /** Per column, the loads of one launch in order, and its stores in order. */
  loads: Load[][];
  stores: Store[][];
}

/** The kernel for n pair words (4 or 5), G channel groups of 4 and N loop iterations per group (2 pixels each, the last one drains). */
export function residentKernel(arch: CgraArch, id: number, n: number, N: number, G: number, CHAINS: Chain[] = DEFAULT_CHAINS): ResidentKernel {
  if (arch.rows !== 4 || arch.cols !== 4) throw new Error('dw-resident needs a 4x4 array');
  if (n < 4 || n > 5) throw new Error(`dw-resident: ${n} pair words (4 or 5)`);
  if (N < 2 || N > 4095) throw new Error(`dw-resident: ${N} iterations (2..4095)`);
  if (G < 1 || G > 4095) throw new Error(`dw-resident: ${G} channel groups (1..4095)`);
  const P2 = 2 * n;
  const b = new KernelBuilder(arch, id, 'dw-resident');
  const regs = ['R0', 'R1', 'R2', 'R3'] as const;
  // Once: the group counter (chain 1's A1, R1). Per group: weights into M's R0..R3 and the accumulators' R3
  // (word 4), the pixel loop counter (chain 0's A1, R2).
  const c1 = CHAINS[1];
  const first = b.step();
  b.set(first, c1.A1, ins.sadd('R1', 'ZERO', G));
  const pro = [b.step('group'), b.step(), b.step(), b.step()];
  CHAINS.forEach((ch) => {
    for (let j = 0; j < 4; j++) b.set(pro[j], ch.M, ins.lwd(regs[j], 4));
    if (n === 5) { b.set(pro[0], ch.A1, ins.lwd('R3', 4)); b.set(pro[0], ch.A2, ins.lwd('R3', 4)); }
  });
  const c0 = CHAINS[0];
  b.set(pro[1], c0.A1, ins.sadd('R2', 'ZERO', N));
  b.set(pro[2], c1.A1, ins.ssub('R1', 'R1', 1));
  // Body, executed in phase order 2n-1, 0, 1, ..., 2n-2 (the branch sits in the last).
  const phases = [P2 - 1, ...Array.from({ length: P2 - 1 }, (_, i) => i)];
  const body = new Map<number, number>();
  phases.forEach((ph, i) => body.set(ph, b.step(i === 0 ? 'body' : undefined)));
  const at = (ph: number): number => body.get(((ph % P2) + P2) % P2)!;
  // Store phases: one store per step; A1 is idle in phases n+2..2n-1, 0, 1, A2 in 2..n+1.
  const a1Idle = [...Array.from({ length: n - 2 }, (_, i) => n + 2 + i), 0, 1].filter((p) => !(n === 5 && p === P2 - 1));
  const a2Idle = Array.from({ length: n }, (_, i) => 2 + i).filter((p) => !(n === 5 && p === n - 1));
  const a1Store: number[] = [], a2Store: number[] = [];
  a1Store.push(a1Idle.find((p) => p !== 1 && p !== P2 - 2)!);
  for (let k = 1; k < 4; k++) a1Store.push(a1Idle.find((p) => !a1Store.includes(p))!);
  for (let k = 0; k < 4; k++) a2Store.push(a2Idle.find((p) => !a2Store.includes(p))!);
  CHAINS.forEach((ch, k) => {
    for (let ph = 0; ph < P2; ph++) {
      b.set(at(ph), ch.L, ins.lwd('ROUT', 4));
      const j = (ph - 1 + P2) % n;
      const wSrc: Src = j < 4 ? regs[j] : dirOf(ch.M, ph === n ? ch.A2 : ch.A1);
      b.set(at(ph), ch.M, ins.fxpmul('ROUT', dirOf(ch.M, ch.L), wSrc));
    }
    const acc = (pe: PE, first: number): void => {
      for (let i = 0; i < n; i++) b.set(at(first + i), pe, i === 0 ? ins.sadd('R0', 'ZERO', dirOf(pe, ch.M)) : ins.sadd('R0', 'R0', dirOf(pe, ch.M)));
    };
    acc(ch.A1, 2);
    acc(ch.A2, n + 2);
    if (n === 5) { b.set(at(P2 - 1), ch.A1, ins.sadd('ROUT', 'R3', 'ZERO')); b.set(at(n - 1), ch.A2, ins.sadd('ROUT', 'R3', 'ZERO')); }
    b.set(at(a1Store[k]), ch.A1, ins.swd('R0', 4));
    b.set(at(a2Store[k]), ch.A2, ins.swd('R0', 4));
  });
  b.set(at(1), c0.A1, ins.ssub('R2', 'R2', 1));
  b.set(at(P2 - 2), c0.A1, ins.bne('R2', 'ZERO', 'body'));
  const next = b.step();
  b.set(next, c1.A1, ins.bne('R1', 'ZERO', 'group'));
  const exit = b.step();
  b.set(exit, [0, 0], ins.exit());
  const kernel = b.toKernel();
  const counts = new Array<number>(b.steps.length).fill(0);
  for (const t of pro) counts[t] = G;
  for (const t of body.values()) counts[t] = G * N;
  counts[first] = counts[exit] = 1;
  counts[next] = G;

  // The column streams of one launch, by replaying the executed steps (row order within a step).
  const loads: Load[][] = [[], [], [], []], stores: Store[][] = [[], [], [], []];
  const role = (pe: PE): { chain: number; r: keyof Chain } | undefined => {
    for (let k = 0; k < 4; k++) for (const r of ['L', 'M', 'A1', 'A2'] as const) if (CHAINS[k][r][0] === pe[0] && CHAINS[k][r][1] === pe[1]) return { chain: k, r };
    return undefined;
  };
  const replay = (t: number, g: number, grp: number): void => {
    for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
      const i: PInstr | undefined = b.get(t, [r, c]);
      if (!i) continue;
      const who = role([r, c])!;
      if (i.op === ins.lwd('ROUT', 4).op) {
        if (who.r === 'L') loads[c].push({ kind: 'x', grp, chain: who.chain, g });
        else if (who.r === 'M') loads[c].push({ kind: 'w', grp, chain: who.chain, j: i.rd });
        else loads[c].push({ kind: 'w', grp, chain: who.chain, j: 4 });
      } else if (i.op === ins.swd('R0', 4).op) {
        const ph = ((g % P2) + P2) % P2, it = Math.floor(g / P2);
        const pixel = who.r === 'A1' ? (ph >= n + 2 ? 2 * it : 2 * it - 2) : 2 * it - 1;
        stores[c].push({ grp, chain: who.chain, pixel });
      }
    }
  };
  for (let grp = 0; grp < G; grp++) {
    for (const t of pro) replay(t, -2, grp);
    for (let g = -1; g < N * P2 - 1; g++) replay(at(g), g, grp);
  }
  return { kernel, counts, loads, stores };
}

export function residentSupports(L: CgraLayer): string | undefined {
  if (L.kind !== 'depthwise_conv2d') return 'not a depthwise convolution';
  if (L.depthMultiplier !== 1) return `depth multiplier ${L.depthMultiplier} (dw-resident handles 1)`;
  const T = L.kH * L.kW;
  if (T > 10) return `${T} taps (dw-resident keeps at most 5 packed weight words, 10 taps)`;
  return undefined;
}

export function planDwResident(L: CgraLayer, arch: CgraArch, CHAINS: Chain[] = DEFAULT_CHAINS): LayerPlan {
  const why = residentSupports(L);
  if (why) throw new Error(`dw-resident: ${L.name}: ${why}`);
  const T = L.kH * L.kW;
  const n = Math.max(4, Math.ceil(T / 2));
  const P = L.outH * L.outW;
  const C = L.outC;
  const groups = Math.ceil(C / 4);
  const chunks = Math.ceil(P / 8188);
  const N = Math.ceil(Math.ceil(P / chunks) / 2) + 1;
  const Pc = 2 * (N - 1); // pixels per launch (the last chunk padded)
  const { kernel, counts, loads, stores } = residentKernel(arch, 1, n, N, groups, CHAINS);
  const nLaunch = chunks;
  const mem = new MemLayout();
  const inBase = loads.map((l, c) => mem.alloc(`column ${c} load stream`, nLaunch * l.length * 4, 8));
  const outBase = stores.map((s, c) => mem.alloc(`column ${c} sums`, Math.max(4, nLaunch * s.length * 4)));
  const tap = (t: number): [number, number] | undefined => (t < T ? [Math.floor(t / L.kW), t % L.kW] : undefined);
  const wWord = (o: number, j: number): number => {
    if (o >= C || j >= n) return 0;
    const t1 = tap(2 * j), t2 = tap(2 * j + 1);
    return pack(t2 ? weightAt(L, o, t2[0], t2[1], 0) : 0, t1 ? weightAt(L, o, t1[0], t1[1], 0) : 0);
  };
  const wWords = Array.from({ length: groups }, (_, gI) => Array.from({ length: 4 }, (_, k) => Array.from({ length: 5 }, (_, j) => wWord(4 * gI + k, j))));
  const stage = (input: Int8Array): MemBlock[] => {
    const xAt = (p: number, o: number, t?: [number, number]): number => {
      if (!t) return 0;
      const oy = Math.floor(p / L.outW), ox = p % L.outW;
      return inputAt(L, input, oy * L.strideH - L.padTop + t[0] * L.dilH, ox * L.strideW - L.padLeft + t[1] * L.dilW, o);
    };
    return loads.map((seq, c) => {
      const words = new Int32Array(nLaunch * seq.length);
      for (let l = 0; l < nLaunch; l++) {
        const chunk = l;
        seq.forEach((d, i) => {
          const group = d.grp;
          let v = 0;
          if (d.kind === 'w') v = wWords[group][d.chain][d.j];
          else if (d.g >= 0) {
            const q = 2 * Math.floor(d.g / (2 * n)) + Math.floor((d.g % (2 * n)) / n), j = d.g % n;
            const p = chunk * Pc + q, o = 4 * group + d.chain;
            if (q < Pc && p < P && o < C) v = pack(xAt(p, o, tap(2 * j)), xAt(p, o, tap(2 * j + 1)));
          }
          words[l * seq.length + i] = v;
        });
      }
      return { addr: inBase[c], words, what: `column ${c}: weight words and packed input pairs in load order` };
    });
  };
  const launches: Launch[] = Array.from({ length: nLaunch }, (_, l) => ({
    kernel: 1,
    ptrIn: inBase.map((a, c) => a + l * loads[c].length * 4),
    ptrOut: outBase.map((a, c) => a + l * stores[c].length * 4),
  }));
  // A column without stores still reads back one word (a region must not be empty).
  const outRegions = stores.map((s, c) => ({ addr: outBase[c], words: Math.max(1, nLaunch * s.length) }));
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(P * C);
    for (let c = 0; c < 4; c++) for (let l = 0; l < nLaunch; l++) {
      stores[c].forEach((s, i) => {
        const p = l * Pc + s.pixel, o = 4 * s.grp + s.chain;
        if (s.pixel < 0 || s.pixel >= Pc || p >= P || o >= C) return;
        raw[p * C + o] = decodeFxp(regions[c][l * stores[c].length + i]);
      });
    }
    return raw;
  };
  const cost = (bus: BusModel): number => kernelCycles(kernel, counts, nLaunch, bus);
  const grid = [0, 1, 2, 3].map((r) => `  row ${r}: ` + [0, 1, 2, 3].map((c) => {
    for (let k = 0; k < 4; k++) for (const role of ['L', 'M', 'A1', 'A2'] as const) if (CHAINS[k][role][0] === r && CHAINS[k][role][1] === c) return `${role}${k}`;
    return '?';
  }).join(' | '));
  const view = [
    `dw-resident: ${L.name}: ${T} taps as ${n} packed pairs, ${groups} group(s) of 4 channels (a loop in the kernel) x ${chunks} launch(es) of up to ${Pc} pixels, ${N} iterations of ${2 * n} steps per group`,
    'PE grid (L loader, M multiplier with resident weights, A1/A2 accumulators of the even/odd pixel; digit = chain = channel in the launch):',
    ...grid,
  ].join('\n');
  const streamBytes = nLaunch * loads.reduce((s, l) => s + l.length, 0) * 4;
  return {
    strategy: 'dw-resident', layer: L, kernels: [kernel], memoryBytes: mem.size, constBlocks: [], stage, launches, outRegions, gather,
    hostWork: {
      preBytes: streamBytes, requantOps: P * C, adds: P * C,
      notes: ['host builds every column stream per inference (packed input pairs, one word per pixel per tap pair and channel, with the weight words in load order)', 'host decodes each sum (shift, add, shift)'],
    },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: nLaunch },
    // Multiply slots: 4 chains x 2 pixels x 2n taps per iteration (zero taps included); peak = slots per body cycle.
    view, peak: (16 * n) / (10 * n + 8), slotMacs: nLaunch * groups * N * 16 * n,
  };
}
