// Strategy `checker`: the fast int8 dataflow for CONV_2D (any kernel, stride, padding), pointwise and
// FULLY_CONNECTED layers, after docs/openedgecgra.md §9. A checkerboard on the 4x4 torus: the 8 PEs with
// (row + col) even multiply and accumulate; each of them reads a weight from one neighbour and an input
// byte from another, so the loop body alternates SMUL (3 cycles) and SADD (1 cycle): 8 MACs per 4 cycles.
//   - 4 weight feeders (rows 0/2, odd columns) each own 4 output channels (a group g of a 16-channel
//     tile). They load one word of 4 int8 weights per reduction index k, packed offline by the host in
//     emission order, and unpack it with SRA 24 / SLL 8. Two feeders load at step "pos 6" (phase 0), two
//     at "pos 2" (phase 2: their words straddle two k), so every SMUL step carries exactly two loads.
//   - 4 input feeders (rows 1/3, even columns) each own one pixel of a pair (P0 in row 1, P1 in row 3;
//     columns 0 and 2 duplicate the stream so every multiplier has both pixels next to it). They step
//     their column pointer one byte per k over the pixel's contiguous reduction stream (interleaving
//     P0 and P1 on one pointer with steps +D and -D+1), pick the byte with a variable SLL and SRA 24, and
//     hold it for the 4 steps of one k.
//   - each multiplier keeps 4 accumulators R0..R3 = 4 output channels of one pixel: 8 x 4 = 16 channels x
//     2 pixels per pass. A pass runs K+1 iterations (the first multiplies by zero weights, which removes
//     any pipeline priming); then 4 SWD per multiplier, accumulator resets, pointer jumps, next pass.
// Reduction streams: 1x1 convolutions and FC read the model's NHWC tensor unchanged; KxK convolutions read a
// per-output-row "band" the host builds (input columns of kH*C bytes, padded with the zero point), so one
// pixel's window is kW*colBytes contiguous bytes; a dilated width falls back to per-pixel im2col rows.
// Host work: that layout step, the input-offset fold (offline, into the bias) and requantisation.
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { weightAt } from '../layer.ts';
import { bandLayout, ceil4, flatLayout, im2colLayout, type PairLayout } from './layouts.ts';
import { MemLayout, splitSteps, wordMsbFirst, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { ins, KernelBuilder, type PE, type PInstr, type Src } from './program.ts';

interface MulRole { pe: PE; w: Src; x: Src; P: number; g: number }
/** Multipliers: where their weight and input come from, which pixel and which channel group they own. */
const MULS: MulRole[] = [
  { pe: [0, 0], w: 'RCR', x: 'RCT', P: 1, g: 0 },
  { pe: [0, 2], w: 'RCR', x: 'RCT', P: 1, g: 2 },
  { pe: [2, 0], w: 'RCL', x: 'RCT', P: 0, g: 3 },
  { pe: [2, 2], w: 'RCL', x: 'RCT', P: 0, g: 1 },
  { pe: [1, 1], w: 'RCT', x: 'RCL', P: 0, g: 0 },
  { pe: [1, 3], w: 'RCT', x: 'RCL', P: 0, g: 2 },
  { pe: [3, 1], w: 'RCT', x: 'RCL', P: 1, g: 1 },
  { pe: [3, 3], w: 'RCT', x: 'RCL', P: 1, g: 3 },
];
/**
 * Quad form for layers with at most 8 output channels: the two weight groups are each fed twice (columns 1
 * and 3 read the same stream) and the four input feeders own four different pixels (P0, P1 on column 0,
 * P2, P3 on column 2): 4 pixels x 8 channels per pass instead of 2 x 16.
 */
const MULS_QUAD: MulRole[] = [
  { pe: [0, 0], w: 'RCR', x: 'RCB', P: 0, g: 0 },
  { pe: [0, 2], w: 'RCR', x: 'RCB', P: 2, g: 0 },
  { pe: [2, 0], w: 'RCR', x: 'RCB', P: 1, g: 1 },
  { pe: [2, 2], w: 'RCR', x: 'RCB', P: 3, g: 1 },
  { pe: [1, 1], w: 'RCB', x: 'RCL', P: 0, g: 1 },
  { pe: [1, 3], w: 'RCB', x: 'RCL', P: 2, g: 1 },
  { pe: [3, 1], w: 'RCB', x: 'RCL', P: 1, g: 0 },
  { pe: [3, 3], w: 'RCB', x: 'RCL', P: 3, g: 0 },
];
/** Weight feeders by group: PE and load phase (0: loads at pos 6, 2: at pos 2). */
const WFEED: { pe: PE; phase: 0 | 2 }[] = [
  { pe: [0, 1], phase: 0 }, { pe: [2, 1], phase: 2 }, { pe: [0, 3], phase: 0 }, { pe: [2, 3], phase: 2 },
];
const IFEED_P0: PE[] = [[1, 0], [1, 2]];
const IFEED_P1: PE[] = [[3, 0], [3, 2]];
const BRANCHER: PE = [1, 0];
const COUNTER: PE = [0, 1];

export interface CheckerParams {
  /** Bytes in one pixel's reduction stream. */
  K: number;
  /** Byte distance from P0's stream to P1's. */
  D: number;
  passes: number;
  /** Move of the input streams' start per pass (bytes). */
  iAdvance: number;
  /** Move of each weight column's stream start per pass (bytes). */
  wAdvance: number;
  /** Column 2's input stream start relative to column 0's (0, or 2D in the quad form). */
  col2Offset?: number;
}

/** The checker kernel: 2 prologue steps, an 8-step body run K+1 times per pass, 9 epilogue steps, EXIT. */
export function checkerKernel(arch: CgraArch, id: number, p: CheckerParams, muls: MulRole[] = MULS): { kernel: ReturnType<KernelBuilder['toKernel']>; counts: number[] } {
  if (arch.rows !== 4 || arch.cols !== 4) throw new Error('checker strategy needs a 4x4 array');
  if (p.passes < 1 || p.passes > 4095) throw new Error(`checker: ${p.passes} passes per launch (1..4095)`);
  const b = new KernelBuilder(arch, id, 'checker');
  // R1 of a P0 input feeder = 8 * (3 - byte offset) in its low 5 bits and the loop counter in the rest.
  const iters = p.K + 1;
  const r10 = 24 + 32 * Math.max(0, Math.ceil((8 * iters - 24 - 4096) / 32));
  const limit = r10 - 8 * iters;
  if (r10 > 4095 || limit < -4096) throw new Error(`checker: reduction length ${p.K} too long (at most ~1020)`);
  // Streams need not be word-aligned: a feeder's first shift follows its start's byte offset (launch starts
  // are aligned), and between passes every shift register moves by the pass advance instead of resetting.
  const colOff = (pe: PE): number => (pe[1] === 2 ? p.col2Offset ?? 0 : 0);
  const aligned = p.D % 4 === 0 && p.iAdvance % 4 === 0 && colOff([0, 2]) % 4 === 0;
  const drift = ((p.iAdvance % 4) + 4) % 4;
  if (!aligned && 8 * iters - 8 * drift > 4095) throw new Error(`checker: unaligned streams need K <= 510 (K = ${p.K})`);
  const pro0 = b.step(), pro1 = b.step();
  for (const pe of IFEED_P0) { b.set(pro0, pe, ins.sadd('R3', 'ZERO', limit)); b.set(pro1, pe, ins.sadd('R1', 'ZERO', r10 - 8 * (colOff(pe) & 3))); }
  for (const pe of IFEED_P1) b.set(pro0, pe, ins.sadd('R1', 'ZERO', r10 + 8 - 8 * ((colOff(pe) + p.D) & 3)));
  b.set(pro0, COUNTER, ins.sadd('R1', 'ZERO', p.passes));

  const body = Array.from({ length: 8 }, (_, i) => b.step(i === 0 ? 'body' : undefined));
  const acc = ['R0', 'R1', 'R2', 'R3'] as const;
  for (const m of muls) {
    for (let s = 0; s < 4; s++) {
      b.set(body[2 * s + 1], m.pe, ins.smul('ROUT', m.w, m.x));
      // The SADD of step s lands one step after its SMUL; step 3's SADD opens the next iteration.
      b.set(body[(2 * s + 2) % 8], m.pe, ins.sadd(acc[s], acc[s], 'SELF'));
    }
  }
  for (const w of WFEED) {
    const loadAt = w.phase === 0 ? 7 : 3;
    for (const t of [0, 2, 4, 6]) b.set(body[t], w.pe, ins.sra('ROUT', 'R0', 24));
    for (const t of [1, 3, 5, 7]) b.set(body[t], w.pe, t === loadAt ? ins.lwd('R0', 4) : ins.sll('R0', 'R0', 8));
  }
  const reemit = (): PInstr => ins.sadd('ROUT', 'R2', 'ZERO');
  for (const pe of IFEED_P0) {
    b.set(body[0], pe, ins.sra('R2', 'R0', 24));
    b.set(body[1], pe, ins.lwd('R0', p.D));
    b.set(body[2], pe, reemit());
    b.set(body[3], pe, ins.sll('R0', 'R0', 'R1'));
    b.set(body[4], pe, reemit());
    b.set(body[5], pe, ins.ssub('R1', 'R1', 8));
    b.set(body[6], pe, reemit());
  }
  b.set(body[7], BRANCHER, ins.bne('R1', 'R3', 'body'));
  for (const pe of IFEED_P1) {
    b.set(body[0], pe, ins.sra('R2', 'R0', 24));
    b.set(body[1], pe, ins.ssub('R1', 'R1', 8));
    b.set(body[2], pe, reemit());
    b.set(body[5], pe, ins.lwd('R0', 1 - p.D));
    b.set(body[6], pe, reemit());
    b.set(body[7], pe, ins.sll('R0', 'R0', 'R1'));
  }

  const ep = Array.from({ length: 9 }, () => b.step());
  for (const m of muls) {
    b.set(ep[0], m.pe, ins.sadd('R3', 'R3', 'SELF'));
    for (let j = 0; j < 4; j++) b.set(ep[1 + j], m.pe, ins.swd(acc[j], 4));
    for (let j = 0; j < 4; j++) b.set(ep[5 + j], m.pe, ins.sadd(acc[j], 'ZERO', 'ZERO'));
  }
  b.set(ep[0], COUNTER, ins.ssub('R1', 'R1', 1));
  b.set(ep[8], COUNTER, ins.bne('R1', 'ZERO', 'body'));
  if (aligned) {
    for (const pe of IFEED_P0) b.set(ep[8], pe, ins.sadd('R1', 'ZERO', r10));
    for (const pe of IFEED_P1) b.set(ep[8], pe, ins.sadd('R1', 'ZERO', r10 + 8));
  } else {
    // Counter base back by the iterations, shift on by the pass advance; the limit drifts with it.
    for (const pe of [...IFEED_P0, ...IFEED_P1]) b.set(ep[8], pe, ins.sadd('R1', 'R1', 8 * iters - 8 * drift));
    if (drift) b.set(ep[0], BRANCHER, ins.ssub('R3', 'R3', 8 * drift));
  }
  // Pointer jumps between passes: dummy loads (ROUT only) in free feeder slots, after the stores if possible.
  const order = [5, 6, 7, 1, 2, 3, 4];
  const jump = (pes: PE[], delta: number, avoid: number[] = []): void => {
    const slots: [PE, number][] = pes.flatMap((pe) => order.filter((t) => !avoid.includes(t)).map((t) => [pe, t] as [PE, number]));
    const steps = splitSteps(delta);
    if (steps.length > slots.length) throw new Error(`checker: pointer jump ${delta} needs too many steps`);
    steps.forEach((s, i) => b.set(ep[slots[i][1]], slots[i][0], ins.lwd('ROUT', s)));
  };
  jump([[1, 0], [3, 0]], p.iAdvance - iters);
  jump([[1, 2], [3, 2]], p.iAdvance - iters);
  jump([[2, 1], [0, 1]], p.wAdvance - 8 * iters);
  jump([[2, 3], [0, 3]], p.wAdvance - 8 * iters);
  const exit = b.step();
  b.set(exit, [0, 0], ins.exit());

  const counts = new Array<number>(b.steps.length).fill(0);
  counts[pro0] = counts[pro1] = counts[exit] = 1;
  for (const t of body) counts[t] = p.passes * iters;
  for (const t of ep) counts[t] = p.passes;
  return { kernel: b.toKernel(), counts };
}

interface Stream { layout: PairLayout; K: number; tap(k: number): [number, number, number] | undefined }

/** Candidate reduction streams for a layer with `perPass` pixels per pass (the cheapest by the cost model wins). */
function streamsOf(L: CgraLayer, perPass = 2): Stream[] {
  const C = L.inC;
  if (L.kH === 1 && L.kW === 1 && L.padTop === 0 && L.padLeft === 0 && (C % 4 === 0 || C + 1 <= 510)) {
    return [{ layout: flatLayout(L, perPass), K: C, tap: (k) => [0, 0, k] }];
  }
  if (L.dilW === 1) {
    // Band columns of exactly kH*C bytes; long reductions round them up so the streams stay word-aligned.
    let col = L.kH * C;
    if (L.kW * col + 1 > 510) while ((L.strideW * col) % 4 !== 0) col++;
    const tap = (k: number): [number, number, number] | undefined => {
      const kx = Math.floor(k / col), r = k % col;
      return r < L.kH * C ? [Math.floor(r / C), kx, r % C] : undefined;
    };
    const out = [{ layout: bandLayout(L, col, false, perPass), K: L.kW * col, tap }];
    const merged = bandLayout(L, col, true, perPass);
    if (merged.passes <= 4095) out.push({ layout: merged, K: L.kW * col, tap });
    return out;
  }
  const n = L.kH * L.kW * C;
  return [{ layout: im2colLayout(L, ceil4(n), perPass), K: ceil4(n), tap: (k) => (k < n ? [Math.floor(k / (L.kW * C)), Math.floor(k / C) % L.kW, k % C] : undefined) }];
}

export function checkerSupports(L: CgraLayer): string | undefined {
  if (L.kind === 'depthwise_conv2d') return 'depthwise has no reduction over channels (use checker-dw)';
  const s = streamsOf(L)[0];
  if (s.K + 1 > 1020) return `reduction length ${s.K} too long`;
  return undefined;
}

/** The checker plan for a CONV_2D / FC layer: the cheapest layout (and pixel grouping) under the shared-bus cost model. */
export function planChecker(L: CgraLayer, arch: CgraArch): LayerPlan {
  const why = checkerSupports(L);
  if (why) throw new Error(`checker: ${L.name}: ${why}`);
  const plans = streamsOf(L).map((s) => planCheckerWith(L, arch, s, 2));
  if (L.outC <= 8) plans.push(...streamsOf(L, 4).map((s) => planCheckerWith(L, arch, s, 4)));
  return plans.reduce((a, b) => (b.cost.shared + b.cost.launches * arch.callCycles < a.cost.shared + a.cost.launches * arch.callCycles ? b : a));
}

function planCheckerWith(L: CgraLayer, arch: CgraArch, s: Stream, perPass: 2 | 4): LayerPlan {
  const { K, layout } = s;
  const quad = perPass === 4;
  const muls = quad ? MULS_QUAD : MULS;
  const tileC = quad ? 8 : 16;
  const iters = K + 1;
  const tiles = Math.ceil(L.outC / tileC);
  const P = L.outH * L.outW;
  const mem = new MemLayout();
  const D = layout.pixelStride;
  // Tile-major when the whole layer is one pass (FC, 1x1 images): passes walk the channel tiles.
  const tileMajor = layout.passes === 1 && layout.starts.length === 1;
  const passes = tileMajor ? tiles : layout.passes;
  const iAdvance = tileMajor ? 0 : perPass * D;
  const wStream = 8 * iters; // bytes per weight column per tile
  const wAdvance = tileMajor ? wStream : 0;
  const inAddr = mem.alloc('input', layout.inBytes, 2 * K + 4 * D + 16);
  const w1 = mem.alloc('weights col 1', tiles * wStream);
  const w3 = quad ? w1 : mem.alloc('weights col 3', tiles * wStream);
  interface LaunchGeo { tile: number; start: number; l: number }
  const geos: LaunchGeo[] = [];
  if (tileMajor) geos.push({ tile: 0, start: 0, l: 0 });
  else for (let t = 0; t < tiles; t++) layout.starts.forEach((start, l) => geos.push({ tile: t, start, l }));
  const perLaunchOut = 4 * passes * 32;
  const outAddr = mem.alloc('output', geos.length * perLaunchOut);
  const { kernel, counts } = checkerKernel(arch, 1, { K, D, passes, iAdvance, wAdvance, col2Offset: quad ? 2 * D : 0 }, muls);

  // Weights, offline: per tile, column 1 streams groups (1: phase 2, 0: phase 0), column 3 groups (3, 2);
  // the quad form has two groups, fed from one stream read by both columns.
  const wOf = (o: number, k: number): number => {
    if (o >= L.outC || k < 0 || k >= K) return 0;
    const t = s.tap(k);
    return t ? weightAt(L, o, t[0], t[1], t[2]) : 0;
  };
  const p0Word = (o0: number, i: number): number => wordMsbFirst(wOf(o0, i), wOf(o0 + 1, i), wOf(o0 + 2, i), wOf(o0 + 3, i));
  const p2Word = (o0: number, i: number): number => wordMsbFirst(wOf(o0 + 2, i - 1), wOf(o0 + 3, i - 1), wOf(o0, i), wOf(o0 + 1, i));
  const col1 = new Int32Array(tiles * 2 * iters), col3 = new Int32Array(quad ? 0 : tiles * 2 * iters);
  for (let t = 0; t < tiles; t++) {
    for (let i = 0; i < iters; i++) {
      const at = (t * iters + i) * 2;
      col1[at] = p2Word(t * tileC + 4, i); col1[at + 1] = p0Word(t * tileC + 0, i);
      if (!quad) { col3[at] = p2Word(t * tileC + 12, i); col3[at + 1] = p0Word(t * tileC + 8, i); }
    }
  }
  const constBlocks: MemBlock[] = quad ? [{ addr: w1, words: col1, what: 'weights, columns 1 and 3 (groups 1, 0)' }]
    : [{ addr: w1, words: col1, what: 'weights, column 1 (groups 1, 0)' }, { addr: w3, words: col3, what: 'weights, column 3 (groups 3, 2)' }];
  const stage = (input: Int8Array): MemBlock[] => [{
    addr: inAddr, words: bytesToWords(layout.build ? layout.build(input) : input),
    what: layout.build ? `input, host-built ${layout.mode} layout` : 'input (model tensor, NHWC, in place)',
  }];
  const launches: Launch[] = geos.map((g, l) => ({
    kernel: 1,
    ptrIn: [inAddr + g.start, w1 + g.tile * wStream, inAddr + g.start + (quad ? 2 * D : 0), w3 + g.tile * wStream],
    ptrOut: [0, 1, 2, 3].map((c) => outAddr + l * perLaunchOut + c * passes * 32),
  }));
  const outRegions = geos.map((_, l) => ({ addr: outAddr + l * perLaunchOut, words: perLaunchOut / 4 }));
  // Store order within a column per pass: accumulator j, then the column's multipliers by row.
  const byCol = [0, 1, 2, 3].map((c) => muls.filter((m) => m.pe[1] === c).sort((a, b2) => a.pe[0] - b2.pe[0]));
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(P * L.outC);
    geos.forEach((g, l) => {
      const r = regions[l];
      for (let c = 0; c < 4; c++) {
        for (let p = 0; p < passes; p++) {
          byCol[c].forEach((m, idx) => {
            const pixel = tileMajor ? layout.pixelOf(0, 0, m.P) : layout.pixelOf(g.l, p, m.P);
            if (pixel < 0) return;
            const tile = tileMajor ? p : g.tile;
            for (let j = 0; j < 4; j++) {
              const o = tile * tileC + 4 * m.g + j;
              if (o < L.outC) raw[pixel * L.outC + o] = r[c * passes * 8 + p * 8 + 2 * j + idx];
            }
          });
        }
      }
    });
    return raw;
  };

  const cost = (bus: BusModel): number => kernelCycles(kernel, counts, launches.length, bus);
  const view = [
    `checker${quad ? ' (quad form: 4 pixels x 8 channels per pass)' : ''}: ${L.name}: ${layout.mode} layout, K=${K} bytes per pixel stream, ${passes} passes x ${launches.length} launches, ${tiles} tile(s) of ${tileC} output channels${tileMajor ? ' (passes walk the tiles)' : ''}`,
    'PE grid (row: col0 | col1 | col2 | col3):',
    ...[0, 1, 2, 3].map((r) => `  row ${r}: ` + [0, 1, 2, 3].map((c) => roleName(muls, quad, r, c)).join(' | ')),
    `  inputs: pixels ${D} bytes apart, one byte per k, on column pointers 0 and 2 (steps +${D}, ${1 - D})`,
    `  weights: 4 int8 per word in emission order, ${2 * iters} words per column per tile on columns 1 and 3`,
    '  outputs: 4 SWD per multiplier per pass (int32 raw sums); the host adds the folded bias and requantises',
  ].join('\n');
  return {
    strategy: 'checker', layer: L, kernels: [kernel], memoryBytes: mem.size, constBlocks, stage, launches, outRegions, gather,
    hostWork: { preBytes: layout.preBytes, requantOps: P * L.outC, adds: P * L.outC, notes: [layout.build ? `host builds the ${layout.mode} input layout` : 'input read in place'] },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: launches.length },
    view, peak: 2, slotMacs: launches.length * passes * 32 * iters,
  };
}

function roleName(muls: MulRole[], quad: boolean, r: number, c: number): string {
  const m = muls.find((x) => x.pe[0] === r && x.pe[1] === c);
  if (m) return `MUL P${m.P} oc${4 * m.g}-${4 * m.g + 3}`;
  const w = WFEED.findIndex((x) => x.pe[0] === r && x.pe[1] === c);
  if (w >= 0) return `W g${quad ? w % 2 : w} ph${WFEED[w].phase}`;
  return `IN P${(r === 1 ? 0 : 1) + (quad && c === 2 ? 2 : 0)}`;
}

export function bytesToWords(b: Int8Array): Int32Array {
  const out = new Int32Array(Math.ceil(b.length / 4));
  for (let i = 0; i < b.length; i++) out[i >> 2] |= (b[i] & 255) << (8 * (i & 3));
  return out;
}
