// C for one array layer's host program (layer-program.ts): start-up copy of the constant words, the
// pre-step (pair images, then loop nests writing the staged words), context-memory load and launches,
// and the post-step (loop nests: decode, bias, one-MULH or, where exact, one-MUL requantisation, clamp, int8
// store). C99, no malloc.
// The launches go through tf_cgra.h (emit-app.ts): HEEPsilon's CGRA registers, or the co-simulation's
// register file and service call.
import { buildImage } from '../isa/image.ts';
import type { CgraArch } from '../arch.ts';
import { exactOutput, MAX_LAUNCH_FNS, mul32Forms, primesAhead, stagesGroup, type LayerProgram } from './layer-program.ts';
import { longestInner, type Nest } from './runs.ts';
import { clampRange, clampRangeExact } from './requant.ts';

/** Share of a layer's channels that must take the one-MUL requantisation for the layer to use it (see layerC). */
export const MUL32_SHARE = 0.3;
/** Mean share of the channels' unclamped output levels the one-MUL prefixes must cover for a layer to take the prefix form. */
export const MUL32_COVER = 1 / 3;

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
const list = (a: ArrayLike<number>, f: (v: number) => string = String): string => {
  const out: string[] = [];
  for (let i = 0; i < a.length; i += 12) out.push('  ' + Array.from({ length: Math.min(12, a.length - i) }, (_, k) => f(a[i + k])).join(', '));
  return out.join(',\n');
};

/** Index expression of vector component k inside the nest's loops (i0 innermost; `i0` overrides its name). */
function idx(n: Nest, k: number, i0 = 'i0'): string {
  let s = String(n.base[k]);
  n.dims.forEach((d, l) => { if (d.delta[k]) s += ` + ${l === 0 ? i0 : `i${l}`} * ${d.delta[k]}`; });
  return s;
}

/** The nest's loops around `body`; with `chan`, the output channel `o` of vec[0] = j, tracked incrementally. */
/**
 * `alt`: the innermost loop twice, `if (cond) { alt.prologue; loop(alt.body) } else { prologue; loop(body) }`
 * (cond and `pre` see the nest's channel `o`; needs a channel fixed along the innermost loop).
 */
interface AltLoop { pre: string; cond: string; prologue: string; body: string }

function loops(n: Nest, body: string, chan?: number, unroll = 4, prologue?: string, alt?: AltLoop): string {
  const ind = (d: number): string => '  '.repeat(d + 1);
  const L = n.dims.length;
  const dO = n.dims.map((d) => (chan ? ((d.delta[0] % chan) + chan) % chan : 0));
  const track = chan !== undefined && dO.some((x) => x !== 0);
  // The channel fixed along the innermost loop: `o` and the prologue (e.g. per-channel constants) before it.
  const fixed0 = track && L > 0 && dO[0] === 0;
  const lines: string[] = ['{'];
  if (chan !== undefined && !track) lines.push(`${ind(0)}const int o = ${n.base[0] % chan};`);
  if (L === 0 && prologue) lines.push(`${ind(0)}${prologue}`);
  for (let l = L - 1; l >= 0; l--) {
    const depth = L - 1 - l;
    if (track) lines.push(`${ind(depth)}int c${l} = ${l === L - 1 ? n.base[0] % chan! : `c${l + 1}`};`);
    if (l === 0 && fixed0) lines.push(`${ind(depth)}const int o = c0;`);
    if (l === 0 && alt) {
      lines.push(`${ind(depth)}${alt.pre}`, `${ind(depth)}if (${alt.cond}) {`, `${ind(depth)}${alt.prologue}`, `${ind(depth)}#pragma GCC unroll ${unroll}`,
        `${ind(depth)}for (int i0 = 0; i0 < ${n.dims[0].count}; i0++) {`, ...alt.body.split('\n').map((x) => ind(L) + x), `${ind(depth)}}`, `${ind(depth)}} else {`);
    }
    if (l === 0 && prologue) lines.push(`${ind(depth)}${prologue}`);
    if (l === 0) lines.push(`${ind(depth)}#pragma GCC unroll ${unroll}`);
    lines.push(`${ind(depth)}for (int i${l} = 0; i${l} < ${n.dims[l].count}; i${l}++) {`);
  }
  if (track && !fixed0) lines.push(`${ind(L)}const int o = ${L ? 'c0' : n.base[0] % chan!};`);
  lines.push(...body.split('\n').map((x) => ind(L) + x));
  for (let l = 0; l < L; l++) {
    const depth = L - 1 - l;
    if (track && dO[l]) lines.push(`${ind(depth + 1)}c${l} += ${dO[l]}; if (c${l} >= ${chan}) c${l} -= ${chan};`);
    lines.push(`${ind(depth)}}`);
    if (l === 0 && alt) lines.push(`${ind(depth)}}`);
  }
  lines.push('}');
  return lines.join('\n');
}

function srcExpr(key: string, vecAt: () => string): string {
  return key === 'p' ? `(int32_t)x[${vecAt()}]` : `(int32_t)${key}`;
}

function stageBody(p: string, n: Nest): string {
  const [kind, ...parts] = n.key.split(':');
  const dst = `M[${idx(n, 0)}]`;
  let k = 1;
  const next = (): string => idx(n, k++);
  switch (kind) {
    case 'img': return `${dst} = ${p}_img${parts[0]}[${idx(n, 1)}];`;
    case 'byte': return `((int8_t *)M)[${idx(n, 0)}] = x[${idx(n, 1)}];`;
    case 'w4': {
      const aligned = n.base[1] % 4 === 0 && n.dims.every((d) => d.delta[1] % 4 === 0);
      return aligned ? `${dst} = ((const int32_t *)x)[(${idx(n, 1)}) >> 2];` : `${dst} = (int32_t)((uint32_t)(uint8_t)x[${idx(n, 1)}] | (uint32_t)(uint8_t)x[${idx(n, 1)} + 1] << 8 | (uint32_t)(uint8_t)x[${idx(n, 1)} + 2] << 16 | (uint32_t)(uint8_t)x[${idx(n, 1)} + 3] << 24);`;
    }
    case 'p23': {
      const lo = srcExpr(parts[0], next), hi = srcExpr(parts[1], next);
      return `${dst} = ${lo} + ${hi} * 8388608;`;
    }
    case 'b4': {
      const b = parts.map((s) => `(uint32_t)(uint8_t)${s === 'p' ? `x[${next()}]` : `(${s})`}`);
      return `${dst} = (int32_t)(${b[0]} | ${b[1]} << 8 | ${b[2]} << 16 | ${b[3]} << 24);`;
    }
    default: throw new Error(`stage nest kind ${kind}`);
  }
}

/** Spare words after a layer's array memory (software-pipelined loads read one word past a run). */
const PAD = 16;

export interface LayerC { name: string; decl: string; code: string; bitstream: string }

/**
 * The C of one array layer: `void <fn>(const int8_t *x, int8_t *out)` running stage, launches and post,
 * and `void <fn>_setup(void)` writing the constant words once. `id` numbers the layer for the co-simulation.
 */
export function layerC(prog: LayerProgram, fn: string, id: number, arch: CgraArch): LayerC {
  const p = fn;
  const L = prog.layer;
  const C = L.outC;
  const out: string[] = [];
  out.push(`/* ${L.name}: ${prog.plan.strategy}, ${prog.plan.launches.length} launch(es), ${prog.memWords * 4} bytes of array memory, ${prog.stage.length} stage nests, ${prog.post.length} post nests */`);
  out.push(`static uint32_t ${p}_mem[${prog.memWords + PAD}] TF_ALIGN(8);`);
  prog.init.forEach(([, w], i) => out.push(`static const uint32_t ${p}_init${i}[${w.length}] = {\n${list(w, hex)}\n};`));
  for (const im of prog.images) out.push(`static int32_t ${p}_img${im.id}[${im.n}];`);
  if (prog.terms > 1) out.push(`static int32_t ${p}_acc[${prog.gathered.terms.length}];`);
  const ch = prog.channels;
  const table = (name: string, type: string, f: (c: (typeof ch)[number], o: number) => number): string => {
    if (ch.every((c, o) => f(c, o) === f(ch[0], 0))) return `#define ${p}_${name}(o) (${f(ch[0], 0)})`;
    out.push(`static const ${type} ${p}_${name}_t[${C}] TF_MAYBE_UNUSED = {\n${list(ch.map(f))}\n};`);
    return `#define ${p}_${name}(o) (${p}_${name}_t[o])`;
  };
  const macros: string[] = [table('kb', 'int32_t', (c) => c.kb)];
  // Packed-pair outputs with the bias in the decode constant: Z & -512 = 512 (D + b), and
  // MULH(512 (D + b), M) = floor((D + b) M / 2^23), whose floor by 2^7 is requant.ts's y; nested floors compose,
  // so out = (y7 + 2^7 (K + corr)) >> (E + 7), with corr = -2 exactly when y7 < 0. One instruction less than
  // shifting the decoded value back up.
  const packed = prog.fast && prog.decode === 'fxp' && prog.biasInDecode && ch[0].fast!.pre === 2 &&
    ch.every((c) => Math.abs(c.fast!.K) < 2 ** 22 && c.fast!.E + 7 <= 31 && (c.bound < 2 ** 22 || c.fast!.m === 0));
  // ReLU-style clamps (actMin >= the zero point: about every other output clamps low) test thresholds before
  // the requantisation (finish below; fast or exact); other layers rarely clamp and keep one unsigned compare.
  const thresholds = L.q.actMin >= L.q.outputOffset;
  const packedU = packed && thresholds;
  if (prog.fast) {
    macros.push(table('m', 'int32_t', (c) => c.fast!.m), table('k', 'int32_t', (c) => c.fast!.K), table('e', 'uint8_t', (c) => c.fast!.E));
    if (packed) macros.push(table('k7', 'int32_t', (c) => c.fast!.K * 128), table('e7', 'uint8_t', (c) => c.fast!.E + 7));
  } else {
    macros.push(table('m', 'int32_t', (c) => c.multiplier), table('s', 'int8_t', (c) => c.shift));
  }
  let prefixMid: ((c: (typeof ch)[number], o: number) => number) | undefined;
  if (thresholds) {
    const exactArith = prog.arith === 'tflm' || L.q.rounding !== 'single' ? 'tflm' : 'tflite';
    // A constant channel (layer-program.ts: m = 0, out = K) over the whole int32 range, not only the fast domain.
    const I = 2147483647;
    const constRange = (v: number): { lo: number; hi: number } => (v <= L.q.actMin ? { lo: I, hi: I } : v >= L.q.actMax ? { lo: -I, hi: -I } : { lo: -I, hi: I });
    const ranges = ch.map((c) => (prog.fast && c.fast!.m === 0 ? constRange(c.fast!.K) : prog.fast ? clampRange(c.fast!, packed, L.q.actMin, L.q.actMax, c.bound)
      : clampRangeExact(c.multiplier, c.shift, exactArith, L.q.outputOffset, L.q.actMin, L.q.actMax, c.bound)));
    // Packed: the thresholds test u = 2 T + kb before the rounding to z = u & -512 (z <= lo <=> u <= 512 floor(lo /
    // 512) + 511, the same for hi; both fit int32), so clamped outputs skip the AND too.
    const uSpace = (v: number, c: (typeof ch)[number]): number => (packedU && c.fast!.m !== 0 ? 512 * Math.floor(v / 512) + 511 : v);
    macros.push(table('lo', 'int32_t', (c, o) => uSpace(ranges[o].lo, c)), table('hi', 'int32_t', (c, o) => uSpace(ranges[o].hi, c)));
    prefixMid = (c, o) => (pforms[o] ? (packedU ? 512 * pforms[o]!.hi + 511 : pforms[o]!.hi) : uSpace(ranges[o].lo, c));
  }
  // Only where it paid on CV32E40P (measured on vww): two copies of every inner loop cost the MULH channels
  // ~1 cycle per output (GCC no longer peels the channel loops into constants) and runs of 3-6 outputs several
  // cycles (per-run constant loads), so layers whose post runs are all >= 12 outputs and whose channels take
  // the MUL form at least MUL32_SHARE of the time (vww: conv_2d_2 6/16, depthwise_conv_2d_3 12/16,
  // depthwise_conv_2d_5 10/32; not conv_2d_6 6/32, whose post got 5% slower).
  const runsLong = prog.post.flat().every((n) => n.key !== 'f' || (n.dims.length > 0 && n.dims[0].count >= 12 && n.dims[0].delta[0] % C === 0));
  const mulOk = thresholds && prog.fast && prog.terms === 1 && runsLong;
  const forms0 = mulOk && prog.decode === 'int32' ? mul32Forms(prog) : [];
  const forms = forms0.filter((f) => f).length >= MUL32_SHARE * C ? forms0 : [];
  const mul32 = forms.some((f) => f !== undefined);
  // Prefix form, for the other layers: one loop for every channel; sums up to `mid` (the levels the one-MUL form
  // covers from the bottom, requant.ts mul32Prefix) take the MUL, the rest the MULH behind one more compare (2-3
  // cycles more than before). Taken when the prefixes cover at least MUL32_COVER of the channels' unclamped
  // output levels on average (vww: conv_2d_0 0.28, 33 K cycles slower with it; conv_2d_4 0.46, 39 K faster).
  // Runs > 16 only (GCC unrolls them by 8; kws's conv_2d_0, runs of 15-16, got 12% slower with the prefix form).
  const runsOver16 = prog.post.flat().every((n) => n.key !== 'f' || (n.dims.length > 0 && n.dims[0].count > 16));
  const pforms0 = mulOk && !mul32 && runsOver16 && (packedU || prog.decode === 'int32') ? mul32Forms(prog, true) : [];
  const cover = pforms0.reduce((a, f, o) => {
    if (!f) return a;
    const top = exactOutput(prog, ch[o], ch[o].accMax) - L.q.actMin;
    return a + (top > 0 ? Math.min(1, (exactOutput(prog, ch[o], f.hi) - L.q.actMin) / top) : 1);
  }, 0) / C;
  const pforms = cover >= MUL32_COVER ? pforms0 : [];
  const prefix = pforms.some((f) => f !== undefined);
  if (mul32) {
    const I = 2147483647;
    const tOf = (v: number, c: (typeof ch)[number]): number => Math.max(-I - 1, Math.min(I, v - c.kb));
    macros.push(table('mA', 'int32_t', (_, o) => forms[o]?.A ?? 0),
      table('mB', 'int32_t', (c, o) => (forms[o] ? Number(BigInt.asIntN(32, BigInt(forms[o]!.B) + BigInt(c.kb) * BigInt(forms[o]!.A))) : 0)),
      table('tlo', 'int32_t', (c, o) => (forms[o] ? tOf(forms[o]!.lo, c) : 0)), table('thi', 'int32_t', (c, o) => (forms[o] ? tOf(forms[o]!.hi, c) : 0)));
  }
  if (prefix) macros.push(table('mA', 'int32_t', (_, o) => pforms[o]?.A ?? 0), table('mB', 'int32_t', (_, o) => pforms[o]?.B ?? 0), table('mid', 'int32_t', prefixMid!));
  out.push(...macros);
  // Launch table: kernel id, then the column pointers as byte offsets into the layer's memory.
  out.push(`static const uint32_t ${p}_launch[${prog.plan.launches.length}][${1 + 2 * arch.cols}] = {\n${prog.plan.launches.map((l) => `  {${[l.kernel, ...padCols(l.ptrIn, arch.cols), ...padCols(l.ptrOut, arch.cols)].join(', ')}}`).join(',\n')}\n};`);

  // Setup.
  out.push(`static void ${p}_setup(void)\n{\n${prog.init.map(([at], i) => `  memcpy(${p}_mem + ${at}, ${p}_init${i}, sizeof ${p}_init${i});`).join('\n')}\n}`);

  // Stage: group 0 (the words launch 0 reads, and the pair-image entries they come from) before the first
  // launch; group l >= 1 while launch l - 1 runs (layer-program.ts).
  const stageFn = (nests: typeof prog.stage, g: number): string => {
    const st: string[] = [];
    for (const im of prog.images) {
      const [from, to] = prog.imageParts[g][im.id];
      if (to > from) st.push(`  #pragma GCC unroll 4\n  for (int i = ${from}; i < ${to}; i++) ${p}_img${im.id}[i] = (int32_t)x[${im.lo0} + i * ${im.g}] + (int32_t)x[${im.lo0 + im.delta} + i * ${im.g}] * 8388608;`);
    }
    // Copy runs up to 32 words unroll fully (one load and one store per word); longer ones by 8. The longest
    // loop of a nest runs innermost (runs.ts longestInner: band copies nest 2-3 word runs inside long ones).
    for (const n0 of nests) {
      const n = longestInner(n0);
      st.push(indent(loops(n, stageBody(p, n), undefined, n.dims.length && n.dims[0].count <= 32 ? n.dims[0].count : 8)));
    }
    return `__attribute__((noinline)) static void ${p}_stage${g}(const int8_t *x)\n{\n  int32_t *const M = (int32_t *)${p}_mem;\n  (void)M; (void)x;\n${st.join('\n')}\n}`;
  };
  const groups0 = prog.stageGroups;
  const stagedGroups = groups0.map((_, g) => stagesGroup(prog, g));
  groups0.forEach((ns, g) => { if (stagedGroups[g]) out.push(stageFn(ns, g)); });

  // Post.
  const q = L.q;
  const rq = (a: string): string => {
    if (!prog.fast) {
      const f = prog.arith === 'tflm' || q.rounding !== 'single' ? 'tf_requant_tflm' : 'tf_requant_tflite';
      return `int32_t v = ${f}(${a}, ${p}_m(o), ${p}_s(o)) + ${q.outputOffset};`;
    }
    const f0 = ch[0].fast!;
    return [`int32_t y = (int32_t)(((int64_t)(int32_t)((uint32_t)(${a}) << ${f0.pre}) * ${p}_m(o)) >> 32);`,
      ...(f0.corr ? ['y += (y >> 31) * 2;'] : []),
      `int32_t v = (y + ${p}_k(o)) >> ${p}_e(o);`].join('\n');
  };
  // One unsigned compare on the common path; the full int8 range saturates branch-free ((v >> 31) ^ 127).
  const clampStore = (q.actMin === -128 && q.actMax === 127
    ? 'if (TF_UNLIKELY((uint32_t)(v + 128) > 255u)) v = (v >> 31) ^ 127;'
    : `if (TF_UNLIKELY((uint32_t)(v - ${q.actMin}) > ${q.actMax - q.actMin}u)) v = v < ${q.actMin} ? ${q.actMin} : ${q.actMax};`) + `\n((uint8_t *)out)[${'J'}] = (uint8_t)v;`;
  // With thresholds the clamp tests s, the value before the requantisation (requant.ts clampRange: z = 512 (D + b)
  // in the packed form, else the biased sum; clampRangeExact for runtime.h's exact path): outputs on either
  // clamped side skip it (ReLU layers: every s <= 0 and more). Each side stores its constant on its own path
  // (TF_KEEP_STORE stops GCC merging the three stores into one after a select, which cost the unclamped path
  // two constant loads and a zero extension): the unclamped path is two branches not taken, the requantisation
  // and its store; a clamped output a taken branch, a store and a jump back.
  const finish = (s: string, rqLines: string[], j: string, mulS?: string): string => {
    if (!thresholds) return [...rqLines, clampStore.replace('J', j)].join('\n');
    const st = `((uint8_t *)out)[${j}]`;
    if (prefix && mulS) {
      return [`if (TF_UNLIKELY(${s} <= ${p}_lo(o))) { ${st} = (uint8_t)${q.actMin}; TF_KEEP_STORE(); }`,
        `else if (TF_UNLIKELY(${s} > ${p}_mid(o))) {`,
        `  if (${s} > ${p}_hi(o)) { ${st} = (uint8_t)${q.actMax}; TF_KEEP_STORE(); }`,
        '  else {', ...rqLines.map((l) => '    ' + l), `    ${st} = (uint8_t)v;`, '  }', '}',
        `else ${st} = (uint8_t)((${mulS} * (uint32_t)${p}_mA(o) + (uint32_t)${p}_mB(o)) >> 24);`].join('\n');
    }
    return [`if (TF_UNLIKELY(${s} <= ${p}_lo(o))) { ${st} = (uint8_t)${q.actMin}; TF_KEEP_STORE(); }`,
      `else if (TF_UNLIKELY(${s} > ${p}_hi(o))) { ${st} = (uint8_t)${q.actMax}; TF_KEEP_STORE(); }`,
      'else {', ...rqLines.map((l) => '  ' + l), `  ${st} = (uint8_t)v;`, '}'].join('\n');
  };
  // The packed-pair form's requantisation of z (requant.ts requantRaw, packed): MULH, the negative-side correction, shift.
  const packedRq = (): string[] => [`int32_t y = (int32_t)(((int64_t)z * ${p}_m(o)) >> 32);`,
    ...(ch[0].fast!.corr ? ['y += (y >> 31) * 256;'] : []), `int32_t v = (y + ${p}_k7(o)) >> ${p}_e7(o);`];
  // A post nest's inner loop keeps one output channel: its constants (kb, m, k, e, ...) are read into locals
  // before the loop (GCC otherwise reloads the tables per output: the int8 stores may alias them).
  const chanLoops = (n: Nest, body: string, prologue = '', alt?: { body: string; prologue: string }): string => {
    if (n.dims.length && n.dims[0].delta[0] % C !== 0) return indent(loops(n, body, C, 4, prologue || undefined));
    const locals = (text: string, skip: string[] = []): [string, string] => {
      const used = new Set<string>();
      const b = text.replace(new RegExp(`${p}_(\\w+)\\(o\\)`, 'g'), (_, k: string) => { used.add(k); return `c_${k}`; });
      return [b, [...used].filter((k) => !skip.includes(k)).map((k) => `const int32_t c_${k} = ${p}_${k}(o);`).join(' ')];
    };
    const [b, consts] = locals(body);
    // The one-MUL form (mul32): its channels have mA != 0 and take their own copy of the inner loop.
    const a = alt && n.dims.length ? locals(alt.body, ['mA']) : undefined;
    const altLoop = a ? { pre: `const int32_t c_mA = ${p}_mA(o);`, cond: 'c_mA != 0', prologue: [a[1], alt!.prologue].filter((x) => x).join(' '), body: a[0] } : undefined;
    // Unrolled 8x: the loop's two pointer increments and its taken branch (5 cycles) every 8 outputs, not 4.
    // With two loops, runs of up to 16 unroll completely: GCC's RTL unroller refuses factor 8 below 16
    // iterations ("doesn't roll"), and its size limits stop the complete unrolling it does for one loop.
    const u = altLoop && n.dims[0].count <= 16 ? n.dims[0].count : 8;
    return indent(loops(n, b, C, u, [consts, prologue].filter((x) => x).join(' '), altLoop));
  };
  // The two-loop one-MUL form (requant.ts mul32Requant; int32 decode) for the channels whose reachable sums
  // allow it: the thresholds test the array's word t itself (acc = t + kb), and an unclamped output is bits
  // 24..31 of t A + (B + kb A) mod 2^32: one MUL and one add in place of the add, shift, MULH, add and shift
  // (CV32E40P: 2 cycles instead of 9). The packed prefix form (finish) takes acc = u >> 9 (u = 2 t + kb).
  const mulAlt = (n: Nest, j: string, word: string, pipe: boolean): { body: string; prologue: string } | undefined => {
    if (!mul32) return undefined;
    const st = `((uint8_t *)out)[${j}]`;
    const s0 = '(uint32_t)s';
    const sum = (x: string): string => `const int32_t s = ${x};`;
    const body = [...(pipe ? [`const int32_t tn = M[${idx(n, 1, '(i0 + 1)')}];`, sum('t'), 't = tn;'] : [sum(word)]),
      `if (TF_UNLIKELY(s <= ${p}_tlo(o))) { ${st} = (uint8_t)${q.actMin}; TF_KEEP_STORE(); }`,
      `else if (TF_UNLIKELY(s > ${p}_thi(o))) { ${st} = (uint8_t)${q.actMax}; TF_KEEP_STORE(); }`,
      `else ${st} = (uint8_t)((${s0} * (uint32_t)c_mA + (uint32_t)${p}_mB(o)) >> 24);`].join('\n');
    return { body, prologue: pipe ? `int32_t t = M[${idx(n, 1, '0')}];` : '' };
  };
  const dec = (w: string): string => (prog.decode === 'fxp' ? `(((int32_t)((uint32_t)M[${w}] << 1) + 510) >> 9)` : `M[${w}]`);
  const nestC = (n: Nest): string => {
    const j = idx(n, 0), w = idx(n, 1);
    let body: string;
    switch (n.key) {
      case 'a0': body = `${p}_acc[${j}] = ${dec(w)};`; break;
      case 'a': body = `${p}_acc[${j}] += ${dec(w)};`; break;
      case 'f': case 'fa': {
        const acc = n.key === 'fa' ? `${p}_acc[${j}] + ` : '';
        let a: string;
        if (packed && n.key === 'f') {
          // Software-pipelined: the next word is loaded before this one is used (no load-use stall); the
          // array memory has PAD spare words after its end for the read past a run's last word.
          const dw = n.dims.length ? n.dims[0].delta[1] : 0;
          // The word's biased sum (u, tested before the rounding AND when packedU; else z after it), then the
          // clamp tests and the requantisation.
          const [sum, rest] = packedU
            ? [(x: string) => `const int32_t u = (int32_t)((uint32_t)${x} << 1) + ${p}_kb(o);`, finish('u', ['const int32_t z = u & -512;', ...packedRq()], j, '(uint32_t)(u >> 9)')]
            : [(x: string) => `const int32_t z = ((int32_t)((uint32_t)${x} << 1) + ${p}_kb(o)) & -512;`, finish('z', packedRq(), j)];
          if (n.dims.length && dw > 0 && dw <= PAD) {
            body = [`const int32_t tn = M[${idx(n, 1, '(i0 + 1)')}];`, sum('t'), `t = tn;`, rest].join('\n');
            return chanLoops(n, body, `int32_t t = M[${idx(n, 1, '0')}];`);
          }
          body = [sum(`M[${w}]`), rest].join('\n');
          break;
        }
        // Software-pipelined like the packed form when the run walks memory upwards.
        const dw = n.dims.length ? n.dims[0].delta[1] : 0;
        const pipe = n.key === 'f' && n.dims.length > 0 && dw > 0 && dw <= PAD;
        const word = pipe ? 't' : `M[${w}]`;
        if (prog.decode === 'fxp' && prog.biasInDecode && n.key === 'f') a = `((int32_t)((uint32_t)${word} << 1) + ${p}_kb(o)) >> 9`;
        else a = `${acc}${prog.decode === 'fxp' ? `(((int32_t)((uint32_t)${word} << 1) + 510) >> 9)` : word} + ${p}_kb(o)`;
        body = `${pipe ? `const int32_t tn = M[${idx(n, 1, '(i0 + 1)')}];\n` : ''}const int32_t a = ${a};\n${pipe ? 't = tn;\n' : ''}${finish('a', rq('a').split('\n'), j, prog.fast && prog.decode === 'int32' && n.key === 'f' ? '(uint32_t)a' : undefined)}`;
        const alt = n.key === 'f' && mul32 ? mulAlt(n, j, pipe ? 't' : `M[${w}]`, pipe) : undefined;
        if (pipe) return chanLoops(n, body, `int32_t t = M[${idx(n, 1, '0')}];`, alt);
        if (alt) return chanLoops(n, body, '', alt);
        break;
      }
      default: throw new Error(`post nest kind ${n.key}`);
    }
    return n.key === 'f' || n.key === 'fa' ? chanLoops(n, body) : indent(loops(n, body));
  };
  // One post function per launch (run while the array works on the next launch); beyond MAX_LAUNCH_FNS: one at the end.
  const nl = prog.plan.launches.length;
  const perLaunch = nl <= MAX_LAUNCH_FNS;
  const groups = perLaunch ? prog.post : [prog.post.flat()];
  groups.forEach((ns, l) => {
    out.push(`__attribute__((noinline)) static void ${p}_post${l}(int8_t *out)\n{\n  const int32_t *const M = (const int32_t *)${p}_mem;\n  (void)M; (void)out;\n${ns.map(nestC).join('\n')}\n}`);
  });
  // The layer: stage, context memory, launches, post; markers per stage (tf_cgra.h).
  const image = buildImage(arch, prog.plan.kernels);
  const posts = groups.map((_, l) => `${p}_post${l}`);
  const start = (l: string): string => `TF_MARK(7);\n  tf_cgra_start(${id}, ${l}, ${p}_mem, ${prog.memWords}, ${p}_launch[${l}]);\n  TF_MARK(8);`;
  // With a post-step per launch, launch l + 2's pointers are written after the window's post-step and stage
  // group (hundreds of cycles after launch l + 1 started and read its own), so only KERNEL_ID follows the wait;
  // launch 1's after stage group 1 when there is one (else launch 1 gets a whole start).
  const go = (l: string): string => `TF_MARK(7);\n  tf_cgra_go(${id}, ${l}, ${p}_mem, ${prog.memWords}, ${p}_launch[${l}]);\n  TF_MARK(8);`;
  const prime = (l: string): string => `TF_MARK(7);\n  tf_cgra_prime(${p}_mem, ${p}_launch[${l}]);\n  TF_MARK(8);`;
  // Worth it from 3 launches on (or 2 with a stage group 1 to prime behind); otherwise whole starts as before.
  const { ahead, primed1 } = primesAhead(prog);
  const stageCall = (g: number): string => `TF_MARK(5);\n  ${p}_stage${g}(x);\n  TF_MARK(6);`;
  const later = stagedGroups.map((v, g) => (v && g >= 2 ? g : -1)).filter((g) => g >= 0);
  const laterStage = later.length ? `
    if (l + 2 < ${nl}) {
      TF_MARK(5);
      switch (l + 2) {
${later.map((g) => `      case ${g}: ${p}_stage${g}(x); break;`).join('\n')}
      default: break;
      }
      TF_MARK(6);
    }` : '';
  out.push(`void ${p}(const int8_t *x, int8_t *out)
{
  ${stageCall(0)}
  TF_MARK(7);
  tf_cgra_load(cgra_imem_${p}, cgra_kmem_${p}, ${prog.contextLines});
  TF_MARK(8);
  ${start('0')}${stagedGroups[1] ? `\n  ${stageCall(1)}` : ''}${primed1 ? `\n  ${prime('1')}` : ''}
  for (int l = 0; l < ${nl}; l++) {
    TF_MARK(13);
    tf_cgra_wait();
    TF_MARK(14);
    if (l + 1 < ${nl}) {
      ${(!ahead ? start('l + 1') : primed1 ? go('l + 1') : `if (l == 0) {\n  ${start('1').replace(/\n  /g, '\n    ')}\n  } else {\n  ${go('l + 1').replace(/\n  /g, '\n    ')}\n  }`).replace(/\n  /g, '\n      ')}
    }
${perLaunch ? `    TF_MARK(11);\n    switch (l) {\n${posts.map((f, l) => `    case ${l}: ${f}(out); break;`).join('\n')}\n    default: break;\n    }\n    TF_MARK(12);` : ''}${laterStage}${ahead ? `
    if (l + 2 < ${nl}) {
      ${prime('l + 2').replace(/\n  /g, '\n      ')}
    }` : ''}
  }
${perLaunch ? '' : `  TF_MARK(11);\n  ${posts[0]}(out);\n  TF_MARK(12);`}
}`);
  const bitstream = `/* ${L.name}: ${prog.plan.kernels.length} kernel(s) */
static const uint32_t cgra_imem_${p}[TF_CGRA_IMEM_WORDS] = {\n${list(image.imem, hex)}\n};
static const uint32_t cgra_kmem_${p}[TF_CGRA_KMEM_WORDS] = {\n${list(image.kmem, hex)}\n};`;
  return { name: p, decl: `void ${p}(const int8_t *x, int8_t *out);\nvoid ${p}_setup(void);`, code: out.join('\n').replace(`static void ${p}_setup(void)`, `void ${p}_setup(void)`), bitstream };
}

const padCols = (a: number[], cols: number): number[] => Array.from({ length: cols }, (_, i) => a[i] ?? 0);
const indent = (s: string): string => s.split('\n').map((l) => '  ' + l).join('\n');
