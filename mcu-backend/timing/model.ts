// The cycle model: reads the QEMU plugin's profile (harness/qemu-plugin/icount.c, profile=PATH: every
// translated block's instruction bytes, its executions and fall-throughs per marker segment) and prices it
// with a core's timing table (cores.ts) and, optionally, a part's memory (memory.ts: flash wait states
// behind a prefetch/cache). Cycles come out per segment (the markers' layers) split by cause: issue (one
// per instruction or dual-issued pair), loads/stores beyond one cycle, multi-cycle multiplies and
// divides, branches (taken-branch refill or M7 mispredictions), load-use stalls and instruction-fetch
// stalls. Everything is modelled, never measured: QEMU has no timing.
import { readFileSync } from 'node:fs';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { CORE_TIMING, type CoreTiming } from './cores.ts';
import { decode, type Insn } from './thumb.ts';
import type { McuCpu } from '../harness/run.ts';
import type { PartMemory } from './memory.ts';

export interface Block { id: number; vaddr: number; insns: Insn[]; bytes: number }
export interface Segment {
  /** The marker that ends the segment (0: program end). */
  marker: number;
  counts: Array<{ id: number; count: number; fall: number; jumped: number }>;
  partial: Array<{ id: number; from: number; to: number }>;
  /** Instruction cache simulated by the plugin: lines fetched, misses entered by a branch, sequential misses. */
  icache?: { lines: number; jumpMiss: number; seqMiss: number };
  /** Data loads from flash and their data-cache misses. */
  flash?: { loads: number; miss: number };
}
export interface Profile { blocks: Map<number, Block>; segments: Segment[] }

/** `decoder` turns an instruction's hex bytes into its class: Thumb (thumb.ts) by default, RV32IMC with rv32.ts. */
export function parseProfile(text: string, decoder: (hex: string) => Insn = decode): Profile {
  const blocks = new Map<number, Block>();
  const segments: Segment[] = [];
  let cur: Segment = { marker: -1, counts: [], partial: [] };
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    switch (f[0]) {
      case 'B': {
        const insns = f.slice(4).map(decoder);
        blocks.set(Number(f[1]), { id: Number(f[1]), vaddr: parseInt(f[2], 16), insns, bytes: insns.reduce((s, i) => s + i.size, 0) });
        break;
      }
      case 'C': cur.counts.push({ id: Number(f[1]), count: Number(f[2]), fall: Number(f[3]), jumped: Number(f[4] ?? 0) }); break;
      case 'H': cur.partial.push({ id: Number(f[1]), from: Number(f[2]), to: Number(f[3]) }); break;
      case 'I': cur.icache = { lines: Number(f[1]), jumpMiss: Number(f[2]), seqMiss: Number(f[3]) }; break;
      case 'F': cur.flash = { loads: Number(f[1]), miss: Number(f[2]) }; break;
      case 'S': cur.marker = Number(f[1]); segments.push(cur); cur = { marker: -1, counts: [], partial: [] }; break;
      default: if (line.trim() !== '') throw new TinyforgeError(`cycle profile: unexpected line '${line.slice(0, 80)}'`);
    }
  }
  return { blocks, segments };
}

export function readProfile(path: string, decoder: (hex: string) => Insn = decode): Profile {
  return parseProfile(readFileSync(path, 'utf8'), decoder);
}

/** Cycles by cause. */
export interface Cycles {
  total: number;
  instructions: number;
  /** One per issue slot (an instruction, or a dual-issued pair). */
  issue: number;
  /** Loads/stores/LDM/STM beyond one cycle. */
  memory: number;
  /** Multiplies, MACs and divides beyond one cycle. */
  multiply: number;
  /** Taken-branch refills, mispredictions. */
  branch: number;
  /** Load-use interlocks. */
  loadUse: number;
  /** Instruction-fetch stalls from flash wait states (memory model of a part). */
  fetch: number;
  /** Data loads from flash beyond the core's figure (memory model of a part). */
  flashData: number;
}

export const zeroCycles = (): Cycles => ({ total: 0, instructions: 0, issue: 0, memory: 0, multiply: 0, branch: 0, loadUse: 0, fetch: 0, flashData: 0 });

function add(a: Cycles, b: Cycles, k = 1): void {
  for (const key of Object.keys(a) as Array<keyof Cycles>) a[key] += b[key] * k;
}

const isMem = (i: Insn) => i.cls === 'load' || i.cls === 'store' || i.cls === 'ldrd' || i.cls === 'strd' || i.cls === 'ldm' || i.cls === 'stm' || i.cls === 'fpmem';
const isLoad = (i: Insn) => i.cls === 'load' || i.cls === 'ldrd' || i.cls === 'ldm' || i.cls === 'fpmem';
const isBranch = (i: Insn) => i.writesPc;

/** Cycles of one instruction in sequence after `prev` (within a block), excluding a conditional branch's taken refill. */
function insnCycles(t: CoreTiming, i: Insn, prev: Insn | undefined, c: Cycles): void {
  c.instructions++;
  c.issue++;
  switch (i.cls) {
    case 'load': {
      // M3/M4 TRM: a load pipelines after a load whose result its address does not need; nothing pipelines after a store.
      const pipelined = prev !== undefined && prev.cls === 'load' && (i.use & prev.def) === 0;
      c.memory += (pipelined ? t.loadPipelined : t.load) - 1;
      if (i.writesPc) c.branch += t.indirectExtra;
      break;
    }
    case 'store': c.memory += (i.regOffset && prev?.cls !== 'load' ? t.storeReg : t.store) - 1; break;
    case 'ldrd': case 'strd': c.memory += t.ldrd - 1; break;
    case 'ldm': case 'stm': case 'fpmem':
      c.memory += t.ldmBase + Math.ceil(t.ldmPerReg * i.nregs) - 1;
      if (i.writesPc) c.branch += t.popPcExtra + t.indirectExtra;
      break;
    case 'mul': c.multiply += t.mul - 1; break;
    case 'mac': c.multiply += t.mac - 1; break;
    case 'lmul': c.multiply += (i.nregs ? t.lmac : t.lmul) - 1; break;
    case 'div': c.multiply += t.div - 1; break;
    case 'bl': c.branch += t.blExtra; break;
    case 'bx': c.branch += t.indirectExtra; break;
    case 'tb': c.branch += t.tbBase - 1 + t.indirectExtra; break;
    case 'it': if (t.itFolds && prev && prev.size === 2 && prev.cls !== 'it') { c.issue--; } break;
    case 'fp': c.multiply += t.fp - 1; break;
    case 'sys': c.issue += t.sys - 1; break;
    default: break;
  }
  if (t.addrInterlock && i.addr !== undefined && prev && (prev.cls === 'alu' || prev.cls === 'mul' || prev.cls === 'mac') && (i.addr & prev.def) !== 0) c.loadUse += t.addrInterlock;
  // M7: ALU consumers take a load's result in the late ALU without a stall; address and multiply operands do stall.
  const consumerStalls = t.dual !== 'm7' || isMem(i) || i.cls === 'mul' || i.cls === 'mac' || i.cls === 'lmul';
  if (t.loadUse && consumerStalls && prev && isLoad(prev) && (i.use & prev.def & 0x7fff) !== 0) c.loadUse += t.loadUse;
}

const simple16 = (i: Insn) => i.size === 2 && (i.cls === 'alu' || i.cls === 'nop');
const single = (i: Insn) => i.cls === 'alu' || i.cls === 'nop' || i.cls === 'load' || i.cls === 'store' || i.cls === 'mul' || i.cls === 'mac' || i.cls === 'fp';

/** Can b issue in the same cycle as a (the core's dual-issue rule)? */
function pairs(t: CoreTiming, a: Insn, b: Insn): boolean {
  if ((b.use & a.def) !== 0 || (b.def & a.def) !== 0) return false;
  if (t.dual === 'pair16') {
    // Two adjacent 16-bit instructions: ALU or single load/store (at most one memory access), the second may
    // also be a branch; not a multiple transfer, multiply or IT.
    const mem16 = (i: Insn) => i.size === 2 && (i.cls === 'load' || i.cls === 'store');
    const first = simple16(a) || mem16(a);
    const second = simple16(b) || mem16(b) || (b.size === 2 && (b.cls === 'b' || b.cls === 'bcc'));
    return first && second && !(mem16(a) && mem16(b));
  }
  if (t.dual === 'm7') {
    if (isBranch(a) || a.cls === 'it' || b.cls === 'it') return false;
    if (!single(a) || !(single(b) || b.cls === 'b' || b.cls === 'bcc' || b.cls === 'bl' || b.cls === 'cbz')) return false;
    if (isMem(a) && isMem(b)) return false;
    const mulish = (i: Insn) => i.cls === 'mul' || i.cls === 'mac';
    if (mulish(a) && mulish(b)) return false;
    if (a.cls === 'fp' && b.cls === 'fp') return false;
    return true;
  }
  return false;
}

/** Cycles of instructions [from, to) of a block, run straight through (no taken refill of a conditional last branch). */
export function sequenceCycles(t: CoreTiming, insns: Insn[], from = 0, to = insns.length): Cycles {
  const c = zeroCycles();
  let prev: Insn | undefined;
  for (let k = from; k < to; k++) {
    const i = insns[k];
    insnCycles(t, i, prev, c);
    if (t.dual !== 'none' && k + 1 < to && pairs(t, i, insns[k + 1])) {
      // The pair issues together: the second instruction adds its extra cycles but no issue slot.
      const before = c.issue;
      insnCycles(t, insns[k + 1], i, c);
      c.issue = before;
      prev = insns[k + 1];
      k++;
      continue;
    }
    prev = i;
  }
  c.total = c.issue + c.memory + c.multiply + c.branch + c.loadUse;
  return c;
}

export interface ModelOptions {
  cpu: McuCpu;
  /** A part's memory (memory.ts) at a clock; without it, code and data are in zero-wait memory. */
  part?: PartMemory;
  clockMHz?: number;
}

/** Cycles of every segment of a profile. */
export function segmentCycles(p: Profile, opts: ModelOptions): Array<{ marker: number; cycles: Cycles }> {
  const t = CORE_TIMING[opts.cpu];
  const memo = new Map<number, Cycles>();
  const whole = (b: Block) => {
    let c = memo.get(b.id);
    if (!c) { c = sequenceCycles(t, b.insns); memo.set(b.id, c); }
    return c;
  };
  const get = (id: number) => {
    const b = p.blocks.get(id);
    if (!b) throw new TinyforgeError(`cycle profile: block ${id} executed but never described`);
    return b;
  };
  return p.segments.map((s) => {
    const c = zeroCycles();
    for (const { id, count, fall, jumped } of s.counts) {
      const b = get(id);
      add(c, whole(b), count);
      const last = b.insns[b.insns.length - 1];
      const ends = count + s.partial.filter((h) => h.id === id && h.to === b.insns.length).length;
      const taken = Math.max(0, ends - fall);
      // The refill of a taken branch is charged at its target, where the TRMs' P depends on the target: a
      // 32-bit instruction at a halfword-aligned (not word-aligned) address needs one more fetch.
      const first = b.insns[0];
      c.branch += jumped * (t.takenExtra + (t.refillUnaligned && first.size === 4 && (b.vaddr & 2) !== 0 ? 1 : 0));
      if (last.cls === 'bcc' || last.cls === 'cbz') {
        if (t.dual === 'm7') c.branch += t.mispredict * Math.min(taken, fall);
      }
    }
    for (const h of s.partial) add(c, sequenceCycles(t, get(h.id).insns, h.from, h.to));
    if (opts.part) {
      const ws = opts.part.waitStates(opts.clockMHz ?? opts.part.fMaxMHz);
      const miss = ws > 0 ? opts.part.missCycles(ws) : 0;
      if (miss > 0 && (!s.icache || !s.flash)) throw new TinyforgeError(`cycle model: the profile has no cache simulation for ${opts.part.name} (run QEMU with the part's caches)`);
      if (s.icache) c.fetch += miss * (s.icache.jumpMiss + (opts.part.prefetch ? 0 : s.icache.seqMiss));
      if (s.flash) c.flashData += miss * s.flash.miss;
    }
    c.total = c.issue + c.memory + c.multiply + c.branch + c.loadUse + c.fetch + c.flashData;
    return { marker: s.marker, cycles: c };
  });
}

/**
 * Cycles of every region from marker `open` to marker `close` in order of execution: the segments after an
 * `open` up to and including the one that ends at the next `close` (markers in between, of other numbers,
 * stay inside the region). For programs with their own region markers (e.g. a host program's phases).
 */
export function regionCycles(segs: Array<{ marker: number; cycles: Cycles }>, open: number, close: number): Cycles[] {
  const out: Cycles[] = [];
  let cur: Cycles | undefined;
  for (const s of segs) {
    if (cur) {
      add(cur, s.cycles);
      if (s.marker === close) { out.push(cur); cur = undefined; }
    } else if (s.marker === open) cur = zeroCycles();
  }
  return out;
}

/** Sum of cycles over segments. */
export function sumCycles(cs: Cycles[]): Cycles {
  const c = zeroCycles();
  for (const x of cs) add(c, x);
  return c;
}
