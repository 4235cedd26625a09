// Strategy `checker-dw`: DEPTHWISE_CONV_2D with all 8 multipliers of the checkerboard busy. In a depthwise
// layer an input value serves one channel only, so a multiplier needs a private input stream; the trick is
// that two horizontally adjacent output pixels see the same input value at taps s columns apart. A feeder
// walking the window of pixel ox, one tap further than kW (kW + s columns), serves two multipliers: one
// for pixel ox (weights of tap t) and one for pixel ox+1 (weights of tap t - s*kH, "lag 1").
//   4 input feeders  (pixel pair Q0 on an even output row, Q1 on the odd row below) x (channel half a/b),
//                    each loads one word of 4 NHWC channels per tap from the host-built bands and unpacks it;
//   4 weight feeders (channel half) x (lag), words of 4 weights permuted offline to match the input bytes;
//   8 multipliers    (Q, half, lag), 4 accumulators = 4 channels of one pixel: 4 pixels x 8 channels a pass.
// The four feeder groups load at four different SMUL steps (two loads each, hidden under the multiply);
// the weight feeders run one step ahead of their input feeders, which is what the permuted words absorb.
// Every feeder slot is taken, so the loop adds two steps (counter, branch): 18 cycles per 32 multiply slots.
// Taps run kx-major over band columns of kH*C bytes (ky, channel), so a window is one contiguous stream.
// Bands are stored even output rows first, then odd rows, so Q1 = Q0 + a constant and passes walk pairs.
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { inputAt, weightAt } from '../layer.ts';
import { MemLayout, splitSteps, wordMsbFirst, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { bytesToWords } from './checker.ts';
import { accOfByte } from './checker-dw4.ts';
import { ins, KernelBuilder, type PE, type Src } from './program.ts';
import { orientations, transposedPlan } from './transpose.ts';

type Half = 0 | 1;
interface XFeed { pe: PE; Q: 0 | 1; half: Half; loadAt: number }
interface WFeed { pe: PE; lag: 0 | 1; half: Half; loadAt: number }
interface Mul { pe: PE; Q: 0 | 1; half: Half; lag: 0 | 1 }

// A placement found by exhaustive search over the torus: every multiplier touches its two feeders.
const XF: XFeed[] = [
  { pe: [1, 0], Q: 0, half: 0, loadAt: 3 }, { pe: [3, 0], Q: 0, half: 1, loadAt: 7 },
  { pe: [1, 2], Q: 1, half: 0, loadAt: 3 }, { pe: [3, 2], Q: 1, half: 1, loadAt: 7 },
];
const WF: WFeed[] = [
  { pe: [0, 1], lag: 0, half: 0, loadAt: 1 }, { pe: [2, 1], lag: 0, half: 1, loadAt: 5 },
  { pe: [0, 3], lag: 1, half: 0, loadAt: 1 }, { pe: [2, 3], lag: 1, half: 1, loadAt: 5 },
];
const MULS: Mul[] = [
  { pe: [0, 0], Q: 0, half: 0, lag: 0 }, { pe: [1, 3], Q: 0, half: 0, lag: 1 },
  { pe: [2, 0], Q: 0, half: 1, lag: 0 }, { pe: [3, 3], Q: 0, half: 1, lag: 1 },
  { pe: [1, 1], Q: 1, half: 0, lag: 0 }, { pe: [0, 2], Q: 1, half: 0, lag: 1 },
  { pe: [3, 1], Q: 1, half: 1, lag: 0 }, { pe: [2, 2], Q: 1, half: 1, lag: 1 },
];
const ITER: PE = [0, 1]; // weight feeder whose R1 counts iterations (its ROUT is re-emitted at b0)
const PASS: PE = [2, 1]; // pass counter (within a band row)
const ROWS: PE = [2, 3]; // band-row counter
const TILES: PE = [0, 3]; // channel-tile counter

function dirTo([r, c]: PE, [r2, c2]: PE): Src {
  if (r2 === (r + 3) % 4 && c2 === c) return 'RCT';
  if (r2 === (r + 1) % 4 && c2 === c) return 'RCB';
  if (r2 === r && c2 === (c + 3) % 4) return 'RCL';
  if (r2 === r && c2 === (c + 1) % 4) return 'RCR';
  throw new Error(`PE(${r},${c}) and PE(${r2},${c2}) are not neighbours`);
}

export interface DwLagParams {
  iters: number; C: number;
  /** Passes per band row and band rows per launch; the input pointers move iAdvance per pass, rowJump more per row. */
  rp: number; rows: number; iAdvance: number; rowJump: number;
  /** Channel tiles walked by one launch (tile loop) and the input pointers' move to the next tile. */
  tiles?: number; tileJump?: number; wStream?: number;
}

export function dwLagKernel(arch: CgraArch, id: number, p: DwLagParams): { kernel: ReturnType<KernelBuilder['toKernel']>; counts: number[] } {
  if (arch.rows !== 4 || arch.cols !== 4) throw new Error('checker-dw strategy needs a 4x4 array');
  if (p.rp > 4095 || p.rows > 4095 || p.iters > 4095) throw new Error(`checker-dw: ${p.rows} x ${p.rp} passes of ${p.iters} iterations`);
  const b = new KernelBuilder(arch, id, 'checker-dw');
  const pro = b.step();
  b.set(pro, ITER, ins.sadd('R1', 'ZERO', p.iters));
  b.set(pro, PASS, ins.sadd('R1', 'ZERO', p.rp));
  b.set(pro, ROWS, ins.sadd('R1', 'ZERO', p.rows));
  const tiles = p.tiles ?? 1;
  if (tiles > 1) b.set(pro, TILES, ins.sadd('R1', 'ZERO', tiles));
  const body = Array.from({ length: 10 }, (_, i) => b.step(i === 0 ? 'body' : undefined));
  const acc = ['R0', 'R1', 'R2', 'R3'] as const;
  for (const m of MULS) {
    const x = XF.find((f) => f.Q === m.Q && f.half === m.half)!;
    const w = WF.find((f) => f.lag === m.lag && f.half === m.half)!;
    for (let s = 0; s < 4; s++) {
      b.set(body[2 * s + 1], m.pe, ins.smul('ROUT', dirTo(m.pe, w.pe), dirTo(m.pe, x.pe)));
      b.set(body[(2 * s + 2) % 8], m.pe, ins.sadd(acc[s], acc[s], 'SELF'));
    }
  }
  const unpack = (pe: PE, loadAt: number, step: number): void => {
    for (const t of [0, 2, 4, 6]) b.set(body[t], pe, ins.sra('ROUT', 'R0', 24));
    for (const t of [1, 3, 5, 7]) b.set(body[t], pe, t === loadAt ? ins.lwd('R0', step) : ins.sll('R0', 'R0', 8));
  };
  for (const f of XF) unpack(f.pe, f.loadAt, f.half === 0 ? 4 : p.C - 4);
  for (const f of WF) unpack(f.pe, f.loadAt, 4);
  b.set(body[8], ITER, ins.ssub('R1', 'R1', 1));
  b.set(body[9], ITER, ins.bne('R1', 'ZERO', 'body'));

  const ep = Array.from({ length: 9 }, () => b.step());
  for (const m of MULS) {
    b.set(ep[0], m.pe, ins.sadd('R3', 'R3', 'SELF'));
    for (let j = 0; j < 4; j++) b.set(ep[1 + j], m.pe, ins.swd(acc[j], 4));
    for (let j = 0; j < 4; j++) b.set(ep[5 + j], m.pe, ins.sadd(acc[j], 'ZERO', 'ZERO'));
  }
  b.set(ep[0], PASS, ins.ssub('R1', 'R1', 1));
  b.set(ep[8], PASS, ins.bne('R1', 'ZERO', 'body'));
  b.set(ep[8], ITER, ins.sadd('R1', 'ZERO', p.iters));
  const order = [5, 6, 7, 1, 2, 3, 4];
  const jump = (pes: PE[], delta: number): void => {
    const slots: [PE, number][] = pes.flatMap((pe) => order.map((t) => [pe, t] as [PE, number]));
    const steps = splitSteps(delta);
    if (steps.length > slots.length) throw new Error(`checker-dw: pointer jump ${delta} needs too many steps`);
    steps.forEach((s, i) => b.set(ep[slots[i][1]], slots[i][0], ins.lwd('ROUT', s)));
  };
  jump([[1, 0], [3, 0]], p.iAdvance - p.iters * p.C);
  jump([[1, 2], [3, 2]], p.iAdvance - p.iters * p.C);
  jump([[0, 3], [2, 3]], -8 * p.iters);
  // Column 1's counters sit in ep[0] / ep[8]; their rewinds use the remaining steps.
  jump([[2, 1], [0, 1]], -8 * p.iters);
  // Row block: next band row (the band is wider than rp pairs), pass counter reset.
  const r0 = b.step(), r1 = b.step();
  b.set(r0, PASS, ins.sadd('R1', 'ZERO', p.rp));
  b.set(r0, ROWS, ins.ssub('R1', 'R1', 1));
  b.set(r1, ROWS, ins.bne('R1', 'ZERO', 'body'));
  const rj = splitSteps(p.rowJump);
  if (rj.length > 2) throw new Error(`checker-dw: row jump ${p.rowJump} too large`);
  rj.forEach((st, i) => { for (const c of [0, 2]) b.set(r0, [1 + 2 * i, c], ins.lwd('ROUT', st)); });
  // Tile block: the next 8 channels (input pointers on by tileJump, weights on to the next tile's stream).
  const tileSteps: number[] = [];
  if (tiles > 1) {
    const t0 = b.step(), t1 = b.step();
    tileSteps.push(t0, t1);
    b.set(t0, ROWS, ins.sadd('R1', 'ZERO', p.rows));
    b.set(t0, TILES, ins.ssub('R1', 'R1', 1));
    const xj = splitSteps(p.tileJump ?? 0);
    if (xj.length > 4) throw new Error(`checker-dw: tile jump ${p.tileJump} too large`);
    xj.forEach((st, i) => { for (const c of [0, 2]) b.set([t0, t0, t1, t1][i], [i % 2 === 0 ? 1 : 3, c], ins.lwd('ROUT', st)); });
    const wj = splitSteps(p.wStream ?? 0);
    if (wj.length > 1) throw new Error('checker-dw: weight stream too long for the tile loop');
    if (wj.length) { b.set(t1, [2, 1], ins.lwd('ROUT', wj[0])); b.set(t1, [2, 3], ins.lwd('ROUT', wj[0])); }
    b.set(t1, TILES, ins.bne('R1', 'ZERO', 'body'));
  }
  const exit = b.step();
  b.set(exit, [0, 0], ins.exit());
  const counts = new Array<number>(b.steps.length).fill(0);
  counts[pro] = counts[exit] = 1;
  for (const t of body) counts[t] = tiles * p.rows * p.rp * p.iters;
  for (const t of ep) counts[t] = tiles * p.rows * p.rp;
  counts[r0] = counts[r1] = tiles * p.rows;
  for (const t of tileSteps) counts[t] = tiles;
  return { kernel: b.toKernel(), counts };
}

export function dwSupports(L: CgraLayer): string | undefined {
  if (L.kind !== 'depthwise_conv2d') return 'not a depthwise convolution';
  if (L.depthMultiplier !== 1) return `depth multiplier ${L.depthMultiplier} (checker-dw handles 1)`;
  if (L.inC % 4 !== 0) return `${L.inC} channels (checker-dw needs a multiple of 4)`;
  if (L.dilW !== 1) return `dilation ${L.dilW} along the width`;
  if (Math.ceil(L.outH / 2) > 4095 || L.outW > 8190 || Math.ceil(L.inC / 8) > 4095) return 'image too large for one launch';
  if (8 * ((L.kW + L.strideW) * L.kH + 1) > 4092) return `kernel ${L.kH}x${L.kW} too large`;
  return undefined;
}

/**
 * The cheaper (shared bus + calls) of the two pixel groupings: Q1 on the next row, or 2 pixels further along the row.
 * `launches` > 1 (end to end): one launch per 8-channel tile and group of band rows, up to that many in all (at
 * least one per tile); groups have equal row counts (an immediate of the kernel; a tile's last group may run
 * padding rows). Each launch declares the bands it reads (plan.stageReads), so the host stages launch l + 1's
 * bands and post-processes launch l - 1 while the array runs launch l.
 */
export function planCheckerDw(L: CgraLayer, arch: CgraArch, launches = 1): LayerPlan {
  const why = dwSupports(L);
  if (why) throw new Error(`checker-dw: ${L.name}: ${why}`);
  const best = (plans: LayerPlan[]): LayerPlan => plans.reduce((a, b) => (b.cost.shared < a.cost.shared ? b : a));
  const candidates = (LL: CgraLayer): LayerPlan => best([planDwLag(LL, arch, 'rows', launches), planDwLag(LL, arch, 'quads', launches)]);
  return best(orientations(L).map((t) => (t ? transposedPlan(L, candidates) : candidates(L))));
}

/**
 * End-to-end variants: one launch, and for one 8-channel tile the band rows split over up to 8 or 16 launches.
 * Several tiles are not split here: on vww's narrow layers (12x12x64) the split plan's post nests are runs of 6
 * outputs that the host cost model underprices (modelled 105 K visible host cycles, measured ~150 K), so `auto`
 * took it over checker-dw4 and lost 37 K cycles; planCheckerDw(L, arch, n) still builds it.
 */
export function planCheckerDwEndToEnd(L: CgraLayer, arch: CgraArch): LayerPlan[] {
  const ps = (Math.ceil(L.inC / 8) === 1 ? [1, 8, 16] : [1]).map((n) => planCheckerDw(L, arch, n));
  return ps.filter((p, i) => ps.findIndex((q) => q.launches.length === p.launches.length) === i);
}

/**
 * rows:  Q0 = pixels (2j, 2j+1) of an even output row, Q1 the same pixels one row below (bands stored even
 *        rows first, then odd rows, so Q1 = Q0 + a constant);
 * quads: Q1 = pixels (4j+2, 4j+3) of the same row (better for one-row images).
 */
function planDwLag(L: CgraLayer, arch: CgraArch, mode: 'rows' | 'quads', maxLaunches = 1): LayerPlan {
  const C = L.inC, s = L.strideW, T = L.kH * L.kW;
  // Bands hold one 8-channel tile each (column = kH x 8 bytes), tiles one after another in the order the
  // launch walks them, so the input pointers run straight on from one tile into the next.
  const colBytes = L.kH * 8;
  const quads = mode === 'quads';
  const perPass = quads ? 4 : 2;                  // pixels of one row per pass
  const rp = Math.ceil(L.outW / perPass);
  // Band columns: every real pixel's window inside; the passes of a row advance perPass * s columns.
  const cols = Math.max(perPass * rp * s, (L.outW - 1) * s + L.kW);
  const B = cols * colBytes;                  // one band
  const H2real = quads ? L.outH : Math.ceil(L.outH / 2);  // band rows walked per tile
  const tiles = Math.ceil(C / 8);
  // Split (maxLaunches > 1): one launch per tile and group of R band rows (perTile groups per tile, at most
  // maxLaunches launches in all unless there are more tiles); H2 counts the padding rows of a tile's last group.
  const split = maxLaunches > 1;
  const perTile = split ? Math.max(1, Math.min(H2real, Math.floor(maxLaunches / tiles))) : 1;
  const R = Math.ceil(H2real / perTile);
  const groups = Math.ceil(H2real / R);
  const H2 = groups * R;
  const launchesN = split ? tiles * groups : 1;
  // rows: [even-row bands of tiles 0..n-1][odd-row bands of tiles 0..n-1]; quads: [bands of tile 0][tile 1]...
  const DQ = quads ? 2 * s * colBytes : tiles * H2 * B;   // Q0 stream -> Q1 stream
  const regionBytes = quads ? tiles * H2 * B : 2 * tiles * H2 * B;
  const passes = R * rp;                      // per launch
  const iters = (L.kW + s) * L.kH + 1;        // window of kW + s columns, plus the zero-weight iteration
  const P = L.outH * L.outW;
  const mem = new MemLayout();
  const inAddr = mem.alloc('input bands (8-channel tiles)', regionBytes, iters * 8 + 2 * B + 64);
  const wStream = 8 * iters;
  const w0 = mem.alloc('weights lag 0', tiles * wStream);
  const w1 = mem.alloc('weights lag 1', tiles * wStream);
  const tilesPerLaunch = split ? 1 : tiles;
  const perLaunchOut = 4 * tilesPerLaunch * passes * 32;
  const outAddr = mem.alloc('output', launchesN * perLaunchOut);
  const { kernel, counts } = dwLagKernel(arch, 1, {
    iters, C: 8, rp, rows: R, iAdvance: perPass * s * colBytes, rowJump: B - rp * perPass * s * colBytes,
    ...(tilesPerLaunch > 1 ? { tiles, tileJump: 0, wStream } : {}),
  });

  // Weight of channel o at stream tap t for a multiplier `lag` pixels to the right (0 outside the window).
  const wl = (o: number, t: number, lag: number): number => {
    const u = t - lag * s * L.kH;
    if (o >= L.outC || u < 0 || u >= T) return 0;
    return weightAt(L, o, u % L.kH, Math.floor(u / L.kH), 0);
  };
  const streams = [new Int32Array(tiles * 2 * iters), new Int32Array(tiles * 2 * iters)];
  for (let lag = 0; lag < 2; lag++) {
    for (let tile = 0; tile < tiles; tile++) {
      for (let i = 0; i < iters; i++) {
        for (let half = 0; half < 2; half++) {
          const c0 = tile * 8 + 4 * half;
          // The weight word leads its input word by one SMUL step: [w(i-1, ch0), w(i, ch3), w(i, ch2), w(i, ch1)].
          streams[lag][(tile * iters + i) * 2 + half] = wordMsbFirst(wl(c0, i - 1, lag), wl(c0 + 3, i, lag), wl(c0 + 2, i, lag), wl(c0 + 1, i, lag));
        }
      }
    }
  }
  const constBlocks: MemBlock[] = [
    { addr: w0, words: streams[0], what: 'depthwise weights, lag 0 (column 1)' },
    { addr: w1, words: streams[1], what: 'depthwise weights, lag 1 (column 3)' },
  ];
  const stage = (input: Int8Array): MemBlock[] => {
    const buf = new Int8Array(regionBytes);
    for (let t = 0; t < tiles; t++) {
      for (let oy = 0; oy < (quads ? L.outH : 2 * H2real); oy++) {
        const base = quads ? (t * H2 + oy) * B : (oy % 2) * DQ + (t * H2 + Math.floor(oy / 2)) * B;
        for (let x = 0; x < cols; x++) {
          for (let ky = 0; ky < L.kH; ky++) {
            const y = oy * L.strideH - L.padTop + ky * L.dilH;
            for (let cc = 0; cc < 8 && t * 8 + cc < C; cc++) buf[base + x * colBytes + ky * 8 + cc] = inputAt(L, input, y, x - L.padLeft, t * 8 + cc);
          }
        }
      }
    }
    return [{ addr: inAddr, words: bytesToWords(buf), what: `input bands, host-built (8-channel tiles${quads ? '' : ', even rows then odd rows'})` }];
  };
  // Launch k (split): tile k / groups, band rows from (k % groups) R; its first band's offset in a stream.
  const tileOf = (k: number): number => (split ? Math.floor(k / groups) : 0);
  const band0 = (k: number): number => (split ? (tileOf(k) * H2 + (k % groups) * R) * B : 0);
  const launches: Launch[] = Array.from({ length: launchesN }, (_, k) => ({
    kernel: 1,
    ptrIn: [inAddr + band0(k), w0 + tileOf(k) * wStream, inAddr + DQ + band0(k), w1 + tileOf(k) * wStream],
    ptrOut: [0, 1, 2, 3].map((c) => outAddr + k * perLaunchOut + c * tilesPerLaunch * passes * 32),
  }));
  // Launch k reads its R bands of each stream (and, past the last, at most a window: one band more, declared).
  const stageReads = launches.map((_, k) => [0, DQ].filter((d, i) => i === 0 || !quads).map((d): [number, number] =>
    [inAddr + d + band0(k), Math.min((R + 1) * B, regionBytes - d - band0(k))]));
  const outRegions = launches.map((_, t) => ({ addr: outAddr + t * perLaunchOut, words: perLaunchOut / 4 }));
  const byCol = [0, 1, 2, 3].map((c) => MULS.filter((m) => m.pe[1] === c).sort((a, b2) => a.pe[0] - b2.pe[0]));
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(P * L.outC);
    regions.forEach((r, l) => {
      for (let c = 0; c < 4; c++) for (let tt = 0; tt < tilesPerLaunch; tt++) {
        const t = split ? tileOf(l) : tt, g = split ? l % groups : 0;
        byCol[c].forEach((m, idx) => {
          const x = XF.find((f) => f.Q === m.Q && f.half === m.half)!;
          for (let pl = 0; pl < passes; pl++) {
            const p = g * passes + pl;
            const oy = quads ? Math.floor(p / rp) : 2 * Math.floor(p / rp) + m.Q;
            const ox = perPass * (p % rp) + (quads ? 2 * m.Q : 0) + m.lag;
            if (oy >= L.outH || ox >= L.outW) continue;
            for (let byte = 0; byte < 4; byte++) {
              const o = t * 8 + 4 * m.half + byte;
              if (o >= L.outC) continue;
              raw[(oy * L.outW + ox) * L.outC + o] = r[(c * tilesPerLaunch + tt) * passes * 8 + pl * 8 + 2 * accOfByte(x.loadAt, byte) + idx];
            }
          }
        });
      }
    });
    return raw;
  };
  const cost = (bus: BusModel): number => kernelCycles(kernel, counts, launches.length, bus);
  const view = [
    `checker-dw: ${L.name}: ${tiles} tile(s) of 8 channels x ${passes} passes (${rp} x ${perPass} pixels per row x ${R} ${quads ? 'rows' : 'row pairs'}; Q1 ${quads ? '2 pixels to the right' : 'one row below'}) of ${iters} taps, ${launchesN === 1 ? 'one launch' : `${launchesN} launches`}`,
    'PE grid (row: col0 | col1 | col2 | col3):',
    ...[0, 1, 2, 3].map((r) => `  row ${r}: ` + [0, 1, 2, 3].map((c) => {
      const m = MULS.find((q) => q.pe[0] === r && q.pe[1] === c);
      if (m) return `MUL row${m.Q} ch${4 * m.half}-${4 * m.half + 3} px+${m.lag}`;
      const x = XF.find((q) => q.pe[0] === r && q.pe[1] === c);
      if (x) return `IN row${x.Q} ch${4 * x.half}-${4 * x.half + 3}`;
      const w = WF.find((q) => q.pe[0] === r && q.pe[1] === c)!;
      return `W ch${4 * w.half}-${4 * w.half + 3} lag${w.lag}`;
    }).join(' | ')),
    `  an input feeder walks one window of ${L.kW + s} band columns (kx-major taps); the lag-1 multiplier uses it ${s * L.kH} taps later for the next pixel`,
  ].join('\n');
  return {
    strategy: 'checker-dw', layer: L, kernels: [kernel], memoryBytes: mem.size, constBlocks, stage, launches, outRegions, gather,
    ...(launchesN > 1 ? { stageReads } : {}),
    hostWork: { preBytes: regionBytes, requantOps: P * L.outC, adds: P * L.outC, notes: [`host builds the input bands (${quads ? 'row order' : 'even rows, then odd rows'})`] },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: launches.length },
    view, peak: 32 / 18, slotMacs: launches.length * passes * 32 * iters,
  };
}
