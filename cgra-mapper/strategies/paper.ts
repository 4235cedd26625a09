// The four mappings of the CF'24 paper (Carpentieri et al., arXiv 2403.01236; docs/openedgecgra.md §7),
// written for this project from the paper's description, for comparison with `checker`. Like the paper's
// code they compute on int32 data: the host unpacks the int8 tensor into int32 words (and builds im2col
// columns where the paper's CPU does), which the report counts as host work.
//   wp         direct, weight parallelism: 9 PEs hold the 3x3 taps in a register; per output pixel each
//              loads its input, multiplies, the products are reduced to one PE, which read-modify-writes
//              the int32 output plane. One launch per (input channel, output channel) plane.
//   oc         direct, output-channel parallelism: 8 multipliers = 8 output channels share the input
//              value; 8 feeders stream the weights. One launch per output pixel (channel tiles looped).
//   im2col-oc  the same with the CPU's im2col column of the pixel as input stream.
//   im2col-ic  input-channel parallelism: 8 multipliers split one dot product (im2col column x weight
//              row), the host adds the 8 partial sums. One launch per (output channel, pixel).
// oc / im2col-* share one "pair dot" kernel: multipliers in columns 0-1 load the input (R0) and read a
// weight from the feeder in column 3 / 2 next to them (torus), 3 steps per iteration.
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { inputAt, weightAt } from '../layer.ts';
import { MemLayout, splitSteps, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { ins, KernelBuilder, type PE } from './program.ts';
import type { Strategy } from './index.ts';
import { TORUS_4X4 } from './needs.ts';

type Built = { kernel: ReturnType<KernelBuilder['toKernel']>; counts: number[] };

// ---------------------------------------------------------------------------------------------------
// Pair-dot kernel (oc, im2col-oc, im2col-ic).

interface PairDotParams {
  n1: number; n2: number; n3: number;
  /** LWD steps of rows 0..3 in the input columns (0, 1) and in the weight columns (2, 3). */
  xStep: number[]; wStep: number[];
  /** Pointer moves after each row (n1 iterations) and after each tile (n2 rows). */
  xJump2: number; xJump3: number; wJump3: number;
}

function pairDotKernel(arch: CgraArch, p: PairDotParams): Built {
  const b = new KernelBuilder(arch, 1, 'pair-dot');
  const X: PE[] = [0, 1, 2, 3].flatMap((r) => [[r, 0], [r, 1]] as PE[]);
  const W: PE[] = [0, 1, 2, 3].flatMap((r) => [[r, 2], [r, 3]] as PE[]);
  const C1: PE = [0, 2], C2: PE = [1, 2], C3: PE = [2, 2];
  const pro = b.step();
  b.set(pro, C1, ins.sadd('R1', 'ZERO', p.n1));
  b.set(pro, C2, ins.sadd('R1', 'ZERO', p.n2));
  b.set(pro, C3, ins.sadd('R1', 'ZERO', p.n3));
  const s0 = b.step('inner'), s1 = b.step(), s2 = b.step();
  for (const pe of X) {
    b.set(s0, pe, ins.lwd('R0', p.xStep[pe[0]]));
    b.set(s1, pe, ins.smul('ROUT', 'R0', pe[1] === 0 ? 'RCL' : 'RCR'));
    b.set(s2, pe, ins.sadd('R3', 'R3', 'SELF'));
  }
  for (const pe of W) b.set(s0, pe, ins.lwd('ROUT', p.wStep[pe[0]]));
  b.set(s1, C1, ins.ssub('R1', 'R1', 1));
  b.set(s2, C1, ins.bne('R1', 'ZERO', 'inner'));
  // Row block: reset the inner counter, move the input pointers to the next row.
  const r0 = b.step(), r1 = b.step();
  b.set(r0, C1, ins.sadd('R1', 'ZERO', p.n1));
  b.set(r0, C2, ins.ssub('R1', 'R1', 1));
  b.set(r1, C2, ins.bne('R1', 'ZERO', 'inner'));
  const xJ2 = splitSteps(p.xJump2);
  if (xJ2.length > 2) throw new Error('pair-dot: row jump too large');
  xJ2.forEach((s, i) => { b.set([r0, r1][i], [3, 0], ins.lwd('ROUT', s)); b.set([r0, r1][i], [3, 1], ins.lwd('ROUT', s)); });
  // Tile block: store and reset the 8 accumulators, reset the row counter, move to the next tile.
  const t0 = b.step(), t1 = b.step(), t2 = b.step();
  for (const pe of X) { b.set(t0, pe, ins.swd('R3', 4)); b.set(t1, pe, ins.sadd('R3', 'ZERO', 'ZERO')); }
  b.set(t0, C2, ins.sadd('R1', 'ZERO', p.n2));
  b.set(t0, C3, ins.ssub('R1', 'R1', 1));
  b.set(t2, C3, ins.bne('R1', 'ZERO', 'inner'));
  const xJ3 = splitSteps(p.xJump3);
  const wJ3 = splitSteps(p.wJump3);
  if (xJ3.length > 4 || wJ3.length > 3) throw new Error('pair-dot: tile jump too large');
  const xRows = [0, 1, 2, 3];
  xJ3.forEach((s, i) => { b.set(t2, [xRows[i], 0], ins.lwd('ROUT', s)); b.set(t2, [xRows[i], 1], ins.lwd('ROUT', s)); });
  // One dummy load per chunk in each weight column (2 and 3), in t1 where those PEs are free.
  const wPes: PE[][] = [[[0, 3], [3, 2]], [[1, 3], [0, 2]], [[2, 3], [1, 2]]];
  wJ3.forEach((s, i) => { for (const pe of wPes[i]) b.set(t1, pe, ins.lwd('ROUT', s)); });
  const ex = b.step();
  b.set(ex, [0, 0], ins.exit());
  const counts = new Array<number>(b.steps.length).fill(0);
  counts[pro] = counts[ex] = 1;
  for (const t of [s0, s1, s2]) counts[t] = p.n1 * p.n2 * p.n3;
  for (const t of [r0, r1]) counts[t] = p.n2 * p.n3;
  for (const t of [t0, t1, t2]) counts[t] = p.n3;
  return { kernel: b.toKernel(), counts };
}


/** Rows (or columns) of a zero-point-padded copy that every window of the layer fits in. */
const paddedSize = (n: number, pad: number, out: number, s: number, k: number, d: number): number =>
  Math.max(n + pad, (out - 1) * s + (k - 1) * d + 1) + 1;

/** Host-unpacked int32 input, padded with the zero point: [Hp][Wp][C]. */
function paddedInput(L: CgraLayer, input: Int8Array, Hp: number, Wp: number): Int32Array {
  const out = new Int32Array(Hp * Wp * L.inC);
  for (let y = 0; y < Hp; y++) for (let x = 0; x < Wp; x++) for (let c = 0; c < L.inC; c++) {
    out[(y * Wp + x) * L.inC + c] = inputAt(L, input, y - L.padTop, x - L.padLeft, c);
  }
  return out;
}

/** im2col value k of pixel p, order (ky, kx, c); FC: the input vector. */
function im2colAt(L: CgraLayer, input: Int8Array, p: number, k: number): number {
  const oy = Math.floor(p / L.outW), ox = p % L.outW;
  const ky = Math.floor(k / (L.kW * L.inC)), kx = Math.floor(k / L.inC) % L.kW, c = k % L.inC;
  return inputAt(L, input, oy * L.strideH - L.padTop + ky * L.dilH, ox * L.strideW - L.padLeft + kx * L.dilW, c);
}
const kOf = (L: CgraLayer, o: number, k: number): number =>
  weightAt(L, o, Math.floor(k / (L.kW * L.inC)), Math.floor(k / L.inC) % L.kW, k % L.inC);

function finish(strategy: string, L: CgraLayer, arch: CgraArch, built: Built, mem: MemLayout, parts: {
  peak: number; slotMacs: number; constBlocks: MemBlock[]; stage(input: Int8Array): MemBlock[]; launches: Launch[]; outRegions: { addr: number; words: number }[];
  gather(r: Int32Array[]): Int32Array; preBytes: number; adds: number; note: string; view: string;
}): LayerPlan {
  const cost = (bus: BusModel): number => kernelCycles(built.kernel, built.counts, parts.launches.length, bus);
  const P = L.outH * L.outW;
  return {
    strategy, layer: L, kernels: [built.kernel], memoryBytes: mem.size, constBlocks: parts.constBlocks, stage: parts.stage,
    launches: parts.launches, outRegions: parts.outRegions, gather: parts.gather,
    hostWork: { preBytes: parts.preBytes, requantOps: P * L.outC, adds: parts.adds, notes: [parts.note] },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: parts.launches.length }, view: parts.view,
    peak: parts.peak, slotMacs: parts.slotMacs,
  };
}

// im2col-ic: launch per (output channel, pixel); 8 partial sums per launch, added on the host.
function planIm2colIc(L: CgraLayer, arch: CgraArch): LayerPlan {
  const P = L.outH * L.outW, K = L.kH * L.kW * L.inC, Kp = Math.ceil(K / 8) * 8;
  const mem = new MemLayout();
  const xAddr = mem.alloc('im2col columns (int32)', P * Kp * 4, 64);
  const wAddr = mem.alloc('weights (int32 rows)', L.outC * Kp * 4, 64);
  const launchesN = P * L.outC;
  const outAddr = mem.alloc('partial sums', launchesN * 32);
  const built = pairDotKernel(arch, { n1: Kp / 8, n2: 1, n3: 1, xStep: [4, 4, 4, 20], wStep: [4, 4, 4, 20], xJump2: 0, xJump3: 0, wJump3: 0 });
  const w = new Int32Array(L.outC * Kp);
  for (let o = 0; o < L.outC; o++) for (let k = 0; k < K; k++) w[o * Kp + k] = kOf(L, o, k);
  const launches: Launch[] = [];
  for (let o = 0; o < L.outC; o++) for (let p = 0; p < P; p++) {
    const x = xAddr + p * Kp * 4, wr = wAddr + o * Kp * 4, out = outAddr + (o * P + p) * 32;
    launches.push({ kernel: 1, ptrIn: [x, x + 16, wr + 16, wr], ptrOut: [out, out + 16, 0, 0] });
  }
  return finish('im2col-ic', L, arch, built, mem, {
    peak: 8 / 21, slotMacs: launchesN * Kp,
    constBlocks: [{ addr: wAddr, words: w, what: 'weights, int32 rows padded to 8' }],
    stage: (input) => {
      const x = new Int32Array(P * Kp);
      for (let p = 0; p < P; p++) for (let k = 0; k < K; k++) x[p * Kp + k] = im2colAt(L, input, p, k);
      return [{ addr: xAddr, words: x, what: 'im2col columns, int32 (host)' }];
    },
    launches, outRegions: [{ addr: outAddr, words: launchesN * 8 }],
    gather: ([r]) => {
      const raw = new Int32Array(P * L.outC);
      for (let o = 0; o < L.outC; o++) for (let p = 0; p < P; p++) {
        let s = 0;
        for (let j = 0; j < 8; j++) s = (s + r[(o * P + p) * 8 + j]) | 0;
        raw[p * L.outC + o] = s;
      }
      return raw;
    },
    preBytes: P * Kp * 4, adds: P * L.outC * 7, note: 'host im2col (int32) per pixel; host adds 8 partial sums per output',
    view: `im2col-ic: ${L.name}: one launch per (output channel, pixel) = ${launchesN}; 8 multipliers (columns 0-1) each take 1/8 of the ${Kp}-long dot product, weights fed by columns 2-3`,
  });
}

// oc (direct) and im2col-oc: launch per pixel; 8 output channels per tile, tiles looped in the kernel.
function planPixelOc(L: CgraLayer, arch: CgraArch, direct: boolean): LayerPlan {
  const P = L.outH * L.outW, K = L.kH * L.kW * L.inC, tiles = Math.ceil(L.outC / 8);
  const mem = new MemLayout();
  const Hp = paddedSize(L.inH, L.padTop, L.outH, L.strideH, L.kH, L.dilH), Wp = paddedSize(L.inW, L.padLeft, L.outW, L.strideW, L.kW, L.dilW);
  const xBytes = direct ? Hp * Wp * L.inC * 4 : P * K * 4;
  const xAddr = mem.alloc(direct ? 'input, int32 padded' : 'im2col columns (int32)', xBytes, 64);
  const wAddr = mem.alloc('weights (int32, 4 channels interleaved per column)', 2 * tiles * K * 16);
  const outAddr = mem.alloc('output', P * tiles * 32);
  const n1 = direct ? L.kW * L.inC : K, n2 = direct ? L.kH : 1;
  const rowAdvance = n1 * 4;
  const xJump2 = direct && L.kH > 1 ? (L.dilH * Wp * L.inC * 4 - rowAdvance) : 0;
  const built = pairDotKernel(arch, {
    n1, n2, n3: tiles, xStep: [0, 0, 0, 4], wStep: [4, 4, 4, 4], xJump2, xJump3: -n2 * (rowAdvance + xJump2), wJump3: 0,
  });
  // Column 3 rows r: channel 8t + r; column 2 rows r: channel 8t + 4 + r. Per tile: K iterations x 4 words.
  const wc3 = new Int32Array(tiles * K * 4), wc2 = new Int32Array(tiles * K * 4);
  for (let t = 0; t < tiles; t++) for (let k = 0; k < K; k++) for (let r = 0; r < 4; r++) {
    const o3 = 8 * t + r, o2 = 8 * t + 4 + r;
    // Direct: k runs over (ky, kx, c) too, since each row of the window is kW*C contiguous values.
    wc3[(t * K + k) * 4 + r] = o3 < L.outC ? kOf(L, o3, k) : 0;
    wc2[(t * K + k) * 4 + r] = o2 < L.outC ? kOf(L, o2, k) : 0;
  }
  const w2 = wAddr, w3 = wAddr + tiles * K * 16;
  const launches: Launch[] = [];
  for (let p = 0; p < P; p++) {
    const oy = Math.floor(p / L.outW), ox = p % L.outW;
    const x = direct ? xAddr + ((oy * L.strideH) * Wp + ox * L.strideW) * L.inC * 4 : xAddr + p * K * 4;
    const out = outAddr + p * tiles * 32;
    launches.push({ kernel: 1, ptrIn: [x, x, w2, w3], ptrOut: [out, out + tiles * 16, 0, 0] });
  }
  const name = direct ? 'oc' : 'im2col-oc';
  return finish(name, L, arch, built, mem, {
    peak: 8 / 21, slotMacs: P * tiles * 8 * K,
    constBlocks: [{ addr: w2, words: wc2, what: 'weights column 2' }, { addr: w3, words: wc3, what: 'weights column 3' }],
    stage: (input) => {
      if (direct) return [{ addr: xAddr, words: paddedInput(L, input, Hp, Wp), what: 'input unpacked to int32, padded (host)' }];
      const x = new Int32Array(P * K);
      for (let p = 0; p < P; p++) for (let k = 0; k < K; k++) x[p * K + k] = im2colAt(L, input, p, k);
      return [{ addr: xAddr, words: x, what: 'im2col columns, int32 (host)' }];
    },
    launches, outRegions: [{ addr: outAddr, words: P * tiles * 8 }],
    gather: ([r]) => {
      const raw = new Int32Array(P * L.outC);
      for (let p = 0; p < P; p++) for (let t = 0; t < tiles; t++) for (let j = 0; j < 4; j++) {
        const a = 8 * t + j, b2 = 8 * t + 4 + j;
        if (a < L.outC) raw[p * L.outC + a] = r[p * tiles * 8 + t * 4 + j];
        if (b2 < L.outC) raw[p * L.outC + b2] = r[p * tiles * 8 + tiles * 4 + t * 4 + j];
      }
      return raw;
    },
    preBytes: xBytes, adds: P * L.outC, note: direct ? 'host unpacks the input to int32 (padded)' : 'host im2col (int32) per pixel',
    view: `${name}: ${L.name}: one launch per pixel = ${P}; 8 multipliers (columns 0-1) = 8 output channels sharing the input value, weights fed by columns 2-3; ${tiles} tile(s) looped in the kernel`,
  });
}

// ---------------------------------------------------------------------------------------------------
// wp: 3x3 taps in the registers of PEs (r, c), r, c < 3; column 3 brings the taps and the output.

function wpKernel(arch: CgraArch, L: CgraLayer, Wp: number): Built {
  const b = new KernelBuilder(arch, 1, 'wp');
  const s = L.strideW, rowBytes = Wp * 4;
  // Header via column 3: [w02, w12, w22, w00, w10, w20, w01, w11, w21, outBase].
  const p0 = b.step(), p1 = b.step(), p2 = b.step(), p3 = b.step(), p4 = b.step();
  for (let r = 0; r < 3; r++) {
    b.set(p0, [r, 3], ins.lwd('ROUT', 4));
    b.set(p1, [r, 2], ins.sadd('R0', 'RCR', 'ZERO'));
    b.set(p1, [r, 3], ins.lwd('ROUT', 4));
    b.set(p2, [r, 0], ins.sadd('R0', 'RCL', 'ZERO'));
    b.set(p2, [r, 3], ins.lwd('ROUT', r === 2 ? 4 : 4));
    b.set(p3, [r, 2], ins.sadd('ROUT', 'RCR', 'ZERO'));
    b.set(p4, [r, 1], ins.sadd('R0', 'RCR', 'ZERO'));
  }
  b.set(p3, [1, 3], ins.lwd('R2', 4));
  b.set(p0, [3, 3], ins.sadd('R1', 'ZERO', L.outW));
  b.set(p0, [3, 2], ins.sadd('R1', 'ZERO', L.outH));
  const taps: PE[] = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => [r, c] as PE));
  const b0 = b.step('px'), b1 = b.step(), b2 = b.step(), b3 = b.step(), b4 = b.step(), b5 = b.step(), b6 = b.step(), b7 = b.step();
  const dRow = L.dilH * rowBytes;
  for (const pe of taps) {
    b.set(b0, pe, ins.lwd('ROUT', pe[0] < 2 ? dRow : 4 * s - 2 * dRow));
    b.set(b1, pe, ins.smul('ROUT', 'R0', 'SELF'));
  }
  b.set(b0, [1, 3], ins.lwi('R1', 'R2'));
  b.set(b1, [1, 3], ins.sadd('R2', 'R2', 4));
  b.set(b1, [3, 3], ins.ssub('R1', 'R1', 1));
  for (let r = 0; r < 3; r++) { b.set(b2, [r, 1], ins.sadd('ROUT', 'SELF', 'RCL')); b.set(b3, [r, 2], ins.sadd('ROUT', 'SELF', 'RCL')); }
  b.set(b4, [1, 2], ins.sadd('ROUT', 'SELF', 'RCT'));
  b.set(b5, [1, 2], ins.sadd('ROUT', 'SELF', 'RCB'));
  b.set(b6, [1, 3], ins.sadd('R1', 'R1', 'RCL'));
  b.set(b7, [1, 3], ins.swd('R1', 4));
  b.set(b7, [3, 3], ins.bne('R1', 'ZERO', 'px'));
  // Next output row: move the three input columns, reset the pixel counter.
  const o0 = b.step(), o1 = b.step();
  const jump = splitSteps(L.strideH * rowBytes - L.outW * s * 4);
  if (jump.length > 1) throw new Error('wp: row jump too large');
  for (let c = 0; c < 3; c++) if (jump.length) b.set(o0, [0, c], ins.lwd('ROUT', jump[0]));
  b.set(o0, [3, 3], ins.sadd('R1', 'ZERO', L.outW));
  b.set(o0, [3, 2], ins.ssub('R1', 'R1', 1));
  b.set(o1, [3, 2], ins.bne('R1', 'ZERO', 'px'));
  const ex = b.step();
  b.set(ex, [0, 0], ins.exit());
  const counts = new Array<number>(b.steps.length).fill(0);
  for (const t of [p0, p1, p2, p3, p4, ex]) counts[t] = 1;
  for (const t of [b0, b1, b2, b3, b4, b5, b6, b7]) counts[t] = L.outH * L.outW;
  for (const t of [o0, o1]) counts[t] = L.outH;
  return { kernel: b.toKernel(), counts };
}

function planWp(L: CgraLayer, arch: CgraArch): LayerPlan {
  const dw = L.kind === 'depthwise_conv2d';
  const P = L.outH * L.outW;
  const Hp = paddedSize(L.inH, L.padTop, L.outH, L.strideH, 3, L.dilH), Wp = paddedSize(L.inW, L.padLeft, L.outW, L.strideW, 3, L.dilW);
  const mem = new MemLayout();
  const planes = mem.alloc('input planes (int32, padded)', L.inC * Hp * Wp * 4, 64);
  const planePairs: [number, number][] = [];
  if (dw) for (let c = 0; c < L.outC; c++) planePairs.push([c, c]);
  else for (let o = 0; o < L.outC; o++) for (let i = 0; i < L.inC; i++) planePairs.push([i, o]);
  const hdrAddr = mem.alloc('tap headers', planePairs.length * 40);
  const outAddr = mem.alloc('output planes (int32)', L.outC * P * 4);
  const built = wpKernel(arch, L, Wp);
  const hdr = new Int32Array(planePairs.length * 10);
  const order: [number, number][] = [[0, 2], [1, 2], [2, 2], [0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]];
  planePairs.forEach(([i, o], n) => {
    order.forEach(([ky, kx], j) => { hdr[n * 10 + j] = ky < L.kH && kx < L.kW ? weightAt(L, o, ky, kx, i) : 0; });
    hdr[n * 10 + 9] = outAddr + o * P * 4;
  });
  const launches: Launch[] = planePairs.map(([i, o], n) => {
    const base = planes + i * Hp * Wp * 4;
    return {
      kernel: 1,
      ptrIn: [0, 1, 2].map((c) => base + c * L.dilW * 4).concat([hdrAddr + n * 40]),
      ptrOut: [0, 0, 0, outAddr + o * P * 4],
    };
  });
  return finish('wp', L, arch, built, mem, {
    peak: 9 / 21, slotMacs: launches.length * P * 9,
    constBlocks: [{ addr: hdrAddr, words: hdr, what: 'per-launch tap headers (9 weights + output plane address)' }],
    stage: (input) => {
      const x = new Int32Array(L.inC * Hp * Wp);
      for (let c = 0; c < L.inC; c++) for (let y = 0; y < Hp; y++) for (let xx = 0; xx < Wp; xx++) {
        x[(c * Hp + y) * Wp + xx] = inputAt(L, input, y - L.padTop, xx - L.padLeft, c);
      }
      return [{ addr: planes, words: x, what: 'input planes, int32 CHW padded (host)' }, { addr: outAddr, words: new Int32Array(L.outC * P), what: 'output planes cleared (host)' }];
    },
    launches, outRegions: [{ addr: outAddr, words: L.outC * P }],
    gather: ([r]) => {
      const raw = new Int32Array(P * L.outC);
      for (let o = 0; o < L.outC; o++) for (let p = 0; p < P; p++) raw[p * L.outC + o] = r[o * P + p];
      return raw;
    },
    preBytes: L.inC * Hp * Wp * 4 + L.outC * P * 4, adds: P * L.outC, note: 'host unpacks the input to int32 CHW planes (padded) and clears the output planes',
    view: `wp: ${L.name}: one launch per (input, output channel) plane = ${launches.length}; PEs (r, c) r, c < 3 hold tap (r, c); products reduced along rows into column 2, then into PE(1,2); PE(1,3) read-modify-writes the int32 output`,
  });
}

const isConv = (L: CgraLayer): boolean => L.kind === 'conv2d';

export const PAPER_STRATEGIES: Strategy[] = [
  {
    name: 'wp', paper: true, needs: TORUS_4X4, summary: 'CF\'24 direct convolution, weight parallelism (3x3 taps in 9 PEs, one launch per plane)',
    supports: (L) => (L.kind === 'fully_connected' ? 'not a convolution' : L.kH > 3 || L.kW > 3 ? `kernel ${L.kH}x${L.kW} larger than 3x3`
      : L.depthMultiplier !== 1 ? 'depth multiplier' : L.outW > 4095 || L.outH > 4095 ? 'image too large' : undefined),
    plan: planWp,
  },
  {
    name: 'oc', paper: true, needs: TORUS_4X4, summary: 'CF\'24 direct convolution, output-channel parallelism (one launch per pixel)',
    supports: (L) => (!isConv(L) ? 'not a standard convolution' : L.dilW !== 1 ? 'dilated width' : undefined),
    plan: (L, a) => planPixelOc(L, a, true),
  },
  {
    name: 'im2col-ic', paper: true, needs: TORUS_4X4, summary: 'CF\'24 im2col + matmul, input-channel parallelism (one launch per channel and pixel)',
    supports: (L) => (L.kind === 'depthwise_conv2d' ? 'depthwise' : undefined),
    plan: planIm2colIc,
  },
  {
    name: 'im2col-oc', paper: true, needs: TORUS_4X4, summary: 'CF\'24 im2col + matmul, output-channel parallelism (one launch per pixel)',
    supports: (L) => (L.kind === 'depthwise_conv2d' ? 'depthwise' : undefined),
    plan: (L, a) => planPixelOc(L, a, false),
  },
];
