// Strategy `checker-dw4`: DEPTHWISE_CONV_2D on the checkerboard in its simple form (checker-dw doubles it).
// Depthwise has no reduction over channels, so an input value serves one multiply only and every
// multiplier needs a private input stream. Four
// multipliers run, each with its own input feeder and weight feeder (8 feeders, 4 multipliers):
//   (0,0) pixel P0, channels c..c+3   input (1,0) below, weights (0,1) right
//   (0,2) pixel P1, channels c..c+3   input (1,2) below, weights (0,3) right
//   (2,0) pixel P0, channels c+4..c+7 input (3,0) below, weights (2,1) right
//   (2,2) pixel P1, channels c+4..c+7 input (3,2) below, weights (2,3) right
// Every feeder loads one word of 4 int8 channels per tap (inputs straight from NHWC-ordered band columns,
// weights as the model stores them, [tap][channel]) and unpacks it with SRA 24 / SLL 8, one channel per
// SMUL step; the four pairs load at four different steps, so each SMUL step carries exactly two loads.
// A multiplier's 4 accumulators are 4 channels of one pixel. A pass (2 pixels x 8 channels) runs T+1
// iterations over the T = kH*kW taps (the extra one multiplies by a zero weight word, which removes
// priming at the pass boundaries). An idle multiplier keeps the loop counter and branches; another the
// pass counter. Peak 4 MACs per 4 cycles = 1 MAC/cycle.
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { weightAt } from '../layer.ts';
import { MemLayout, splitSteps, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { bytesToWords } from './checker.ts';
import { bandLayout, type PairLayout } from './layouts.ts';
import { ins, KernelBuilder, type PE } from './program.ts';

interface Pair { mul: PE; x: PE; w: PE; P: 0 | 1; half: 0 | 1; loadAt: number }
/** loadAt: the body step (1, 3, 5, 7 = the SMUL steps) at which both feeders of the pair load. */
const PAIRS: Pair[] = [
  { mul: [0, 0], x: [1, 0], w: [0, 1], P: 0, half: 0, loadAt: 1 },
  { mul: [0, 2], x: [1, 2], w: [0, 3], P: 1, half: 0, loadAt: 3 },
  { mul: [2, 0], x: [3, 0], w: [2, 1], P: 0, half: 1, loadAt: 5 },
  { mul: [2, 2], x: [3, 2], w: [2, 3], P: 1, half: 1, loadAt: 7 },
];
const LOOP: PE = [1, 1];
const PASS: PE = [1, 3];

/** Accumulator (0..3) that receives byte b (0 = least significant) of a word loaded at body step loadAt. */
export function accOfByte(loadAt: number, b: number): number {
  // Emitted most significant first at the S steps after the load; the SMUL at step loadAt + 2 + 2i uses byte 3 - i.
  const i = 3 - b;
  return (((loadAt + 2 + 2 * i) % 8) - 1) / 2;
}

export interface DwParams { taps: number; C: number; D: number; passes: number; iAdvance: number; wAdvance: number }

export function dwKernel(arch: CgraArch, id: number, p: DwParams): { kernel: ReturnType<KernelBuilder['toKernel']>; counts: number[] } {
  if (arch.rows !== 4 || arch.cols !== 4) throw new Error('checker-dw4 strategy needs a 4x4 array');
  if (p.passes < 1 || p.passes > 4095) throw new Error(`checker-dw4: ${p.passes} passes per launch (1..4095)`);
  const iters = p.taps + 1;
  const b = new KernelBuilder(arch, id, 'checker-dw4');
  const pro = b.step();
  b.set(pro, LOOP, ins.sadd('R1', 'ZERO', iters));
  b.set(pro, PASS, ins.sadd('R1', 'ZERO', p.passes));
  const body = Array.from({ length: 8 }, (_, i) => b.step(i === 0 ? 'body' : undefined));
  const acc = ['R0', 'R1', 'R2', 'R3'] as const;
  for (const q of PAIRS) {
    for (let s = 0; s < 4; s++) {
      b.set(body[2 * s + 1], q.mul, ins.smul('ROUT', 'RCR', 'RCB'));
      b.set(body[(2 * s + 2) % 8], q.mul, ins.sadd(acc[s], acc[s], 'SELF'));
    }
    // Per column, the two input feeders walk [P, tap, 8 channels]: +4 to the second half, then to the next tap.
    const xStep = q.half === 0 ? 4 : p.C - 4;
    for (const [pe, step] of [[q.x, xStep], [q.w, 4]] as [PE, number][]) {
      for (const t of [0, 2, 4, 6]) b.set(body[t], pe, ins.sra('ROUT', 'R0', 24));
      for (const t of [1, 3, 5, 7]) b.set(body[t], pe, t === q.loadAt ? ins.lwd('R0', step) : ins.sll('R0', 'R0', 8));
    }
  }
  b.set(body[1], LOOP, ins.ssub('R1', 'R1', 1));
  b.set(body[7], LOOP, ins.bne('R1', 'ZERO', 'body'));

  const ep = Array.from({ length: 9 }, () => b.step());
  for (const q of PAIRS) {
    b.set(ep[0], q.mul, ins.sadd('R3', 'R3', 'SELF'));
    for (let j = 0; j < 4; j++) b.set(ep[1 + j], q.mul, ins.swd(acc[j], 4));
    for (let j = 0; j < 4; j++) b.set(ep[5 + j], q.mul, ins.sadd(acc[j], 'ZERO', 'ZERO'));
  }
  b.set(ep[0], PASS, ins.ssub('R1', 'R1', 1));
  b.set(ep[8], PASS, ins.bne('R1', 'ZERO', 'body'));
  b.set(ep[8], LOOP, ins.sadd('R1', 'ZERO', iters));
  const order = [5, 6, 7, 1, 2, 3, 4];
  const jump = (pes: PE[], delta: number): void => {
    const slots: [PE, number][] = pes.flatMap((pe) => order.map((t) => [pe, t] as [PE, number]));
    const steps = splitSteps(delta);
    if (steps.length > slots.length) throw new Error(`checker-dw4: pointer jump ${delta} needs too many steps`);
    steps.forEach((s, i) => b.set(ep[slots[i][1]], slots[i][0], ins.lwd('ROUT', s)));
  };
  jump([[1, 0], [3, 0]], p.iAdvance - iters * p.C);
  jump([[1, 2], [3, 2]], p.iAdvance - iters * p.C);
  jump([[0, 1], [2, 1]], p.wAdvance - 8 * iters);
  jump([[0, 3], [2, 3]], p.wAdvance - 8 * iters);
  const exit = b.step();
  b.set(exit, [0, 0], ins.exit());
  const counts = new Array<number>(b.steps.length).fill(0);
  counts[pro] = counts[exit] = 1;
  for (const t of body) counts[t] = p.passes * iters;
  for (const t of ep) counts[t] = p.passes;
  return { kernel: b.toKernel(), counts };
}

export function dw4Supports(L: CgraLayer): string | undefined {
  if (L.kind !== 'depthwise_conv2d') return 'not a depthwise convolution';
  if (L.depthMultiplier !== 1) return `depth multiplier ${L.depthMultiplier} (checker-dw4 handles 1)`;
  if (L.inC % 4 !== 0) return `${L.inC} channels (checker-dw4 needs a multiple of 4)`;
  if (L.dilW !== 1) return `dilation ${L.dilW} along the width`;
  return undefined;
}

/** The checker-dw4 plan: the cheaper of per-row and merged band layouts under the shared-bus model. */
export function planCheckerDw4(L: CgraLayer, arch: CgraArch): LayerPlan {
  const why = dw4Supports(L);
  if (why) throw new Error(`checker-dw4: ${L.name}: ${why}`);
  const colBytes = L.kH * L.inC;
  const cands = [bandLayout(L, colBytes, false)];
  const merged = bandLayout(L, colBytes, true);
  if (merged.passes <= 4095) cands.push(merged);
  const plans = cands.map((c) => planDwWith(L, arch, c));
  return plans.reduce((a, b) => (b.cost.shared + b.cost.launches * arch.callCycles < a.cost.shared + a.cost.launches * arch.callCycles ? b : a));
}

function planDwWith(L: CgraLayer, arch: CgraArch, layout: PairLayout): LayerPlan {
  const C = L.inC;
  const T = L.kH * L.kW;
  const iters = T + 1;
  const tiles = Math.ceil(C / 8);
  const P = L.outH * L.outW;
  const D = layout.pixelStride;
  const mem = new MemLayout();
  const passes = layout.passes;
  const inAddr = mem.alloc('input', layout.inBytes, 2 * D + iters * C + 16);
  const wStream = 8 * iters;
  const wAddr = mem.alloc('weights', tiles * wStream);
  const geos: { tile: number; start: number; l: number }[] = [];
  for (let t = 0; t < tiles; t++) layout.starts.forEach((start, l) => geos.push({ tile: t, start, l }));
  const perLaunchOut = 4 * passes * 32;
  const outAddr = mem.alloc('output', geos.length * perLaunchOut);
  const { kernel, counts } = dwKernel(arch, 1, { taps: T, C, D, passes, iAdvance: 2 * D, wAdvance: 0 });
  // Band column = [ky][c], so tap t = kx * kH + ky sits at t * C in a pixel's window.
  const words = new Int32Array(tiles * 2 * iters);
  for (let t = 0; t < tiles; t++) {
    for (let i = 0; i < T; i++) {
      const kx = Math.floor(i / L.kH), ky = i % L.kH;
      for (let half = 0; half < 2; half++) {
        let w = 0;
        for (let bb = 0; bb < 4; bb++) {
          const o = t * 8 + 4 * half + bb;
          if (o < L.outC) w |= (weightAt(L, o, ky, kx, 0) & 255) << (8 * bb);
        }
        words[(t * iters + i) * 2 + half] = w;
      }
    }
  }
  const constBlocks: MemBlock[] = [{ addr: wAddr, words, what: 'depthwise weights [tile][tap][8 channels], zero word after each tile' }];
  const stage = (input: Int8Array): MemBlock[] => [{ addr: inAddr, words: bytesToWords(layout.build!(input)), what: `input, host-built ${layout.mode} layout` }];
  const launches: Launch[] = geos.map((g, l) => ({
    kernel: 1,
    ptrIn: [inAddr + g.start + 8 * g.tile, wAddr + g.tile * wStream, inAddr + g.start + D + 8 * g.tile, wAddr + g.tile * wStream],
    ptrOut: [0, 1, 2, 3].map((c) => outAddr + l * perLaunchOut + c * passes * 32),
  }));
  const outRegions = geos.map((_, l) => ({ addr: outAddr + l * perLaunchOut, words: perLaunchOut / 4 }));
  // Staged memory per launch (host pipeline): every layout keeps a pixel's channels together (byte offset
  // mod C = channel), so the first launch of tile t reads, of the whole input, only channels 8t..8t+7.
  const stageReads: Array<Array<[number, number]>> = geos.map((g) => (g.l !== 0 || tiles === 1 ? [] :
    Array.from({ length: Math.ceil(layout.inBytes / C) }, (_, k): [number, number] => [inAddr + k * C + 8 * g.tile, Math.min(8, C - 8 * g.tile)])));
  if (tiles === 1) stageReads[0] = [[inAddr, layout.inBytes]];
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(P * L.outC);
    geos.forEach((g, l) => {
      const r = regions[l];
      for (const q of PAIRS) {
        const c = q.mul[1];
        const idx = q.mul[0] === 0 ? 0 : 1; // the column's multipliers store in row order
        for (let p = 0; p < passes; p++) {
          const pixel = layout.pixelOf(g.l, p, q.P);
          if (pixel < 0) continue;
          for (let bb = 0; bb < 4; bb++) {
            const o = g.tile * 8 + 4 * q.half + bb;
            if (o >= L.outC) continue;
            const j = accOfByte(q.loadAt, bb);
            raw[pixel * L.outC + o] = r[c * passes * 8 + p * 8 + 2 * j + idx];
          }
        }
      }
    });
    return raw;
  };
  const cost = (bus: BusModel): number => kernelCycles(kernel, counts, launches.length, bus);
  const view = [
    `checker-dw4: ${L.name}: ${layout.mode} layout, ${T} taps, ${passes} passes x ${launches.length} launches, ${tiles} tile(s) of 8 channels`,
    'PE grid (row: col0 | col1 | col2 | col3):',
    '  row 0: MUL P0 c0-3 | W c0-3 | MUL P1 c0-3 | W c0-3',
    '  row 1: IN P0 c0-3 | loop counter | IN P1 c0-3 | pass counter',
    '  row 2: MUL P0 c4-7 | W c4-7 | MUL P1 c4-7 | W c4-7',
    '  row 3: IN P0 c4-7 | idle | IN P1 c4-7 | idle',
    '  every feeder loads a word of 4 channels per tap and unpacks it; the four pairs load at four different steps',
  ].join('\n');
  return {
    strategy: 'checker-dw4', layer: L, kernels: [kernel], memoryBytes: mem.size, constBlocks, stage, launches, outRegions, gather,
    ...(tiles > 1 ? { stageReads } : {}),
    hostWork: { preBytes: layout.preBytes, requantOps: P * L.outC, adds: P * L.outC, notes: [`host builds the ${layout.mode} input layout`] },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: launches.length },
    view, peak: 1, slotMacs: launches.length * passes * 16 * iters,
  };
}
