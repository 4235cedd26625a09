// Strategy `dw-reuse`: 3x3 DEPTHWISE_CONV_2D with resident weights, packed FXPMUL pairs and every loaded
// input word used by two multiplies. The chains of dw-resident (L loader, M multiplier, two accumulators)
// stream horizontal input pairs X(r, c) = x[r][c] + 2^23 x[r][c+1]. Output pixel (oy, ox), window column c:
//   sum_ky  X(r_ky, c) * A_ky  +  X(r_ky, c+2) * B_ky,   A_ky = w[ky][1] + 2^23 w[ky][0],  B_ky = 2^23 w[ky][2]
// (packing and decode as in checker-fxp.ts; 6 products per pixel, far inside its 127-pair bound). The word
// X(r, c+2) is also the A word of the next pixel of a "line" (ox+2 at stride 1, ox+1 at stride 2), so M
// multiplies each word twice: by A_ky for the pixel of this slot, by B_ky for the previous slot. A slot
// is 6 steps (3 words, loaded every other step); each line ends with a dummy slot that only finishes the
// previous pixel's B part. M holds A_0..A_2, B_0 in R0..R3; B_1, B_2 are shown by the accumulator that is
// idle at that moment. Accumulator of slot parity p takes A products of its slot, then B products in the
// next slot; it alternates R0/R1 over slots and stores slot j in slot j+3's segment. Chain 0 stops the
// loop on a flag word it loads from its column stream (no register is left for a counter).
// Chains 2 and 3 run one step behind chains 0 and 1, so every step carries 2 loads (hidden by the
// multiply) and most carry one store: 4 slots x 4 chains (144 MACs) per 89 cycles on the shared bus.
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { inputAt, weightAt } from '../layer.ts';
import { MemLayout, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { decodeFxp } from './checker-fxp.ts';
import { CHAINS as TORUS_CHAINS, dirOf, type Chain } from './dw-resident.ts';
import { ins, KernelBuilder, type PE, type PInstr, type Src } from './program.ts';
import { orientations, transposedPlan } from './transpose.ts';

const pack = (lo: number, hi: number): number => (lo + hi * (1 << 23)) | 0;
const DELAY = [0, 0, 1, 1];
const STORE_T = [0, 3, 1, 3];
const mod = (a: number, m: number): number => ((a % m) + m) % m;
const regOf = (slot: number): 'R0' | 'R1' => (mod(Math.floor(slot / 2), 2) === 0 ? 'R0' : 'R1');

type Load = { kind: 'w'; grp: number; chain: number; w: number } | { kind: 'x'; grp: number; chain: number; slot: number; ky: number }
  | { kind: 'flag'; grp: number; iter: number } | { kind: 'gflag'; grp: number };
type Store = { grp: number; chain: number; slot: number };

/** Kernel for G groups of 4 channels and N iterations (4 slots each) per group. */
export function reuseKernel(arch: CgraArch, id: number, N: number, G: number, CHAINS: Chain[] = TORUS_CHAINS) {
  if (arch.rows !== 4 || arch.cols !== 4) throw new Error('dw-reuse needs a 4x4 array');
  const b = new KernelBuilder(arch, id, 'dw-reuse');
  const regs = ['R0', 'R1', 'R2', 'R3'] as const;
  const accs = (k: number): [PE, PE] => [CHAINS[k].A1, CHAINS[k].A2];
  // Per group: weights (M: A0 A1 A2 B0; both accumulators: B1 in R2, B2 in R3), L of chains 0, 1 preloads.
  const pro = [b.step('group'), b.step(), b.step(), b.step()];
  CHAINS.forEach((ch, k) => {
    for (let j = 0; j < 4; j++) b.set(pro[j], ch.M, ins.lwd(regs[j], 4));
    for (const a of accs(k)) { b.set(pro[0], a, ins.lwd('R2', 4)); b.set(pro[1], a, ins.lwd('R3', 4)); }
    if (DELAY[k] === 0) b.set(pro[3], ch.L, ins.lwd('ROUT', 4));
  });
  const body = Array.from({ length: 24 }, (_, i) => b.step(i === 0 ? 'body' : undefined));
  CHAINS.forEach((ch, k) => {
    const acc = accs(k);
    for (let bi = 0; bi < 24; bi++) {
      const tau = bi - DELAY[k];
      const sigma = Math.floor(tau / 6), t = mod(tau, 6), a = mod(sigma, 2);
      const step = body[bi];
      if (t % 2 === 1) b.set(step, ch.L, ins.lwd('ROUT', 4));
      const wSrc: Src = t === 0 ? 'R0' : t === 2 ? 'R1' : t === 4 ? 'R2' : t === 1 ? 'R3' : dirOf(ch.M, acc[a]);
      b.set(step, ch.M, ins.fxpmul('ROUT', dirOf(ch.M, ch.L), wSrc));
      const show = acc[a], other = acc[1 - a];
      const fromM = (pe: PE): Src => dirOf(pe, ch.M);
      if (t === 0) b.set(step, show, ins.sadd(regOf(sigma - 2), regOf(sigma - 2), fromM(show)));
      if (t === 1) b.set(step, show, ins.sadd(regOf(sigma), 'ZERO', fromM(show)));
      if (t === 3 || t === 5) b.set(step, show, ins.sadd(regOf(sigma), regOf(sigma), fromM(show)));
      if (t === 2) b.set(step, show, ins.sadd('ROUT', 'R2', 'ZERO'));
      if (t === 4) b.set(step, show, ins.sadd('ROUT', 'R3', 'ZERO'));
      if (t === 2 || t === 4) b.set(step, other, ins.sadd(regOf(sigma - 1), regOf(sigma - 1), fromM(other)));
      if (t === STORE_T[k]) b.set(step, other, ins.swd(regOf(sigma - 3), 4));
      if (k === 0 && sigma === 3 && t === 1) b.set(step, other, ins.lwd(regOf(sigma - 3), 4));
      if (k === 0 && sigma === 3 && t === 5) b.set(step, other, ins.bne(regOf(sigma - 3), 'ZERO', 'body'));
    }
  });
  const e0 = b.step(), e1 = b.step();
  b.set(e0, CHAINS[0].A1, ins.lwd('R0', 4));
  b.set(e1, CHAINS[0].A1, ins.bne('R0', 'ZERO', 'group'));
  const exit = b.step();
  b.set(exit, [0, 0], ins.exit());
  const kernel = b.toKernel();
  const counts = new Array<number>(b.steps.length).fill(0);
  for (const t of pro) counts[t] = G;
  for (const t of body) counts[t] = G * N;
  counts[e0] = counts[e1] = G;
  counts[exit] = 1;

  const loads: Load[][] = [[], [], [], []], stores: Store[][] = [[], [], [], []];
  const role = (pe: PE): { k: number; r: 'L' | 'M' | 'A' } => {
    for (let k = 0; k < 4; k++) {
      const ch = CHAINS[k];
      if (ch.L[0] === pe[0] && ch.L[1] === pe[1]) return { k, r: 'L' };
      if (ch.M[0] === pe[0] && ch.M[1] === pe[1]) return { k, r: 'M' };
      if ((ch.A1[0] === pe[0] && ch.A1[1] === pe[1]) || (ch.A2[0] === pe[0] && ch.A2[1] === pe[1])) return { k, r: 'A' };
    }
    throw new Error(`dw-reuse: PE(${pe}) has no role`);
  };
  const LWD = ins.lwd('ROUT', 4).op, SWD = ins.swd('R0', 4).op;
  const replay = (t: number, grp: number, bodyStep: number, iter: number, where: 'pro' | 'body' | 'epi'): void => {
    for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
      const i: PInstr | undefined = b.get(t, [r, c]);
      if (!i || (i.op !== LWD && i.op !== SWD)) continue;
      const { k, r: who } = role([r, c]);
      if (i.op === SWD) {
        const tau = bodyStep - DELAY[k];
        stores[c].push({ grp, chain: k, slot: Math.floor(tau / 6) - 3 });
        continue;
      }
      if (where === 'epi') loads[c].push({ kind: 'gflag', grp });
      else if (where === 'pro') {
        if (who === 'L') loads[c].push({ kind: 'x', grp, chain: k, slot: 0, ky: 0 });
        else if (who === 'M') loads[c].push({ kind: 'w', grp, chain: k, w: i.rd });          // 0..2 = A_ky, 3 = B_0
        else loads[c].push({ kind: 'w', grp, chain: k, w: i.rd === 2 ? 4 : 5 });             // 4 = B_1, 5 = B_2
      } else if (who === 'L') {
        const tau = bodyStep - DELAY[k], sg = Math.floor(tau / 6), tt = mod(tau, 6);
        loads[c].push(tt === 5 ? { kind: 'x', grp, chain: k, slot: sg + 1, ky: 0 } : { kind: 'x', grp, chain: k, slot: sg, ky: (tt + 1) / 2 });
      } else loads[c].push({ kind: 'flag', grp, iter });
    }
  };
  for (let grp = 0; grp < G; grp++) {
    for (const t of pro) replay(t, grp, 0, 0, 'pro');
    for (let it = 0; it < N; it++) for (let bi = 0; bi < 24; bi++) replay(body[bi], grp, 24 * it + bi, it, 'body');
    replay(e0, grp, 0, 0, 'epi');
  }
  return { kernel, counts, loads, stores };
}

export function reuseSupports(L: CgraLayer): string | undefined {
  if (L.kind !== 'depthwise_conv2d') return 'not a depthwise convolution';
  if (L.depthMultiplier !== 1) return `depth multiplier ${L.depthMultiplier} (dw-reuse handles 1)`;
  if (L.kH !== 3 || L.kW !== 3) return `kernel ${L.kH}x${L.kW} (dw-reuse handles 3x3)`;
  if (L.dilH !== 1 || L.dilW !== 1) return 'dilation';
  if (L.strideW > 2 && (L.strideH > 2 || L.outH === L.outW)) return `stride ${L.strideH}x${L.strideW} (dw-reuse needs 1 or 2 along the rows)`;
  return undefined;
}

export function planDwReuse(L: CgraLayer, arch: CgraArch, chains: Chain[] = TORUS_CHAINS): LayerPlan {
  const why = reuseSupports(L);
  if (why) throw new Error(`dw-reuse: ${L.name}: ${why}`);
  const cands: LayerPlan[] = [];
  for (const t of orientations(L)) {
    const s = t ? L.strideH : L.strideW;
    if (s > 2) continue;
    cands.push(t ? transposedPlan(L, (x) => planOriented(x, arch, chains)) : planOriented(L, arch, chains));
  }
  return cands.reduce((a, c) => (c.cost.shared < a.cost.shared ? c : a));
}

/** Slots: per output row, lines of pixels whose windows start 2 columns apart, each ending in a dummy. */
function slotsOf(L: CgraLayer): { pixel: number; oy: number; col: number }[] {
  const out: { pixel: number; oy: number; col: number }[] = [];
  const step = L.strideW === 1 ? 2 : 1;
  for (let oy = 0; oy < L.outH; oy++) for (let start = 0; start < step; start++) {
    let last = -1;
    for (let ox = start; ox < L.outW; ox += step) { out.push({ pixel: oy * L.outW + ox, oy, col: ox * L.strideW - L.padLeft }); last = ox; }
    if (last >= 0) out.push({ pixel: -1, oy, col: last * L.strideW - L.padLeft + 2 });
  }
  return out;
}

function planOriented(L: CgraLayer, arch: CgraArch, chains: Chain[]): LayerPlan {
  const C = L.outC, P = L.outH * L.outW;
  const slots = slotsOf(L);
  const N = Math.ceil((slots.length + 3) / 4);
  if (N > 4095 * 4095) throw new Error('dw-reuse: image too large');
  const groups = Math.ceil(C / 4);
  const { kernel, counts, loads, stores } = reuseKernel(arch, 1, N, groups, chains);
  const mem = new MemLayout();
  const inBase = loads.map((l, c) => mem.alloc(`column ${c} load stream`, l.length * 4, 8));
  const outBase = stores.map((s, c) => mem.alloc(`column ${c} sums`, Math.max(4, s.length * 4)));
  const wAt = (o: number, ky: number, kx: number): number => (o < C ? weightAt(L, o, ky, kx, 0) : 0);
  const wWord = (o: number, w: number): number => {
    if (w < 3) return pack(wAt(o, w, 1), wAt(o, w, 0));
    return pack(0, wAt(o, w - 3, 2));
  };
  const stage = (input: Int8Array): MemBlock[] => {
    const xw = (o: number, slot: number, ky: number): number => {
      const s = slots[slot];
      if (!s || o >= C) return 0;
      const y = s.oy * L.strideH - L.padTop + ky;
      return pack(inputAt(L, input, y, s.col, o), inputAt(L, input, y, s.col + 1, o));
    };
    return loads.map((seq, c) => {
      const words = new Int32Array(seq.length);
      seq.forEach((d, i) => {
        if (d.kind === 'w') words[i] = wWord(4 * d.grp + d.chain, d.w);
        else if (d.kind === 'x') words[i] = d.slot >= 0 ? xw(4 * d.grp + d.chain, d.slot, d.ky) : 0;
        else if (d.kind === 'flag') words[i] = d.iter < N - 1 ? 1 : 0;
        else words[i] = d.grp < groups - 1 ? 1 : 0;
      });
      return { addr: inBase[c], words, what: `column ${c}: weights, packed input pairs and loop flags in load order` };
    });
  };
  const launches: Launch[] = [{ kernel: 1, ptrIn: inBase, ptrOut: outBase }];
  // A column without stores still reads back one word (a region must not be empty).
  const outRegions = stores.map((s, c) => ({ addr: outBase[c], words: Math.max(1, s.length) }));
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(P * C);
    for (let c = 0; c < 4; c++) stores[c].forEach((s, i) => {
      const o = 4 * s.grp + s.chain;
      const sl = s.slot >= 0 ? slots[s.slot] : undefined;
      if (!sl || sl.pixel < 0 || o >= C) return;
      raw[sl.pixel * C + o] = decodeFxp(regions[c][i]);
    });
    return raw;
  };
  const cost = (bus: BusModel): number => kernelCycles(kernel, counts, 1, bus);
  const view = [
    `dw-reuse: ${L.name}: ${slots.length} slots (${P} pixels in lines of windows 2 columns apart, one dummy per line), ${groups} group(s) of 4 channels x ${N} iterations of 4 slots, one launch`,
    '  chains as dw-resident (L loader, M multiplier, A1/A2 accumulators); M multiplies every word twice (A weights for its slot, B for the previous one)',
  ].join('\n');
  const streamBytes = loads.reduce((s, l) => s + l.length, 0) * 4;
  return {
    strategy: 'dw-reuse', layer: L, kernels: [kernel], memoryBytes: mem.size, constBlocks: [], stage, launches, outRegions, gather,
    hostWork: {
      preBytes: streamBytes, requantOps: P * C, adds: P * C,
      notes: ['host builds every column stream per inference (horizontal packed input pairs, weights and loop flags in load order)', 'host decodes each sum (shift, add, shift)'],
    },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: 1 },
    // Multiply slots: 16 pixel slots x 6 pair products (12 taps) per 24-step iteration.
    view, peak: (16 * 12) / 89, slotMacs: groups * N * 16 * 12,
  };
}
