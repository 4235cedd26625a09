// Independent check of a general-mapper schedule (issue 16): the kernel emitted from it is executed
// symbolically, word by word (decoded with isa/encoding.ts, operands resolved through the ISA's source
// table on the arch's torus), for a few passes. Values are tags instead of numbers: a load yields the
// (operand, iteration) the host's stream replay puts at that column position, FXPMUL of two operands of
// the same iteration yields that product, and SADD into a register adds a product to an accumulator.
// The check then requires, for every product of the dataflow graph, one accumulator that receives exactly
// the product of every real iteration of pass q between its stores q-1 and q, nothing else, and no value
// that is not a product reaching an accumulate or a multiply. It shares no liveness or routing reasoning
// with the scheduler, only the schedule's claims (which load feeds which product) and the replay.
import { torus, type CgraArch } from '../arch.ts';
import { decode } from '../isa/encoding.ts';
import { OP, SOURCES } from '../isa/tables.ts';
import { emitKernel, passLength, replayLoads } from './emit.ts';
import { accPlaces, type Schedule } from './schedule.ts';

type Tag =
  | { k: 'zero' }
  | { k: 'num'; v: number }
  | { k: 'load'; l: number; g: number }
  | { k: 'prod'; p: number; g: number }
  | { k: 'acc'; a: number; items: [number, number][] }
  | { k: 'junk'; why: string };

const ZERO: Tag = { k: 'zero' };

/** Undefined when the schedule is right; otherwise the first rule broken. */
export function checkSchedule(arch: CgraArch, s: Schedule, nReals: number[] = [1, 3], passes = 3): string | undefined {
  for (const n of nReals) {
    const why = checkOnce(arch, s, n, passes);
    if (why) return `n=${n}: ${why}`;
  }
  return undefined;
}

function checkOnce(arch: CgraArch, s: Schedule, n: number, passes: number): string | undefined {
  const nPad = passLength(s, n);
  const e = emitKernel(arch, s, 1, nPad, passes);
  const streams = replayLoads(arch, s, nPad, passes);
  const G = passes * nPad;
  const { rows, cols } = arch;
  const P = rows * cols;
  const words = e.kernel.words.map((step) => step.map((row) => row.map((w) => decode(w))));
  let rout: Tag[] = new Array(P).fill(ZERO);
  const regs: Tag[][] = Array.from({ length: P }, () => [ZERO, ZERO, ZERO, ZERO]);
  const ptr = new Array<number>(cols).fill(0);
  const stores: { pe: number; reg: number; tag: Tag }[][] = [];
  let pc = 0, steps = 0;
  const real = (g: number): boolean => g >= 0 && g < G && g % nPad < n;
  const operand = (code: number, r: number, c: number, t: number): Tag => {
    const src = SOURCES[code];
    if (!src) return ZERO;
    switch (src.kind) {
      case 'zero': return ZERO;
      case 'self': return rout[r * cols + c];
      case 'neighbour': { const [nr, nc] = torus(arch, r, c, src.dr!, src.dc!); return rout[nr * cols + nc]; }
      case 'reg': return regs[r * cols + c][src.reg!];
      case 'imm': return { k: 'num', v: words[t][r][c].imm };
    }
  };
  const isZero = (x: Tag): boolean => x.k === 'zero' || (x.k === 'num' && x.v === 0) || (x.k === 'load' && !real(x.g)) || (x.k === 'prod' && !real(x.g));
  for (;;) {
    if (++steps > 1e6) return 'the kernel does not end';
    if (pc >= words.length) return `step ${pc} is past the kernel`;
    const next = rout.slice();
    const regWrites: [number, number, Tag][] = [];
    let branches = 0, target = -1, exit = false;
    const storeHere: { pe: number; reg: number; tag: Tag }[] = [];
    for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) {
      const i = words[pc][r][c];
      const pe = r * cols + c;
      if (i.op === OP.NOP) continue;
      const A = operand(i.a, r, c, pc), B = operand(i.b, r, c, pc);
      let v: Tag;
      switch (i.op) {
        case OP.LWD: {
          const w = streams[c][ptr[c]++];
          if (!w) return `step ${pc}: PE(${r},${c}) reads past its column stream`;
          v = { k: 'load', l: w.l, g: w.g };
          break;
        }
        case OP.FXPMUL: {
          if (isZero(A) || isZero(B)) { v = ZERO; break; }
          if (A.k !== 'load' || B.k !== 'load' || A.g !== B.g) return `step ${pc}: PE(${r},${c}) multiplies ${JSON.stringify(A)} by ${JSON.stringify(B)}`;
          const p = s.dfg.products.findIndex((x) => (x.a === A.l && x.b === B.l) || (x.a === B.l && x.b === A.l));
          if (p < 0) return `step ${pc}: PE(${r},${c}) multiplies loads ${A.l} and ${B.l}, which no product pairs`;
          v = { k: 'prod', p, g: A.g };
          break;
        }
        case OP.SADD: case OP.SSUB: {
          if (A.k === 'num' && B.k === 'num') { v = { k: 'num', v: i.op === OP.SADD ? A.v + B.v : A.v - B.v }; break; }
          if (i.op === OP.SADD && A.k === 'zero' && B.k === 'num') { v = B; break; }
          // The drain epilogue's SADD ROUT, ZERO, ZERO.
          if (i.op === OP.SADD && !i.we && A.k === 'zero' && B.k === 'zero') { v = ZERO; break; }
          if (i.op === OP.SADD && (A.k === 'acc' || A.k === 'zero') && i.we && (i.a === i.b || true)) {
            // Accumulate: R <- R + product.
            const acc: Tag = A.k === 'acc' ? A : { k: 'acc', a: -1, items: [] };
            if (acc.k !== 'acc') return 'unreachable';
            if (isZero(B)) { v = acc; break; }
            if (B.k !== 'prod') return `step ${pc}: PE(${r},${c}) accumulates ${JSON.stringify(B)}`;
            const group = s.dfg.products[B.p].acc;
            if (acc.a >= 0 && acc.a !== group) return `step ${pc}: PE(${r},${c}) adds product ${B.p} (accumulator ${group}) to accumulator ${acc.a}`;
            v = { k: 'acc', a: group, items: [...acc.items, [B.p, B.g]] };
            break;
          }
          return `step ${pc}: PE(${r},${c}) ${i.op === OP.SADD ? 'SADD' : 'SSUB'} of ${JSON.stringify(A)} and ${JSON.stringify(B)}`;
        }
        case OP.SWD: storeHere.push({ pe, reg: -1, tag: A }); v = { k: 'junk', why: 'store' }; break;
        case OP.BNE: {
          if (A.k !== 'num' || (B.k !== 'num' && B.k !== 'zero')) return `step ${pc}: branch on ${JSON.stringify(A)}`;
          const bv = B.k === 'num' ? B.v : 0;
          if (A.v !== bv) { branches++; target = i.imm & 31; }
          v = { k: 'junk', why: 'branch' };
          break;
        }
        case OP.EXIT: exit = true; v = rout[pe]; break;
        default: return `step ${pc}: PE(${r},${c}) opcode ${i.op} is not one the general mapper emits`;
      }
      next[pe] = v.k === 'acc' ? { k: 'junk', why: 'accumulator sum' } : v;
      if (i.we && i.op !== OP.SWD) regWrites.push([pe, i.rd, v]);
    }
    rout = next;
    for (const [pe, rd, v] of regWrites) regs[pe][rd] = v;
    if (storeHere.length) stores.push(storeHere);
    if (branches > 1) return `step ${pc}: ${branches} PEs branch`;
    if (branches === 1) pc = target;
    else if (exit) break;
    else pc++;
  }
  // Every store is an accumulator register holding products of one accumulator group; each product appears
  // in exactly one register, stored once per pass, with exactly the real iterations of that pass.
  const flat = stores.flat();
  const nRegs = accPlaces(s).length;
  if (flat.length !== passes * nRegs) return `${flat.length} stores, expected ${passes * nRegs}`;
  const count = new Array<number>(s.dfg.products.length).fill(0);
  const seen = new Map<string, number>();
  for (const st of flat) {
    if (st.tag.k !== 'acc') return `a store writes ${JSON.stringify(st.tag)}, not an accumulator`;
    const a = st.tag.a;
    if (a < 0) return 'an accumulator that never received a product is stored';
    const key = `${st.pe},${a}`;
    const items = st.tag.items.slice(seen.get(key) ?? 0);
    seen.set(key, st.tag.items.length);
    const ks = [...new Set(items.filter(([, g]) => real(g)).map(([p]) => p))];
    for (const k of ks) {
      const q = count[k]++;
      const want: number[] = [];
      for (let i = 0; i < n; i++) want.push(q * nPad + i);
      const got = items.filter(([p, g]) => p === k && real(g)).map(([, g]) => g).sort((x, y) => x - y);
      if (got.join(',') !== want.join(',')) return `product ${k} (accumulator ${a}), pass ${q}: accumulated iterations [${got}] instead of [${want}]`;
    }
  }
  for (let k = 0; k < s.dfg.products.length; k++) if (count[k] !== passes) return `product ${k} stored in ${count[k]} passes, expected ${passes}`;
  return undefined;
}
