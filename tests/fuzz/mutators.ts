// Seeded input mutators for the fuzzer (tests/fuzz/driver.ts): a structure-aware .tflite mutator (walks the
// flatbuffer of a real model to find offsets, vtables, vectors, shapes, quantisation, options and operator
// codes, then corrupts one or a few of them), a YAML mutator (types, numbers, keys, aliases, deletions) and
// corruptions of the CGRA bitstream formats (bitstream.h words, JSON image, ESL instructions.csv) and of
// launch.json. Every mutator is a pure function of its input and the random source, so a seed reproduces it.

export type Rng = () => number;

export function rngOf(seed: number): Rng {
  // mulberry32 (same generator family as compiler/rng.ts, kept local so the fuzzer does not depend on it).
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const randInt = (r: Rng, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[randInt(r, xs.length)]!;

/** Interesting 32-bit integers: boundaries, negatives, huge counts. */
const INTS = [0, 1, -1, 2, 3, 4, 7, 8, 127, 128, 255, 256, -128, -129, 0x7fff, 0xffff, 0x10000, 0x7fffffff, -0x80000000, 0x40000000, 1e6, 65537];
/** Interesting quantisation scales. */
const SCALES = [0, -0, -1, -0.5, NaN, Infinity, -Infinity, 1e30, 1e-30, 1e-45, 3.4e38, 1, 0.5, 2 ** -31, 1e10];
/** Interesting zero points (int64 stored). */
const ZPS = [0, -128, 127, 128, -129, 255, 256, -1000, 2 ** 31, -(2 ** 31), 2 ** 40, -1];

// ---------------------------------------------------------------------------------------------------------
// .tflite: a flatbuffer walk over the fields the mutator corrupts.

export interface Site {
  /** What the bytes mean (for the reproducer's description). */
  what: string;
  kind: 'uoffset' | 'vtentry' | 'veclen' | 'i32' | 'f32' | 'i64' | 'u8' | 'i8' | 'u16' | 'soffset';
  at: number;
}

class Walker {
  readonly sites: Site[] = [];
  readonly dv: DataView;
  constructor(readonly buf: Uint8Array) { this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }
  ok(pos: number, n: number): boolean { return pos >= 0 && pos + n <= this.buf.length; }
  u32(pos: number): number { return this.dv.getUint32(pos, true); }
  /** Field `i` of the table at `pos`: its absolute position, or undefined when absent. Records vtable sites. */
  field(pos: number, i: number, what: string): number | undefined {
    if (!this.ok(pos, 4)) return undefined;
    const vt = pos - this.dv.getInt32(pos, true);
    if (!this.ok(vt, 4)) return undefined;
    const vtLen = this.dv.getUint16(vt, true);
    if (4 + 2 * i + 2 > vtLen || !this.ok(vt + 4 + 2 * i, 2)) return undefined;
    const off = this.dv.getUint16(vt + 4 + 2 * i, true);
    this.sites.push({ what: `${what}: vtable entry`, kind: 'vtentry', at: vt + 4 + 2 * i });
    if (off === 0) return undefined;
    return pos + off;
  }
  table(pos: number | undefined, what: string): number | undefined {
    if (pos === undefined || !this.ok(pos, 4)) return undefined;
    this.sites.push({ what: `${what}: offset`, kind: 'uoffset', at: pos });
    const t = pos + this.u32(pos);
    if (!this.ok(t, 4)) return undefined;
    this.sites.push({ what: `${what}: vtable offset`, kind: 'soffset', at: t });
    return t;
  }
  /** A vector behind the uoffset at `pos`: [start of elements, length]. */
  vector(pos: number | undefined, what: string): [number, number] | undefined {
    if (pos === undefined || !this.ok(pos, 4)) return undefined;
    this.sites.push({ what: `${what}: offset`, kind: 'uoffset', at: pos });
    const v = pos + this.u32(pos);
    if (!this.ok(v, 4)) return undefined;
    this.sites.push({ what: `${what}: length`, kind: 'veclen', at: v });
    return [v + 4, this.u32(v)];
  }
  scalars(v: [number, number] | undefined, kind: Site['kind'], size: number, what: string, max = 64): void {
    if (!v) return;
    for (let i = 0; i < Math.min(v[1], max); i++) if (this.ok(v[0] + size * i, size)) this.sites.push({ what: `${what}[${i}]`, kind, at: v[0] + size * i });
  }
  tables(v: [number, number] | undefined, what: string, each: (pos: number, i: number) => void, max = 400): void {
    if (!v) return;
    for (let i = 0; i < Math.min(v[1], max); i++) {
      const t = this.table(v[0] + 4 * i, `${what}[${i}]`);
      if (t !== undefined) each(t, i);
    }
  }
  scalar(pos: number | undefined, kind: Site['kind'], what: string): void {
    if (pos !== undefined) this.sites.push({ what, kind, at: pos });
  }
}

/** Every mutable site of a .tflite model (Model -> subgraphs -> tensors/quantisation/operators/options, codes). */
export function tfliteSites(buf: Uint8Array): Site[] {
  const w = new Walker(buf);
  const model = w.table(0, 'model');
  if (model === undefined) return w.sites;
  w.scalar(w.field(model, 0, 'model.version'), 'i32', 'model.version');
  w.tables(w.vector(w.field(model, 1, 'operator_codes'), 'operator_codes'), 'operator_codes', (oc, i) => {
    w.scalar(w.field(oc, 0, 'deprecated_builtin_code'), 'i8', `operator_codes[${i}].deprecated_builtin_code`);
    w.scalar(w.field(oc, 2, 'version'), 'i32', `operator_codes[${i}].version`);
    w.scalar(w.field(oc, 3, 'builtin_code'), 'i32', `operator_codes[${i}].builtin_code`);
  });
  w.tables(w.vector(w.field(model, 2, 'subgraphs'), 'subgraphs'), 'subgraphs', (sg, s) => {
    w.tables(w.vector(w.field(sg, 0, 'tensors'), 'tensors'), `sg${s}.tensors`, (t, i) => {
      const p = `sg${s}.tensors[${i}]`;
      w.scalars(w.vector(w.field(t, 0, `${p}.shape`), `${p}.shape`), 'i32', 4, `${p}.shape`);
      w.scalar(w.field(t, 1, `${p}.type`), 'i8', `${p}.type`);
      w.scalar(w.field(t, 2, `${p}.buffer`), 'i32', `${p}.buffer`);
      const q = w.table(w.field(t, 4, `${p}.quantization`), `${p}.quantization`);
      if (q !== undefined) {
        w.scalars(w.vector(w.field(q, 2, `${p}.scale`), `${p}.scale`), 'f32', 4, `${p}.scale`, 8);
        w.scalars(w.vector(w.field(q, 3, `${p}.zero_point`), `${p}.zero_point`), 'i64', 8, `${p}.zero_point`, 8);
        w.scalar(w.field(q, 6, `${p}.quantized_dimension`), 'i32', `${p}.quantized_dimension`);
      }
      w.scalars(w.vector(w.field(t, 7, `${p}.shape_signature`), `${p}.shape_signature`), 'i32', 4, `${p}.shape_signature`);
    });
    w.scalars(w.vector(w.field(sg, 1, 'inputs'), `sg${s}.inputs`), 'i32', 4, `sg${s}.inputs`);
    w.scalars(w.vector(w.field(sg, 2, 'outputs'), `sg${s}.outputs`), 'i32', 4, `sg${s}.outputs`);
    w.tables(w.vector(w.field(sg, 3, 'operators'), `sg${s}.operators`), `sg${s}.operators`, (op, i) => {
      const p = `sg${s}.operators[${i}]`;
      w.scalar(w.field(op, 0, `${p}.opcode_index`), 'i32', `${p}.opcode_index`);
      w.scalars(w.vector(w.field(op, 1, `${p}.inputs`), `${p}.inputs`), 'i32', 4, `${p}.inputs`);
      w.scalars(w.vector(w.field(op, 2, `${p}.outputs`), `${p}.outputs`), 'i32', 4, `${p}.outputs`);
      w.scalar(w.field(op, 3, `${p}.builtin_options_type`), 'u8', `${p}.builtin_options_type`);
      const o = w.table(w.field(op, 4, `${p}.builtin_options`), `${p}.builtin_options`);
      // Options tables: every present field of the first 12 slots, as int32/byte (the widths vary by option).
      if (o !== undefined) for (let f = 0; f < 12; f++) {
        const fp = w.field(o, f, `${p}.options.${f}`);
        if (fp !== undefined) { w.scalar(fp, 'u8', `${p}.options.${f}`); if (w.ok(fp, 4)) w.scalar(fp, 'i32', `${p}.options.${f} (int32)`); }
      }
    });
  });
  w.tables(w.vector(w.field(model, 4, 'buffers'), 'buffers'), 'buffers', (b, i) => {
    w.vector(w.field(b, 0, `buffers[${i}].data`), `buffers[${i}].data`);
  }, 64);
  return w.sites;
}

function mutateSite(r: Rng, buf: Uint8Array, s: Site): string {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const old = () => {
    switch (s.kind) {
      case 'f32': return dv.getFloat32(s.at, true);
      case 'i64': return dv.getBigInt64(s.at, true);
      case 'u8': case 'i8': return buf[s.at];
      case 'u16': case 'vtentry': return dv.getUint16(s.at, true);
      default: return dv.getInt32(s.at, true);
    }
  };
  const before = String(old());
  switch (s.kind) {
    case 'f32': {
      const v = r() < 0.8 ? pick(r, SCALES) : (r() - 0.5) * 10 ** randInt(r, 40);
      dv.setFloat32(s.at, v, true);
      break;
    }
    case 'i64': dv.setBigInt64(s.at, BigInt(pick(r, ZPS)), true); break;
    case 'u8': case 'i8': buf[s.at] = r() < 0.5 ? randInt(r, 256) : pick(r, [0, 1, 2, 3, 9, 10, 16, 127, 128, 255]); break;
    case 'u16': case 'vtentry': {
      const v = r() < 0.5 ? randInt(r, 65536) : pick(r, [0, 1, 2, 3, 4, 0xffff, dv.getUint16(s.at, true) + 4]);
      dv.setUint16(s.at, v, true);
      break;
    }
    case 'uoffset': case 'soffset': {
      const cur = dv.getInt32(s.at, true);
      const v = pick(r, [0, 4, -4, buf.length, -buf.length, 0x7fffffff, cur + 4, cur - 4, cur * 2, randInt(r, buf.length), -randInt(r, buf.length)]);
      dv.setInt32(s.at, v, true);
      break;
    }
    case 'veclen': {
      const cur = dv.getUint32(s.at, true);
      dv.setUint32(s.at, pick(r, [0, 1, cur + 1, cur - 1, cur * 2, 0xffffffff, 0x7fffffff, 0x10000000, randInt(r, 1 << 20)]) >>> 0, true);
      break;
    }
    default: {
      const cur = dv.getInt32(s.at, true);
      dv.setInt32(s.at, r() < 0.7 ? pick(r, INTS) : cur + pick(r, [-1, 1, -2, 2, 100]), true);
    }
  }
  return `${s.what} (${s.kind} @${s.at}): ${before} -> ${String(old())}`;
}

/** A mutated copy of a .tflite model and what was changed (for the reproducer). */
export function mutateTflite(r: Rng, orig: Uint8Array, sites: Site[]): { bytes: Uint8Array; changes: string[] } {
  let buf = orig.slice();
  const changes: string[] = [];
  const n = 1 + (r() < 0.3 ? randInt(r, 4) : 0);
  for (let k = 0; k < n; k++) {
    const x = r();
    if (x < 0.85 && sites.length) {
      // Favour the semantic sites (quantisation, shapes, codes, options) over raw offsets.
      const sem = sites.filter((s) => s.kind !== 'uoffset' && s.kind !== 'soffset' && s.kind !== 'vtentry' && s.kind !== 'veclen');
      const quant = sem.filter((s) => s.kind === 'f32' || s.kind === 'i64' || s.what.endsWith('quantized_dimension'));
      const y = r();
      const s = y < 0.25 && quant.length ? pick(r, quant) : y < 0.8 && sem.length ? pick(r, sem) : pick(r, sites);
      const width = s.kind === 'i64' ? 8 : s.kind === 'u8' || s.kind === 'i8' ? 1 : s.kind === 'u16' || s.kind === 'vtentry' ? 2 : 4;
      if (s.at + width <= buf.length) changes.push(mutateSite(r, buf, s));
    } else if (x < 0.92) {
      const at = randInt(r, buf.length);
      const v = randInt(r, 256);
      changes.push(`byte @${at}: ${buf[at]} -> ${v}`);
      buf[at] = v;
    } else if (x < 0.97) {
      const len = randInt(r, buf.length);
      changes.push(`truncated to ${len} bytes`);
      buf = buf.slice(0, len);
    } else {
      const at = randInt(r, buf.length), len = 1 + randInt(r, 64);
      changes.push(`${len} random bytes @${at}`);
      for (let i = 0; i < len && at + i < buf.length; i++) buf[at + i] = randInt(r, 256);
    }
  }
  return { bytes: buf, changes };
}

// ---------------------------------------------------------------------------------------------------------
// YAML: line- and token-level corruptions that keep most of the document recognisable.

const YAML_VALUES = ['0', '-1', '1e30', '-1e30', '.nan', '.inf', '-.inf', 'null', '~', 'true', 'false', '""', "''", '[]', '{}', '[0]',
  '[-1, -1, -1]', '[1, 2, 3, 4, 5, 6]', '[0, 0, 0]', '99999999999', '2147483648', '0.5', '-0.5', '1.5', 'abc', '"3"', '0x10', '*a', '&a 1',
  '{ op: conv2d }', '[[1]]', '1M', '1G', '0K', '-1K', '128Z', '[100000, 100000, 3]', 'cortex-m99', '!!binary AAAA', '<<: *a'];
const YAML_KEYS = ['op', 'name', 'filters', 'kernel', 'stride', 'activation', 'units', 'shape', 'scale', 'zero_point', 'model', 'arith',
  'network', 'layers', 'input', 'seed', 'targets', 'mcu', 'cgra', 'rows', 'cols', 'bus', 'strategy', 'flash', 'sram', 'cpu', 'padding',
  'dilation', 'axis', 'depth_multiplier', 'pool', 'bogus', '<<', 'part', 'calibration', 'inputs'];

export function mutateYaml(r: Rng, text: string): { text: string; changes: string[] } {
  let lines = text.split('\n');
  const changes: string[] = [];
  const n = 1 + (r() < 0.4 ? randInt(r, 4) : 0);
  for (let k = 0; k < n; k++) {
    const i = randInt(r, lines.length);
    const line = lines[i] ?? '';
    const x = r();
    // token positions: `key: value` pairs (block or flow style)
    const pairs = [...line.matchAll(/([A-Za-z_<]+):\s*([^,{}\n]*?|\[[^\]]*\]|\{[^}]*\})(?=\s*[,}]|\s*$)/g)];
    if (x < 0.35 && pairs.length) {
      const m = pick(r, pairs);
      const v = r() < 0.8 ? pick(r, YAML_VALUES) : String((r() - 0.5) * 10 ** randInt(r, 12));
      lines[i] = line.slice(0, m.index!) + `${m[1]}: ${v}` + line.slice(m.index! + m[0].length);
      changes.push(`line ${i + 1}: ${m[1]}: ${m[2]} -> ${v}`);
    } else if (x < 0.5 && pairs.length) {
      const m = pick(r, pairs);
      const key = pick(r, YAML_KEYS);
      lines[i] = line.slice(0, m.index!) + `${key}: ${m[2]}` + line.slice(m.index! + m[0].length);
      changes.push(`line ${i + 1}: key ${m[1]} -> ${key}`);
    } else if (x < 0.6 && pairs.length) {
      const m = pick(r, pairs);
      lines[i] = line.slice(0, m.index!) + line.slice(m.index! + m[0].length);
      changes.push(`line ${i + 1}: deleted ${m[0]}`);
    } else if (x < 0.7) {
      changes.push(`deleted line ${i + 1}`);
      lines.splice(i, 1);
    } else if (x < 0.78) {
      const j = randInt(r, lines.length);
      changes.push(`duplicated line ${j + 1} at ${i + 1}`);
      lines.splice(i, 0, lines[j] ?? '');
    } else if (x < 0.84) {
      // numbers: perturb every number on the line
      lines[i] = line.replace(/-?\d+(\.\d+)?/g, () => pick(r, ['0', '-1', '1e9', '65536', '3', '0.0', '-0', '2147483647']));
      changes.push(`line ${i + 1}: numbers perturbed`);
    } else if (x < 0.9) {
      // aliases and anchors
      const anchor = randInt(r, lines.length);
      lines[anchor] = (lines[anchor] ?? '').replace(/:\s*/, ': &x ');
      lines[i] = line.replace(/:\s*(.*)$/, ': *x');
      changes.push(`anchor at line ${anchor + 1}, alias at line ${i + 1}`);
    } else if (x < 0.95) {
      // indentation / structure characters
      const chars = ['  ', '- ', '{', '}', '[', ']', ':', ',', '\t', '#', '"', "'", '|', '>', '&', '*', '!', '%', '@', '`'];
      const at = randInt(r, line.length + 1);
      const c = pick(r, chars);
      lines[i] = line.slice(0, at) + c + line.slice(at);
      changes.push(`line ${i + 1}: inserted ${JSON.stringify(c)} at ${at}`);
    } else {
      const at = randInt(r, text.length);
      lines = (lines.join('\n').slice(0, at)).split('\n');
      changes.push(`truncated at ${at}`);
    }
  }
  return { text: lines.join('\n'), changes };
}

/**
 * Plausible edits of a build config, so that many mutants still build and reach verification: one to three
 * numbers of the network or the targets replaced by small sizes, a budget set from 8K to 1M, an activation
 * swapped. (mutateYaml's hostile edits mostly stop at the config check.)
 */
export function mutateBuildConfig(r: Rng, text: string): { text: string; changes: string[] } {
  const lines = text.split('\n');
  const changes: string[] = [];
  const n = 1 + randInt(r, 3);
  for (let k = 0; k < n; k++) {
    const x = r();
    const candidates = lines.map((l, i) => ({ l, i })).filter(({ l }) => !/^\s*#/.test(l));
    if (x < 0.6) {
      const withNums = candidates.filter(({ l }) => /\b(filters|units|kernel|stride|shape|rows|cols|seed): /.test(l));
      if (!withNums.length) continue;
      const { l, i } = pick(r, withNums);
      const nums = [...l.matchAll(/(?<=[\s\[,:])\d+(?=[\s\],}])/g)];
      if (!nums.length) continue;
      const m = pick(r, nums);
      // small sizes: a build case is meant to reach verification within its time cap, not to time the compiler
      const v = String(pick(r, [1, 2, 3, 4, 5, 7, 8]));
      lines[i] = l.slice(0, m.index!) + v + l.slice(m.index! + m[0].length);
      changes.push(`line ${i + 1}: ${m[0]} -> ${v}`);
    } else if (x < 0.85) {
      const budgets = candidates.filter(({ l }) => /\b(sram|flash): /.test(l));
      if (!budgets.length) continue;
      const { l, i } = pick(r, budgets);
      const key = pick(r, ['sram', 'flash']);
      const v = pick(r, ['8K', '16K', '32K', '48K', '64K', '128K', '256K', '1M']);
      lines[i] = l.replace(new RegExp(`${key}: [^,}\\s]+`), `${key}: ${v}`);
      changes.push(`line ${i + 1}: ${key} -> ${v}`);
    } else {
      const acts = candidates.filter(({ l }) => /activation: /.test(l));
      if (!acts.length) continue;
      const { l, i } = pick(r, acts);
      const v = pick(r, ['relu', 'relu6', 'none']);
      lines[i] = l.replace(/activation: [a-z0-9_]+/, `activation: ${v}`);
      changes.push(`line ${i + 1}: activation -> ${v}`);
    }
  }
  return { text: lines.join('\n'), changes };
}

// ---------------------------------------------------------------------------------------------------------
// CGRA bitstreams (bitstream.h, JSON image, ESL instructions.csv) and launch.json.

const WORDS = [0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0xdeadbeef, 0x0000ffff, 0xffff0000, 0x3005, 0x12345678];
function randWord(r: Rng): number { return r() < 0.5 ? pick(r, WORDS) : Math.floor(r() * 2 ** 32); }

export function mutateText(r: Rng, text: string, format: 'h' | 'json' | 'csv' | 'launch' | 's'): { text: string; changes: string[] } {
  const changes: string[] = [];
  let t = text;
  const n = 1 + (r() < 0.4 ? randInt(r, 4) : 0);
  for (let k = 0; k < n; k++) {
    const x = r();
    const nums = [...t.matchAll(/-?(0x[0-9a-fA-F]+|\d+(\.\d+)?)/g)];
    if (x < 0.45 && nums.length) {
      const m = pick(r, nums);
      const hex = m[0].startsWith('0x');
      const w = randWord(r);
      const v = format === 'h' || hex ? `0x${w.toString(16).padStart(8, '0')}`
        : pick(r, [String(w), String(w | 0), '-1', '0', '1e30', '1.5', 'NaN', '99999999999999999999', String(randInt(r, 64)), '"1"', 'null', 'true', '[]', '{}']);
      t = t.slice(0, m.index!) + v + t.slice(m.index! + m[0].length);
      changes.push(`@${m.index}: ${m[0]} -> ${v}`);
    } else if (x < 0.6) {
      const at = randInt(r, t.length + 1);
      const pieces = format === 'json' || format === 'launch'
        ? ['{', '}', '[', ']', ',', ':', '"', '"kernels"', '"words"', '"cols"', '"id"', '"launches"', '"memory"', '"memoryBytes"', '"dump"', 'null', '-', '1e999', '"ptrIn"']
        : format === 'csv' ? [',', '\n', ';', '"', 'SADD', 'LWD', 'BNE', 'R9', 'RCL', 'ZERO', '-1', '99999', ' ', 'NOP']
          : format === 's' ? ['|', '\n', 'step 99', 'step -1', 'kernel 0', 'kernel 16', 'kernel 1 cols=9', 'arch 0x0', 'arch 99x99', 'arch 4x4', 'loop:',
            ' loop', 'SADD', 'LWD', 'SWD', 'BNE', 'BEQ', 'JUMP', 'EXIT', 'R4', 'ROUT', 'RCB', 'ZERO', ', ', '-2147483649', '4294967296', '.word', ' name=', '#']
          : ['0x', ',', '{', '}', ';', '\n', 'const uint32_t x[] = {', '#define CGRA_KMEM_SIZE 0', '0xFFFFFFFFF', '/*', '//'];
      const p = pick(r, pieces);
      t = t.slice(0, at) + p + t.slice(at);
      changes.push(`@${at}: inserted ${JSON.stringify(p)}`);
    } else if (x < 0.72) {
      const at = randInt(r, t.length), len = 1 + randInt(r, 40);
      changes.push(`@${at}: deleted ${len} chars`);
      t = t.slice(0, at) + t.slice(at + len);
    } else if (x < 0.82) {
      const lines = t.split('\n');
      const i = randInt(r, lines.length), j = randInt(r, lines.length);
      const op = r() < 0.5 ? 'duplicated' : 'deleted';
      if (op === 'duplicated') lines.splice(i, 0, lines[j]!); else lines.splice(i, 1);
      changes.push(`line ${i + 1}: ${op}`);
      t = lines.join('\n');
    } else if (x < 0.9 && format === 's') {
      // assembly: replace one instruction of a PE with another
      const ins = [...t.matchAll(/[A-Z][A-Z]+[^|#\n]*/g)];
      if (ins.length) {
        const m = pick(r, ins);
        const v = pick(r, ['SADD R0, R1, R2', 'LWD R0, 99999', 'BNE R0, ZERO, nowhere', 'BEQ R0, R0, 127', 'JUMP 200', 'EXIT', 'SMUL ROUT, RCL, RCR',
          'FOO R0', '', 'NOP NOP', 'SWD R4, 4', 'LWI R0, ROUT', 'SADD R0, R0, 2147483648', 'SRT R0, R0, -1', '.word 0xffffffff', '.word -1', 'SLT R0', 'SADD , ,']);
        t = t.slice(0, m.index!) + v + ' ' + t.slice(m.index! + m[0].length);
        changes.push(`@${m.index}: ${JSON.stringify(m[0].trim())} -> ${JSON.stringify(v)}`);
      }
    } else if (x < 0.9 && format === 'csv') {
      // CSV: random instruction words / register names in a cell
      const cells = [...t.matchAll(/[^,\n]+/g)];
      if (cells.length) {
        const m = pick(r, cells);
        const v = pick(r, ['SADD R0, R1, R2', 'LWD R0, 99999', 'BNE R0, ZERO, 99', 'JUMP -1', 'EXIT', 'SMUL ROUT, RCL, RCR', 'FOO', '', 'NOP NOP', 'SWD R4', 'BEQ', 'LWI R0, ROUT']);
        t = t.slice(0, m.index!) + v + t.slice(m.index! + m[0].length);
        changes.push(`cell @${m.index}: ${JSON.stringify(m[0])} -> ${JSON.stringify(v)}`);
      }
    } else if (x < 0.95) {
      const at = randInt(r, t.length);
      changes.push(`truncated at ${at}`);
      t = t.slice(0, at);
    } else {
      // random words: a run of random hex words or tokens
      const at = randInt(r, t.length + 1);
      const words = Array.from({ length: 1 + randInt(r, 20) }, () => format === 'h' ? `0x${randWord(r).toString(16)}` : String(randWord(r))).join(format === 'csv' ? ',' : ', ');
      t = t.slice(0, at) + words + t.slice(at);
      changes.push(`@${at}: inserted random words`);
    }
  }
  return { text: t, changes };
}
