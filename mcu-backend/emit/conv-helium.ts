// Helium (MVE) conv2d / pointwise / fully connected for Cortex-M55 and M85: VMLADAVA.S8 dot products of 16
// int8 input bytes against 16 int8 weights (kept int8 in flash), working memory bounded by the window.
//
// Input: the int8 NHWC input is copied (not widened) into scratch: for a spatial convolution a window of
// R = (kH - 1) * dilationH + 1 padded rows that slides down by strideH per output row (kept rows copied
// up, new rows copied in, padding filled with the input zero point, so that x + inputOffset = 0 there);
// for a pointwise (1x1, stride 1, unpadded) convolution and a fully connected layer (a 1x1 convolution
// over its batch rows) a chunk of about CHUNK_BYTES of pixels. The input offset is folded into the bias,
// bias + inputOffset * sum(w), so the MACs run on the raw bytes.
// Reduction: per output pixel, runs of contiguous window bytes (per kernel row the kW * inC bytes of its
// taps when dilationW = 1, else per tap the inC bytes), each cut into 16-byte steps; a step's lanes past
// its run get weight 0 (the bytes read there belong to the next pixel, or to 16 bytes of slack after the
// buffer), so any inC works: kws's first layer (inC 1, 10x4) reads 4 bytes a step.
// Register blocking: P output pixels x Q output channels per block, P input vectors in Q registers, the Q
// weight vectors streamed from flash: P + Q loads and P * Q VMLADAVA per step (3x3 over 16 channels, 4 px
// x 2 ch: 14 instructions per 128 MACs). Reductions longer than UNROLL steps loop (LE) over unrolled
// chunks.
// Requantisation, scalar per output, exact in both arithmetics (requant.ts plans the constants):
//   right shift e > 0:  a2 = 2 * acc; t = SMMLAR(a2, M, C) - (a2 < 0)  (double rounding, TFLite Micro)
//                                      t = SMMLA(a2, M, C)              (single rounding, TFLite)
//                       out = ssat8(t >> e), C = 2^(e-1) + zp * 2^e
//   left shift (e = 0): a2 = acc << (left + 1); out = ssat8(SMMLAR(a2, M, zp)) (both arithmetics)
// (single rounding: floor((acc*M + 2^(30+e)) / 2^(31+e)) = floor((floor(acc*M / 2^31) + 2^(e-1)) / 2^e)).
// Channels are cut into blocks of Q consecutive channels of one kind (right or left shift); each block's
// constants are one record: bias[Q] (16-byte aligned), the weight vectors in consumption order, M[Q],
// C[Q], shift[Q], zero point[Q] (a dead channel's constant), first output channel. Blocks of four pixels
// requantise per channel on a vector (the asm moves the four accumulators into q4 / q5): VQRDMULH / VRSHL
// by the channel's scalars as in depthwise-helium.ts, VSTRB.32 scatter to the four pixels.
// Modal forms (variant.ts): output rows [oy0, oy1) and output channel slices, the scratch pointer last. The
// plain kernel reads an input row only when it enters the window (a chunk only when it is copied), so it
// may overlay its output on its input where conv-window.ts overlaySafe says so (pointwise chunks run
// backwards when the output grows).

import type { KConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { cIdent, constById, type FastResult } from './fast-kernel.ts';
import { HELIUM_PRELUDE } from './helium-prelude.ts';
import { accRangeOf, maxAbsInput, planRequant, type ChannelRequant } from './requant.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';
import type { ModalForm } from './variant.ts';

/** Bytes of input a pointwise chunk may take. */
const CHUNK_BYTES = 2048;
/** Reduction steps unrolled per run before it loops. */
const UNROLL = 12;
/** Scalar accumulators a block may keep (VMLADAVA: even registers r0-r12, lr). */
const MAX_ACC = 8;

export interface HeliumConvPlan {
  flat: boolean;
  /** Bytes between the window starts of consecutive output pixels. */
  pixelStep: number;
  bufW: number; rowBytes: number; windowRows: number; chunk: number;
  /** Runs of contiguous window bytes per output pixel: byte offset from the pixel's start, and length. */
  runs: Array<{ off: number; len: number; lane: (b: number) => [number, number, number] }>;
  steps: number;
  /**
   * Patches (im2col of one output row): each output pixel's runs copied from the window (byte offset src
   * from the pixel's window start) to dst of its patch of `bytes`; the patches start at scratch byte `at`.
   */
  patch?: { bytes: number; at: number; runs: Array<{ src: number; dst: number; len: number }> };
  /** Every pixel and run offset is word aligned: VLDRW (offsets up to 508) instead of VLDRB (127). */
  wordLoads: boolean;
  P: number; Q: number;
  rowPixels: number;
  scratchBytes: number;
}

function isFlat(op: KConv2d): boolean {
  return op.kH === 1 && op.kW === 1 && op.strideH === 1 && op.strideW === 1 && op.padTop === 0 && op.padLeft === 0 &&
    op.padBottom === 0 && op.padRight === 0 && op.outH === op.inH && op.outW === op.inW;
}

/** Estimated instructions per output for a P x Q block over S steps (MACs, requantisation, block overhead). */
function perOutput(S: number, P: number, Q: number): number {
  return S * (P + Q + P * Q) / (P * Q) + 5.5 + (5 * Q + 8) / (P * Q);
}

function chooseBlock(S: number, rowPixels: number, channels: number, maxP: number, maxAcc: number): { P: number; Q: number } {
  let best = { P: 1, Q: 1, c: Infinity };
  for (let P = 1; P <= Math.min(6, rowPixels, maxP); P++) for (let Q = 1; Q <= Math.min(maxAcc, channels); Q++) {
    if (P * Q > maxAcc) continue;
    // A partial last block costs as much as a full one.
    const waste = Math.ceil(rowPixels / P) * P / rowPixels * Math.ceil(channels / Q) * Q / channels;
    const c = perOutput(S, P, Q) * waste;
    if (c < best.c - 1e-9) best = { P, Q, c };
  }
  return best;
}

export function planConvHelium(op: KConv2d, mode?: ModalForm): HeliumConvPlan | { reason: string } {
  if (op.batches !== 1) return { reason: 'batches > 1' };
  if (op.groups !== 1) return { reason: 'grouped convolution' };
  if (mode && mode.inStride !== op.inC) return { reason: 'modal form needs the whole input' };
  if (mode && op.outC % mode.width !== 0) return { reason: `slice width ${mode.width} does not divide ${op.outC} channels` };
  const flat = isFlat(op);
  const C = op.inC;
  const needW = (op.outW - 1) * op.strideW + (op.kW - 1) * op.dilationW + 1;
  const bufW = flat ? op.inW : Math.max(op.padLeft + op.inW, needW);
  const rowBytes = bufW * C;
  const windowRows = flat ? 1 : (op.kH - 1) * op.dilationH + 1;
  const runs: HeliumConvPlan['runs'] = [];
  if (flat) runs.push({ off: 0, len: C, lane: (b) => [0, 0, b] });
  else if (op.dilationW === 1) {
    for (let ky = 0; ky < op.kH; ky++) runs.push({ off: ky * op.dilationH * rowBytes, len: op.kW * C, lane: (b) => [ky, Math.floor(b / C), b % C] });
  } else {
    for (let ky = 0; ky < op.kH; ky++) for (let kx = 0; kx < op.kW; kx++)
      runs.push({ off: ky * op.dilationH * rowBytes + kx * op.dilationW * C, len: C, lane: (b) => [ky, kx, b] });
  }
  let steps = runs.reduce((s, r) => s + Math.ceil(r.len / 16), 0);
  const width = mode ? mode.width : op.outC;
  const rowPixels = flat ? Math.min(op.outH * op.outW, Math.max(1, Math.floor(CHUNK_BYTES / C))) : op.outW;
  let pixelStep = flat ? C : op.strideW * C;
  // Short runs (few channels, e.g. kws's first layer: 10 runs of 4 bytes) waste most lanes: gather each
  // output pixel's runs into one patch per output row (im2col of one row), K bytes read in ceil(K / 16) steps.
  const K = runs.reduce((s, r) => s + r.len, 0);
  let patch: Omit<NonNullable<HeliumConvPlan['patch']>, 'at'> | undefined;
  if (!flat && Math.ceil(K / 16) <= 0.75 * steps) {
    const Kp = Math.ceil(K / 4) * 4;
    let at = 0;
    const parts = runs.map((r) => { const q = { src: r.off, dst: at, len: r.len, lane: r.lane }; at += r.len; return q; });
    patch = { bytes: Kp, runs: parts.map(({ src, dst, len }) => ({ src, dst, len })) };
    const lane = (b: number) => { const q = parts.find((x) => b >= x.dst && b < x.dst + x.len)!; return q.lane(b - q.dst); };
    runs.splice(0, runs.length, { off: 0, len: K, lane });
    steps = Math.ceil(K / 16);
    pixelStep = Kp;
  }
  const wordLoads = pixelStep % 4 === 0 && runs.every((r) => r.off % 4 === 0);
  const maxP = 1 + Math.floor((wordLoads ? 508 : 127) / pixelStep);
  // VMLADAVA accumulates into even registers only: 7 of them beside LR (the loop counter), 8 without a loop.
  const looped = runs.some((r) => Math.ceil(r.len / 16) > UNROLL);
  const { P, Q } = chooseBlock(steps, rowPixels, width, maxP, looped ? 7 : MAX_ACC);
  // Chunks of whole blocks.
  const chunk = flat ? Math.min(op.outH * op.outW, Math.max(P, Math.floor(rowPixels / P) * P)) : 1;
  const data = flat ? chunk * C : windowRows * rowBytes;
  const patchAt = Math.ceil((data + 16) / 8) * 8;
  const scratchBytes = patch ? patchAt + Math.ceil((op.outW * patch.bytes + 16) / 8) * 8 : patchAt;
  return { flat, pixelStep, wordLoads, bufW, rowBytes, windowRows, chunk, runs, steps, P, Q, rowPixels: flat ? chunk : op.outW, scratchBytes,
    ...(patch ? { patch: { ...patch, at: patchAt } } : {}) };
}

/** Instructions of the whole call, from the blocking model plus the copies. */
export function estimateConvHelium(op: KConv2d, p: HeliumConvPlan): number {
  const outs = op.outH * op.outW * op.outC;
  const copied = p.flat ? op.inH * op.inW * op.inC : op.outH * Math.min(p.windowRows, op.strideH) * p.rowBytes;
  const moved = p.flat ? 0 : op.outH * Math.max(0, p.windowRows - op.strideH) * p.rowBytes;
  return Math.round(outs * perOutput(p.steps, p.P, p.Q) + 0.3 * copied + 0.3 * moved + op.outH * 40);
}

type Kind = 'r' | 'l';
const kindOf = (c: ChannelRequant): Kind => (c.constant === undefined && c.e > 0 ? 'r' : 'l');

export function emitConvHelium(op: KConv2d, m: Pick<KernelModule, 'consts'>, opts: { fn?: string; mode?: ModalForm } = {}): FastResult {
  const plan = planConvHelium(op, opts.mode);
  if ('reason' in plan) return { ok: false, reason: plan.reason };
  const wc = constById(m, op.weights).data;
  const bias = constById(m, op.bias).data;
  const perOut = op.kH * op.kW * op.inC;
  const xMax = maxAbsInput(op.inputOffset);
  const rp = planRequant(op, op.outC,
    (c) => { let s = Math.abs(bias[c]!); for (let i = 0; i < perOut; i++) s += Math.abs(wc[c * perOut + i]!) * xMax; return s; },
    () => 0,
    (c) => accRangeOf(bias[c]!, wc, op.inputOffset, c * perOut, perOut));
  if (!rp.ok) return { ok: false, reason: rp.reason };
  const ch = rp.channels;
  const single = op.rounding === 'single';
  const name = opts.fn ?? cIdent(`tf_convh_${op.index}_${op.name}`);
  const { P, Q } = plan;
  const width = opts.mode ? opts.mode.width : op.outC;
  const units = op.outC / width;
  const outStride = opts.mode ? opts.mode.outStride : op.outC;

  // Step list: byte offset from the pixel start and the weight of each lane.
  const stepList: Array<{ off: number; run: number }> = [];
  plan.runs.forEach((r, ri) => { for (let s = 0; s * 16 < r.len; s++) stepList.push({ off: r.off + 16 * s, run: ri }); });
  const weightAt = (oc: number, st: { off: number; run: number }, lane: number): number => {
    const r = plan.runs[st.run]!;
    const b = st.off - r.off + lane;
    if (b >= r.len || ch[oc]!.constant !== undefined) return 0;
    const [ky, kx, ic] = r.lane(b);
    return wc[((oc * op.kH + ky) * op.kW + kx) * op.inC + ic]!;
  };
  const biasOf = (oc: number): number => {
    if (ch[oc]!.constant !== undefined) return 0;
    let s = 0; for (let i = 0; i < perOut; i++) s += wc[oc * perOut + i]!;
    return (bias[oc]! + op.inputOffset * s) | 0;
  };

  // Blocks: per unit (the whole op, or a slice), runs of consecutive channels of one kind, cut by Q.
  interface Block { kind: Kind; chans: number[]; unit: number }
  const blocks: Block[] = [];
  for (let u = 0; u < units; u++) {
    let cur: Block | undefined;
    for (let c = u * width; c < (u + 1) * width; c++) {
      const k = kindOf(ch[c]!);
      if (!cur || cur.kind !== k || cur.chans.length === Q) { cur = { kind: k, chans: [], unit: u }; blocks.push(cur); }
      cur.chans.push(c);
    }
  }
  // The weight table, one record per block; bytes.
  const tab: number[] = [];
  const pushWord = (v: number) => { const x = v >>> 0; tab.push(x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24); };
  const recs: Array<{ kind: Kind; q: number; off: number; unit: number; first: number }> = [];
  for (const b of blocks) {
    const off = tab.length, q = b.chans.length;
    for (let i = 0; i < Math.ceil(q / 4) * 4; i++) pushWord(i < q ? biasOf(b.chans[i]!) : 0);
    for (const st of stepList) for (const oc of b.chans) for (let l = 0; l < 16; l++) tab.push(weightAt(oc, st, l) & 255);
    for (const oc of b.chans) pushWord(ch[oc]!.M);
    for (const oc of b.chans) pushWord(ch[oc]!.C);
    for (const oc of b.chans) { const c = ch[oc]!; pushWord(b.kind === 'r' ? c.e : c.constant !== undefined ? 1 : Math.log2(c.wScale)); }
    for (const oc of b.chans) { const c = ch[oc]!; pushWord(c.constant ?? op.outputOffset); }
    pushWord(b.chans[0]! - b.unit * width);
    while (tab.length % 16) tab.push(0);
    recs.push({ kind: b.kind, q, off, unit: b.unit, first: b.chans[0]! });
  }

  // Block functions, one per (kind, q, p) used.
  const tails = plan.flat ? (P > 1 ? [1] : []) : (plan.rowPixels % P ? [plan.rowPixels % P] : []);
  const fnName = (k: Kind, q: number, p: number) => `${name}_${k}${q}_p${p}`;
  const kinds = new Set(recs.map((r) => `${r.kind}:${r.q}`));
  const parts: string[] = [];
  for (const kq of kinds) {
    const [k, qs] = kq.split(':') as [Kind, string];
    for (const p of [P, ...tails]) parts.push(blockFn(fnName(k, +qs, p), k, p, +qs, plan, outStride, single, op));
  }

  // The dot driver: every block of the slice over n pixels of the buffer.
  const dot = [`static void ${name}_dot(const int8_t *s, int8_t *y, int n, int sl) {`,
    `  const int8_t *W = (const int8_t *)tfk_hide(${name}_w);`,
    `  const int nb = n / ${P}, rem = n - nb * ${P}; (void)nb; (void)rem; (void)sl;`];
  const call = (r: typeof recs[number], ind: string) => {
    const L = [`${ind}{ const int8_t *wb = W + ${r.off}; int8_t *yb = y + ${r.first - r.unit * width};`];
    if (plan.flat) {
      L.push(`${ind}  if (nb) ${fnName(r.kind, r.q, P)}(s, wb, yb, nb);`);
      if (tails.length) L.push(`${ind}  if (rem) ${fnName(r.kind, r.q, 1)}(s + ${P * plan.pixelStep} * nb, wb, yb + ${P * outStride} * nb, rem);`);
    } else {
      const full = Math.floor(plan.rowPixels / P), end = full * P;
      if (full) L.push(`${ind}  ${fnName(r.kind, r.q, P)}(s, wb, yb, ${full});`);
      if (tails.length) L.push(`${ind}  ${fnName(r.kind, r.q, tails[0]!)}(s + ${end * plan.pixelStep}, wb, yb + ${end * outStride}, 1);`);
    }
    L.push(`${ind}}`);
    return L;
  };
  if (units === 1) for (const r of recs) dot.push(...call(r, '  '));
  else {
    dot.push(`  switch (sl) {`);
    for (let u = 0; u < units; u++) dot.push(`  case ${u}:`, ...recs.filter((r) => r.unit === u).flatMap((r) => call(r, '    ')), `    break;`);
    dot.push(`  default: break;`, `  }`);
  }
  dot.push(`}`);

  const zp = (-op.inputOffset) & 255;
  const outPix = outStride;
  const run: string[] = [`static void ${name}_run(const int8_t *in, int8_t *out, int oy0, int oy1, int sl, int8_t *s) {`];
  if (plan.flat) {
    const inC = op.inC;
    run.push(`  const int start = oy0 * ${op.outW}, end = oy1 * ${op.outW};`,
      ...(op.outC > op.inC
        ? [`  for (int e = end; e > start; e -= ${plan.chunk}) {`,
          `    const int p = e - start < ${plan.chunk} ? start : e - ${plan.chunk}, n = e - p;`]
        : [`  for (int p = start; p < end; p += ${plan.chunk}) {`,
          `    const int n = end - p < ${plan.chunk} ? end - p : ${plan.chunk};`]),
      `    ${name}_copy(s, in + p * ${inC}, n * ${inC});`,
      `    ${name}_dot(s, out + (p - start) * ${outPix}, n, sl);`,
      `  }`);
  } else {
    const R = plan.windowRows, S = op.strideH, rb = plan.rowBytes;
    const left = op.padLeft * op.inC, interior = op.inW * op.inC, right = rb - left - interior;
    run.push(`  for (int oy = oy0; oy < oy1; oy++) {`,
      `    const int iy0 = oy * ${S} - ${op.padTop};`,
      `    int r = 0;`);
    if (S < R) run.push(`    if (oy > oy0) { for (int k = 0; k < ${R - S}; k++) ${name}_copy(s + k * ${rb}, s + (k + ${S}) * ${rb}, ${rb}); r = ${R - S}; }`);
    run.push(`    for (; r < ${R}; r++) {`,
      `      const int iy = iy0 + r; int8_t *d = s + r * ${rb};`,
      `      if (iy < 0 || iy >= ${op.inH}) { memset(d, ${zp}, ${rb}); continue; }`,
      ...(left ? [`      memset(d, ${zp}, ${left});`] : []),
      `      ${name}_copy(d + ${left}, in + iy * ${interior}, ${interior});`,
      ...(right ? [`      memset(d + ${left + interior}, ${zp}, ${right});`] : []),
      `    }`,
      ...(plan.patch
        ? [`    { int8_t *pt = s + ${plan.patch.at}; const int8_t *wx = s;`,
          `      for (int ox = 0; ox < ${op.outW}; ox++, pt += ${plan.patch.bytes}, wx += ${op.strideW * op.inC}) {`,
          ...plan.patch.runs.map((r) => `        memcpy(pt + ${r.dst}, wx + ${r.src}, ${r.len});`),
          `      }`,
          `      ${name}_dot(s + ${plan.patch.at}, out + (oy - oy0) * ${op.outW * outPix}, ${op.outW}, sl); }`]
        : [`    ${name}_dot(s, out + (oy - oy0) * ${op.outW * outPix}, ${op.outW}, sl);`]),
      `  }`);
  }
  run.push(`}`);
  const copy = [`static void ${name}_copy(int8_t *d, const int8_t *x, int n) {`,
    `  int i = 0; for (; i + 16 <= n; i += 16) tfh_st8(d + i, tfh_ld8(x + i));`,
    `  for (; i < n; i++) d[i] = x[i];`, `}`];
  const entry = opts.mode
    ? [`static void ${name}(const int8_t *in, int8_t *out, int oy0, int oy1, int c0, int8_t *scratch) {`,
      `  ${name}_run(in, out, oy0, oy1, c0 / ${opts.mode.width}, scratch);`, `}`]
    : [`static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`,
      `  ${name}_run(in, out, 0, ${op.outH}, 0, scratch);`, `}`];
  const code = [SIMD_PRELUDE, HELIUM_PRELUDE, HELIUM_SCALAR, ...copy, ...parts, ...dot, ...run, ...entry].join('\n');
  const data = `static const int8_t ${name}_w[${tab.length}] __attribute__((aligned(16))) = {${tab.map((v) => (v << 24 >> 24)).join(',')}};`;
  const instructions = estimateConvHelium(op, plan);
  return { ok: true, kernel: { fn: name, data, code, scratchBytes: plan.scratchBytes, constBytes: tab.length,
    estimate: { instructions, loads: Math.round(op.outH * op.outW * op.outC * plan.steps * (P + Q) / (P * Q)) } } };
}

/** SMMLA (no rounding) beside the prelude's SMMLAR. */
const HELIUM_SCALAR = String.raw`#ifndef TF_HELIUM_SCALAR
#define TF_HELIUM_SCALAR
#if defined(__ARM_FEATURE_DSP)
TFH_INLINE int32_t tfh_smmla(int32_t a, int32_t b, int32_t c) { int32_t r; __asm__("smmla %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c)); return r; }
#else
TFH_INLINE int32_t tfh_smmla(int32_t a, int32_t b, int32_t c) { return (int32_t)(((int64_t)a * b + (int64_t)((uint64_t)(uint32_t)c << 32)) >> 32); }
#endif
#endif`;

/**
 * `static void fn(const int8_t *x, const int8_t *w, int8_t *y, int n)`: n blocks of p pixels x q channels;
 * x is the first pixel's window start, w the block record, y the first pixel's first output channel. The
 * reduction is one inline-assembly block (gcc precomputes every step's address into stack slots when
 * given intrinsics): a running input pointer with the pixels at immediate offsets (VLDRW when every offset
 * is word aligned, else VLDRB), the weights post-incremented, the accumulators in even registers (`Te`,
 * as VMLADAVA needs), long runs looped with LE.
 */
function blockFn(fn: string, kind: Kind, p: number, q: number, plan: HeliumConvPlan, outStride: number,
  single: boolean, op: KConv2d): string {
  const ps = plan.pixelStep;
  const ld = plan.wordLoads ? 'vldrw.u32' : 'vldrb.u8';
  const acc = (i: number, j: number) => `a${i}_${j}`;
  const A: string[] = [];
  let cur = 0;
  const move = (to: number) => {
    let d = to - cur;
    while (d !== 0) { const s = Math.max(-4095, Math.min(4095, d)); A.push(s > 0 ? `addw %[x], %[x], #${s}` : `subw %[x], %[x], #${-s}`); d -= s; }
    cur = to;
  };
  const step = () => {
    for (let i = 1; i < p; i++) A.push(`${ld} q${i}, [%[x], #${i * ps}]`);
    A.push(`${ld} q0, [%[x]], #16`);
    for (let j = 0; j < q; j++) {
      const wr = j % 2 ? 'q7' : 'q6';
      A.push(`vldrb.u8 ${wr}, [%[w]], #16`);
      for (let i = 0; i < p; i++) A.push(`vmlava.s8 %[${acc(i, j)}], q${i}, ${wr}`);
    }
    cur += 16;
  };
  let looped = false;
  for (const r of plan.runs) {
    const n = Math.ceil(r.len / 16);
    move(r.off);
    if (n <= UNROLL) { for (let s = 0; s < n; s++) step(); continue; }
    let k = 8; for (let d = 8; d >= 4; d--) if (n % d === 0) { k = d; break; }
    const it = Math.floor(n / k), rest = n - it * k;
    looped = true;
    A.push(`mov lr, #${it}`, `1:`);
    const c0 = cur;
    for (let s = 0; s < k; s++) step();
    A.push(`le lr, 1b`);
    cur = c0 + 16 * k * it;
    for (let s = 0; s < rest; s++) step();
  }
  move(p * ps);
  // Four pixels x at most two channels: the asm also moves each channel's four accumulators into a vector
  // (two VMOV) in q4 / q5, the registers it leaves free, so no accumulator outlives it.
  const vecOut = p === 4 && q <= 2;
  if (vecOut) for (let j = 0; j < q; j++) A.push(`vmov %q[v${j}][2], %q[v${j}][0], %[${acc(0, j)}], %[${acc(2, j)}]`, `vmov %q[v${j}][3], %q[v${j}][1], %[${acc(1, j)}], %[${acc(3, j)}]`);
  const outs = [...Array.from({ length: p }, (_, i) => Array.from({ length: q }, (_, j) => `[${acc(i, j)}] "+Te"(${acc(i, j)})`)).flat(),
    ...(vecOut ? Array.from({ length: q }, (_, j) => `[v${j}] "=&w"(v${j})`) : [])];
  const clob = ['"q0"', ...Array.from({ length: p - 1 }, (_, i) => `"q${i + 1}"`), '"q6"', ...(q > 1 ? ['"q7"'] : []), ...(looped ? ['"lr"'] : []), '"memory"'];
  const L: string[] = [`static void __attribute__((noinline)) ${fn}(const int8_t *x, const int8_t *wq, int8_t *y, int n) {`,
    `  for (; n > 0; n--, y += ${p * outStride}) {`,
    `    const int32_t *bt = (const int32_t *)(const void *)wq;`];
  for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) L.push(`    int32_t ${acc(i, j)} = bt[${j}];`);
  L.push(`    const int8_t *w = wq + ${Math.ceil(q / 4) * 16};`);
  if (vecOut) L.push(`    tfh_v32 ${Array.from({ length: q }, (_, j) => `v${j}`).join(', ')};`);
  L.push(`#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)`,
    `    __asm__ volatile(`, ...A.map((a) => `      "${a}\\n"`),
    `      : ${outs.join(', ')}, [x] "+r"(x), [w] "+r"(w)`,
    `      : : ${clob.join(', ')});`,
    `#else`);
  // The same reduction in portable C (host builds).
  L.push(`    { const int8_t *xs = x;`);
  for (const r of plan.runs) {
    const n = Math.ceil(r.len / 16);
    L.push(`      for (int s = 0; s < ${n}; s++) {`);
    for (let i = 0; i < p; i++) L.push(`        const tfh_v8 x${i} = tfh_ld8(xs + ${r.off + i * ps} + 16 * s);`);
    for (let j = 0; j < q; j++) {
      L.push(`        { const tfh_v8 v = tfh_ld8(w); w += 16;`);
      for (let i = 0; i < p; i++) L.push(`          ${acc(i, j)} = tfh_dot(${acc(i, j)}, x${i}, v);`);
      L.push(`        }`);
    }
    L.push(`      }`);
  }
  L.push(`      x = xs + ${p * ps}; }`);
  if (vecOut) for (let j = 0; j < q; j++) L.push(`    v${j} = tfh_make4(${acc(0, j)}, ${acc(1, j)}, ${acc(2, j)}, ${acc(3, j)});`);
  L.push(`#endif`);
  L.push(`    const int32_t *rq = (const int32_t *)(const void *)w;`);
  if (p === 4) {
    // Four pixels of one channel per vector (two VMOV), requantised with the channel's scalars, scattered
    // to the four output pixels (offsets 0, s, 2s, 3s): about 10 instructions per 4 outputs.
    for (let j = 0; j < q; j++) {
      L.push(`    { const int32_t M = rq[${j}], sh = rq[${2 * q + j}], z = rq[${3 * q + j}];`,
        vecOut ? `      const tfh_v32 a = v${j};` : `      const tfh_v32 a = tfh_make4(${acc(0, j)}, ${acc(1, j)}, ${acc(2, j)}, ${acc(3, j)});`);
      if (kind === 'r') L.push(single ? `      tfh_v32 o = tfh_rshl(tfh_qdmulh(a, M), -sh);`
        : `      tfh_v32 o = tfh_rshl(tfh_add(tfh_qrdmulh(a, M), tfh_sign(a)), -sh);`);
      else L.push(`      tfh_v32 o = tfh_qrdmulh(tfh_shl(a, sh - 1), M);`);
      // Clamp: VMAX / VMIN against the activation range, or the saturation to int8 where it is the bound.
      L.push(`      o = tfh_addn(o, z);`);
      if (op.actMax < 127) L.push(`      o = tfh_minn(tfh_maxn(o, ${op.actMin}), ${op.actMax});`);
      else {
        if (op.actMin > -128) L.push(`      o = tfh_maxn(o, ${op.actMin});`);
        L.push(`      o = tfh_sat8(o);`);
      }
      L.push(`      tfh_scatter4(y + ${j}, tfh_offsets(${outStride}), o); }`);
    }
  } else {
  for (let j = 0; j < q; j++) {
    L.push(`    { const int32_t M = rq[${j}], Cc = rq[${q + j}], sh = rq[${2 * q + j}];`);
    for (let i = 0; i < p; i++) {
      const a = acc(i, j);
      if (kind === 'r') {
        L.push(`      { const int32_t a2 = ${a} * 2; int32_t t = ${single ? 'tfh_smmla(a2, M, Cc)' : 'tfk_smmlar(a2, M, Cc) - (int32_t)((uint32_t)a2 >> 31)'}; int32_t o; TFK_SSAT0(o, t >> sh);`);
      } else {
        L.push(`      { const int32_t a2 = (int32_t)((uint32_t)${a} << sh); int32_t o; TFK_SSAT0(o, tfk_smmlar(a2, M, Cc));`);
      }
      if (op.actMin > -128) L.push(`        if (o < ${op.actMin}) o = ${op.actMin};`);
      if (op.actMax < 127) L.push(`        if (o > ${op.actMax}) o = ${op.actMax};`);
      L.push(`        y[${i * outStride + j}] = (int8_t)o; }`);
    }
    L.push(`    }`);
  }
  }
  L.push(`  }`, `}`);
  return L.join('\n');
}
