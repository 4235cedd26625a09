// Cycle-level simulator of the OpenEdgeCGRA PE array, with the RTL's semantics and timing
// (docs/openedgecgra.md §3-§6; the RTL is the truth where the ESL simulator differs).
//
// It executes the DECODED WORDS of the context memory: at launch the kernel's words are read from the
// image (kernel table -> start line -> bank lines), decoded with isa/encoding.ts and flattened into typed
// arrays (opcode, operand-slot indices, destination slot, immediate), cached per kernel slot. The inner
// loop switches on the opcode and allocates nothing.
//
// Semantics modelled:
// - columns of a kernel in lockstep on one PC; a read of any ROUT sees the value of the previous
//   instruction; registers are written at the end of the instruction;
// - flags are {sign, zero} of the PE's registered ROUT (loads set them from the data), so BSFA/BZFA read
//   them from the muxF source's ROUT; flag sources 5..7 read 0; until a PE first writes ROUT after a launch
//   (or after the end of the previous kernel) its flags are sign 0, zero 0 although ROUT reads 0 (the RTL's
//   reset value of the flag registers; NOP and EXIT keep ROUT and flags);
// - branch: exactly one PE of the kernel requesting a branch (condition true, or JUMP) moves the PC to
//   its target; two or more requests: no branch; no delay slot; a branching PE's ROUT is 1/0;
//   JUMP goes to (A + B)[4:0] and leaves A + B in ROUT; EXIT ends the kernel unless a branch is taken;
// - the first executed word after start is a 1-cycle NOP bubble; R0..R3, ROUT and flags of the kernel's
//   columns are reset at every launch; when a kernel ends, ROUT, registers and flags of EVERY column are
//   cleared, including columns the kernel did not use (as the RTL does);
// - a store leaves ROUT clobbered: the RTL latches an internal buffer; this simulator writes
//   STORE_CLOBBER (0xDEADBEEF) so a kernel that relies on it fails visibly;
// - LWD/SWD use per-column pointers loaded from ptrIn/ptrOut[column] at launch, post-incremented by the
//   sign-extended immediate (or by +4 with `legacyStep`, for paper-era bitstreams whose imm is 0);
// - byte addresses; a whole 32-bit word is accessed, the one containing the address (unaligned
//   addresses are counted); an address outside [0, memoryBytes) is an error naming PE, step and address;
// - memory requests of one instruction are served column by column, row 0 first (the order matters only
//   when two PEs touch the same word in one instruction).
// Timing per instruction (fixed per step, so precomputed): max(3 if any SMUL/FXPMUL else 1, memory), with
// memory = 1 + (most accesses in one column) on `ports`, 1 + (all accesses) on `shared`, 1 without
// accesses. Per launch: LAUNCH_BASE + LAUNCH_PER_COLUMN * cols cycles of start/end overhead, plus
// (n + 1) configuration cycles for each kernel column whose last kernel differs (the RTL reloads only those
// columns), plus the bubble. (Fitted to the RTL's 19/29 cycles for 8 NOPs + EXIT on 1 column and 25/65 on 4
// columns.) Kernels of fewer than MIN_KERNEL_STEPS steps are refused (isa/image.ts: the RTL's loader fails).
//
// API: `new CgraSim(arch, image, memoryBytes, {bus, legacyStep, cycleLimit, trace})`,
//      `writeWords(addr, words)`, `readWords(addr, n) -> number[]`, `launch(kernelId, ptrIn, ptrOut) -> LaunchStats`,
//      `memory` (the Int32Array itself), `reset()` (forget configuration and PE state), `peState(row, col)`.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { torus, type BusModel, type CgraArch } from '../arch.ts';
import { decode } from '../isa/encoding.ts';
import { kernelError, kernelOf, type CgraImage, type Kernel } from '../isa/image.ts';
import { FLAG_SOURCES, OP, OPCODES, SOURCES } from '../isa/tables.ts';
import { CLOCK_PERIOD_S, opPowerW } from './energy.ts';

export const LAUNCH_BASE_CYCLES = 7;
export const LAUNCH_PER_COLUMN_CYCLES = 2;
export const STORE_CLOBBER = 0xdeadbeef | 0;
export const DEFAULT_CYCLE_LIMIT = 50_000_000;

export interface SimOptions {
  /** Defaults to arch.bus. */
  bus?: BusModel;
  /** LWD/SWD step +4 regardless of the immediate (paper-era RTL). */
  legacyStep?: boolean;
  /** A launch running longer is an error (default 50 M cycles). */
  cycleLimit?: number;
  /** Record an instruction-level trace in LaunchStats.trace. */
  trace?: boolean;
  /** Record every memory access (compact, for layout replays) in LaunchStats.accesses. */
  accessLog?: boolean;
}

/** Every memory access of a launch, in service order: executed-step ordinal, PC, PE, load (0) / store (1),
 *  byte address and the pointer step (immediate; 0 for LWI/SWI, which are marked `indirect`). */
export interface AccessLog { seq: number[]; pc: number[]; row: number[]; col: number[]; kind: number[]; addr: number[]; step: number[]; indirect: number }

export interface MemAccess { row: number; col: number; kind: 'load' | 'store'; addr: number; value: number }
export interface TraceStep {
  /** Cycle (from the KERNEL_ID write) at which this instruction started, its PC and its duration. */
  cycle: number;
  pc: number;
  cycles: number;
  /** ROUT of every PE after the instruction, [row][col]. */
  rout: number[][];
  mem: MemAccess[];
  /** Where the PC goes next (undefined: the kernel ended). */
  next?: number;
  branchRequests: number;
}

export interface PeStats {
  row: number; col: number;
  /** Non-NOP instructions executed. */
  instructions: number;
  memAccesses: number;
  /** Cycles spent doing its own work (1 per ALU op, 3 per multiply, 2 per memory access). */
  busyCycles: number;
  /** Cycles of its non-NOP instructions spent waiting on others (multiply or memory stalls). */
  stalledCycles: number;
  /** busyCycles / execution cycles of the launch. */
  utilisation: number;
}
export interface ColumnStats { col: number; memAccesses: number; loads: number; stores: number; activeCycles: number; stallCycles: number }
export interface StepStats { step: number; executions: number; cycles: number; cyclesEach: number }

export interface LaunchStats {
  kernel: number;
  /** Cycles from the KERNEL_ID write to the end event: overhead + configuration + bubble + execution. */
  cycles: number;
  overheadCycles: number;
  /** (n + 1) per reloaded column. */
  configCycles: number;
  /** True when some column was reloaded (false: every column already held this kernel). */
  configured: boolean;
  /** Kernel columns reloaded (those whose last kernel differed). */
  configuredColumns: number;
  /** Bubble + instruction cycles. */
  execCycles: number;
  /** cycles + the arch's CPU-side call cost. */
  cyclesWithCall: number;
  /** Instruction steps executed (each runs all PEs of the kernel). */
  steps: number;
  /** Non-NOP PE instructions executed. */
  peInstructions: number;
  /** PE instruction slots executed (steps x kernel PEs), NOPs included: the simulator's work unit. */
  peSlots: number;
  loads: number;
  stores: number;
  unalignedAccesses: number;
  /** Instruction cycles beyond 1 caused by multiplies / by memory (execution only). */
  mulStallCycles: number;
  memStallCycles: number;
  bus: BusModel;
  perPe: PeStats[];
  perColumn: ColumnStats[];
  perStep: StepStats[];
  energy: { joules: number; note: string };
  trace?: TraceStep[];
  accesses?: AccessLog;
}

export interface StepTiming {
  /** Cycles the instruction step takes (without the launch's bubble). */
  cycles: number;
  /** Any SMUL / FXPMUL in the step. */
  mul: boolean;
  /** Memory accesses in the step, in total and per column. */
  accesses: number;
  perColumn: number[];
}

/**
 * The duration of every step of `kernel` (fixed by the words, so known without running):
 * max(3 if a multiply else 1, 1 + accesses) with accesses = the busiest column's on `ports`, all on `shared`.
 */
export function staticStepTiming(kernel: Kernel, bus: BusModel): StepTiming[] {
  return kernel.words.map((rows) => {
    let mul = false;
    const perColumn = new Array<number>(kernel.cols).fill(0);
    for (const row of rows) {
      row.forEach((w, c) => {
        const cls = OPCODES[decode(w).op]?.cls;
        if (cls === 'mul') mul = true;
        if (cls === 'load' || cls === 'store') perColumn[c]++;
      });
    }
    const accesses = perColumn.reduce((a, b) => a + b, 0);
    const mem = bus === 'shared' ? accesses : Math.max(...perColumn);
    return { cycles: Math.max(mul ? 3 : 1, mem > 0 ? 1 + mem : 1), mul, accesses, perColumn };
  });
}

/** A kernel flattened for execution; indices are into CgraSim's state array. */
interface Decoded {
  kernel: Kernel;
  n: number;
  /** PEs of the kernel (rows * kernel cols), in service order: column-major, row 0 first. */
  np: number;
  /** Per (t, q): opcode, operand A/B slot, flag-source slot, destination register slot (-1: none), immediate. */
  opc: Uint8Array; ia: Int32Array; ib: Int32Array; iF: Int32Array; dst: Int32Array; imm: Int32Array;
  /** Per q: the PE's ROUT slot and its column. */
  routOf: Int32Array; colOf: Int32Array;
  /** The non-NOP cells of every step, in service order: act[k] = t*np + q for k in actStart[t]..actStart[t+1]-1,
   *  with the cell's ROUT slot and column (NOPs keep ROUT and do nothing, so the loop skips them). */
  act: Int32Array; actStart: Int32Array; actRout: Int32Array; actCol: Int32Array;
  /** Per active cell: 1 for EXIT (keeps ROUT and flags), 0 for every instruction that registers a result. */
  actKeepsFlags: Uint8Array;
  /** Per S slot: 1 for the ROUT of a kernel PE that some BZFA reads its zero flag from (only those need their
   *  reset flags tracked); how many there are. */
  flagSrc: Uint8Array; flagSrcCount: number;
  /** Per step: cycles, multiply present, accesses (total / max per column). */
  stepCycles: Int32Array; stepMul: Uint8Array; stepMem: Int32Array;
  /** Estimated energy of one execution of each step (energy.ts). */
  stepJoules: Float64Array;
  bus: BusModel;
}

/** (A*B) >> 15, bits 46:15 of the 64-bit product (kept out of the hot loop: BigInt). */
function fxpmul(a: number, b: number): number {
  return Number((BigInt(a) * BigInt(b)) >> 15n & 0xffffffffn) | 0;
}

const S_ZERO = 0;
const S_ONE = 1; // flag sources 5..7: sign 0, zero 0
const S_ROUT = 2;

export class CgraSim {
  readonly arch: CgraArch;
  readonly image: CgraImage;
  readonly memory: Int32Array;
  readonly memoryBytes: number;
  readonly bus: BusModel;
  readonly legacyStep: boolean;
  readonly cycleLimit: number;
  readonly tracing: boolean;
  readonly logging: boolean;
  /** ZERO, ONE, ROUT[P], R[P*4], IMM[instrSlots*P]. */
  private readonly S: Int32Array;
  private readonly P: number;
  private readonly regBase: number;
  private readonly immBase: number;
  private readonly lastKernel: Int32Array;
  /** Per S slot: 1 while the PE's flags hold their reset value (sign 0, zero 0) although ROUT reads 0. */
  private readonly flagsReset: Uint8Array;
  private readonly cache = new Map<number, Decoded>();

  constructor(arch: CgraArch, image: CgraImage, memoryBytes: number, opts: SimOptions = {}) {
    if (image.arch.rows !== arch.rows || image.arch.cols !== arch.cols) {
      throw new TinyforgeError(`bitstream is for a ${image.arch.rows}x${image.arch.cols} array, the simulator's is ${arch.rows}x${arch.cols}`);
    }
    if (!Number.isInteger(memoryBytes) || memoryBytes < 4 || memoryBytes % 4 !== 0 || memoryBytes > 2 ** 31) {
      throw new TinyforgeError(`data memory size ${memoryBytes} bytes must be a positive multiple of 4 (at most 2 GiB)`);
    }
    this.arch = arch;
    this.image = image;
    this.memoryBytes = memoryBytes;
    this.memory = new Int32Array(memoryBytes / 4);
    this.bus = opts.bus ?? arch.bus;
    this.legacyStep = !!opts.legacyStep;
    this.cycleLimit = opts.cycleLimit ?? DEFAULT_CYCLE_LIMIT;
    this.tracing = !!opts.trace;
    this.logging = !!opts.accessLog;
    this.P = arch.rows * arch.cols;
    this.regBase = S_ROUT + this.P;
    this.immBase = this.regBase + 4 * this.P;
    this.S = new Int32Array(this.immBase + arch.instrSlots * this.P);
    this.S[S_ONE] = 1;
    this.lastKernel = new Int32Array(arch.cols).fill(-1);
    this.flagsReset = new Uint8Array(this.regBase).fill(1);
  }

  /** Forgets which kernel each column holds and clears all PE state (memory is kept). */
  reset(): void {
    this.lastKernel.fill(-1);
    this.clearAll();
  }

  /** ROUT, registers and flags of every PE to their reset values (the RTL does this at every kernel end). */
  private clearAll(): void {
    this.S.fill(0, S_ROUT, this.immBase);
    this.flagsReset.fill(1);
  }

  /** ROUT, R0..R3 and flags of PE (row, col) as they are now (between launches the RTL has cleared them all). */
  peState(row: number, col: number): { rout: number; regs: number[]; sign: boolean; zero: boolean } {
    if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= this.arch.rows || col >= this.arch.cols) {
      throw new TinyforgeError(`PE(row ${row}, col ${col}) is outside the ${this.arch.rows}x${this.arch.cols} array`);
    }
    const p = row * this.arch.cols + col;
    const rout = this.S[S_ROUT + p];
    const regs = Array.from(this.S.subarray(this.regBase + p * 4, this.regBase + p * 4 + 4));
    return { rout, regs, sign: rout < 0, zero: rout === 0 && this.flagsReset[S_ROUT + p] === 0 };
  }

  private checkRange(addr: number, bytes: number, what: string): void {
    if (!Number.isInteger(addr) || addr < 0 || addr % 4 !== 0 || addr + bytes > this.memoryBytes) {
      throw new TinyforgeError(`${what}: byte address 0x${addr.toString(16)} (+${bytes} bytes) must be word-aligned and inside the ${this.memoryBytes}-byte data memory`);
    }
  }

  writeWords(addr: number, words: ArrayLike<number>): void {
    this.checkRange(addr, words.length * 4, 'writeWords');
    for (let i = 0; i < words.length; i++) this.memory[addr / 4 + i] = words[i] | 0;
  }

  readWords(addr: number, n: number): number[] {
    this.checkRange(addr, n * 4, 'readWords');
    return Array.from(this.memory.subarray(addr / 4, addr / 4 + n));
  }

  /** Slot in S of operand source `code` for the PE at (r, c), step t. */
  private srcSlot(code: number, r: number, c: number, t: number): number {
    const { cols } = this.arch;
    const s = SOURCES[code];
    if (!s) return S_ZERO; // 11..15 read as 0
    switch (s.kind) {
      case 'zero': return S_ZERO;
      case 'self': return S_ROUT + r * cols + c;
      case 'neighbour': { const [nr, nc] = torus(this.arch, r, c, s.dr!, s.dc!); return S_ROUT + nr * cols + nc; }
      case 'reg': return this.regBase + (r * cols + c) * 4 + s.reg!;
      case 'imm': return this.immBase + t * this.P + r * cols + c;
    }
  }

  private decodeKernel(id: number): Decoded {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const kernel = kernelOf(this.image, id);
    const { rows, cols: C } = this.arch;
    const n = kernel.words.length;
    const kc = kernel.cols;
    const np = rows * kc;
    const d: Decoded = {
      kernel, n, np,
      opc: new Uint8Array(n * np), ia: new Int32Array(n * np), ib: new Int32Array(n * np), iF: new Int32Array(n * np),
      dst: new Int32Array(n * np), imm: new Int32Array(n * np), routOf: new Int32Array(np), colOf: new Int32Array(np),
      act: new Int32Array(0), actStart: new Int32Array(n + 1), actRout: new Int32Array(0), actCol: new Int32Array(0), actKeepsFlags: new Uint8Array(0), flagSrc: new Uint8Array(this.regBase), flagSrcCount: 0,
      stepCycles: new Int32Array(n), stepMul: new Uint8Array(n), stepMem: new Int32Array(n), stepJoules: new Float64Array(n), bus: this.bus,
    };
    for (let c = 0; c < kc; c++) for (let r = 0; r < rows; r++) { const q = c * rows + r; d.routOf[q] = S_ROUT + r * C + c; d.colOf[q] = c; }
    const flagSlot = (code: number, r: number, c: number): number => {
      const f = FLAG_SOURCES[code];
      if (!f) return S_ONE;
      const [nr, nc] = torus(this.arch, r, c, f.dr, f.dc);
      return S_ROUT + nr * C + nc;
    };
    for (let t = 0; t < n; t++) {
      for (let c = 0; c < kc; c++) {
        for (let r = 0; r < rows; r++) {
          const ins = decode(kernel.words[t][r][c]);
          const i = t * np + c * rows + r;
          d.opc[i] = ins.op;
          d.ia[i] = this.srcSlot(ins.a, r, c, t);
          d.ib[i] = this.srcSlot(ins.b, r, c, t);
          d.iF[i] = flagSlot(ins.f, r, c);
          d.imm[i] = ins.imm;
          d.dst[i] = ins.we ? this.regBase + (r * C + c) * 4 + ins.rd : -1;
        }
      }
    }
    const act: number[] = [];
    for (let t = 0; t < n; t++) {
      d.actStart[t] = act.length;
      for (let q = 0; q < np; q++) if (d.opc[t * np + q] !== 0) act.push(t * np + q);
    }
    d.actStart[n] = act.length;
    d.act = Int32Array.from(act);
    d.actRout = Int32Array.from(act, (i) => d.routOf[i % np]);
    d.actCol = Int32Array.from(act, (i) => d.colOf[i % np]);
    d.actKeepsFlags = Uint8Array.from(act, (i) => (d.opc[i] === OP.EXIT ? 1 : 0));
    // Flag sources of BZFA inside the kernel's columns (one outside is never written during the launch: its
    // flags stay reset, which the read sees without tracking).
    for (let i = 0; i < n * np; i++) {
      if (d.opc[i] !== OP.BZFA) continue;
      const f = d.iF[i];
      if (f >= S_ROUT && ((f - S_ROUT) % C) < kc && !d.flagSrc[f]) { d.flagSrc[f] = 1; d.flagSrcCount++; }
    }
    staticStepTiming(kernel, this.bus).forEach((s, t) => {
      d.stepCycles[t] = s.cycles; d.stepMul[t] = s.mul ? 1 : 0; d.stepMem[t] = s.accesses;
      for (let q = 0; q < np; q++) d.stepJoules[t] += opPowerW(d.opc[t * np + q], s.cycles) * s.cycles * CLOCK_PERIOD_S;
    });
    this.cache.set(id, d);
    return d;
  }

  /** Runs kernel `kernelId` to its EXIT with column pointers ptrIn/ptrOut (one per kernel column, byte addresses). */
  launch(kernelId: number, ptrIn: ArrayLike<number>, ptrOut: ArrayLike<number>): LaunchStats {
    const d = this.decodeKernel(kernelId);
    // The IMM slots are shared by all kernels: reload this kernel's immediates.
    const { rows, cols: C } = this.arch;
    const kc = d.kernel.cols;
    for (let t = 0; t < d.n; t++) for (let r = 0; r < rows; r++) for (let c = 0; c < kc; c++) {
      this.S[this.immBase + t * this.P + r * C + c] = d.imm[t * d.np + c * rows + r];
    }
    const pIn = new Int32Array(C), pOut = new Int32Array(C);
    for (let c = 0; c < kc; c++) {
      pIn[c] = (ptrIn[c] ?? 0) | 0;
      pOut[c] = (ptrOut[c] ?? 0) | 0;
    }
    // The RTL reloads only the columns whose last kernel differs.
    let reloaded = 0;
    for (let c = 0; c < kc; c++) if (this.lastKernel[c] !== kernelId) reloaded++;
    for (let c = 0; c < kc; c++) this.lastKernel[c] = kernelId;
    // Reset the kernel columns' ROUT, registers and flags.
    const S = this.S;
    for (let r = 0; r < rows; r++) for (let c = 0; c < kc; c++) {
      const p = r * C + c;
      S[S_ROUT + p] = 0;
      this.flagsReset[S_ROUT + p] = 1;
      S.fill(0, this.regBase + p * 4, this.regBase + p * 4 + 4);
    }

    const overheadCycles = LAUNCH_BASE_CYCLES + LAUNCH_PER_COLUMN_CYCLES * kc;
    const configCycles = reloaded * (d.n + 1);
    let r;
    try {
      r = this.execute(d, kernelId, pIn, pOut, overheadCycles + configCycles);
    } finally {
      // At the kernel's end the RTL clears ROUT, registers and flags of every column.
      this.clearAll();
    }
    const st = this.stats(d, kernelId, r.stepExec, r.cycles, overheadCycles, configCycles, reloaded, r.unaligned, r.trace);
    return r.log ? { ...st, accesses: r.log } : st;
  }

  /** The instruction loop: runs kernel `d` from step 0 to its EXIT; the pointer arrays are updated in place. */
  private execute(d: Decoded, kernelId: number, pIn: Int32Array, pOut: Int32Array, startCycle: number):
    { cycles: number; unaligned: number; stepExec: Float64Array; trace: TraceStep[] | undefined; log: AccessLog | undefined } {
    const { rows, cols: C } = this.arch;
    const S = this.S;
    const stepExec = new Float64Array(d.n);
    const { opc, ia, ib, iF, dst, imm, act, actStart, actRout, actCol, stepCycles, n, np } = d;
    const mem = this.memory;
    const memBytes = this.memoryBytes;
    const legacy = this.legacyStep;
    const limit = this.cycleLimit;
    const nxt = new Int32Array(np);
    const fr = this.flagsReset;
    const { actKeepsFlags, flagSrc } = d;
    // Flag sources still holding their reset flags: while any is, writes clear the reset state (the slow
    // write-back); once none is (or the kernel has no BZFA), the plain write-back runs.
    let pending = d.flagSrcCount;

    const trace: TraceStep[] | undefined = this.tracing ? [] : undefined;
    let memLog: MemAccess[] = [];
    const log: AccessLog | undefined = this.logging ? { seq: [], pc: [], row: [], col: [], kind: [], addr: [], step: [], indirect: 0 } : undefined;
    let seq = 0;
    let unaligned = 0;
    let cycles = 1; // the NOP bubble
    let pc = 0;

    for (;;) {
      const base = pc * np;
      let brCount = 0, brTarget = 0, exit = false;
      const k0 = actStart[pc], k1 = actStart[pc + 1];
      for (let k = k0; k < k1; k++) {
        const i = act[k];
        const A = S[ia[i]], B = S[ib[i]];
        let v: number;
        switch (opc[i]) {
          case 1: v = (A + B) | 0; break;
          case 2: v = (A - B) | 0; break;
          case 3: v = Math.imul(A, B); break;
          case 4: v = fxpmul(A, B); break;
          case 5: v = A << (B & 31); break;
          case 6: v = (A >>> (B & 31)) | 0; break;
          case 7: v = A >> (B & 31); break;
          case 8: v = A & B; break;
          case 9: v = A | B; break;
          case 10: v = A ^ B; break;
          case 11: v = ~(A & B); break;
          case 12: v = ~(A | B); break;
          case 13: v = ~(A ^ B); break;
          case 14: v = S[iF[i]] < 0 ? A : B; break;
          case 15: { const f = iF[i]; v = S[f] === 0 && fr[f] === 0 ? A : B; break; }
          case 16: case 17: case 18: case 19: {
            const o = opc[i];
            const taken = o === 16 ? A === B : o === 17 ? A !== B : o === 18 ? A < B : A >= B;
            if (taken) { brCount++; brTarget = imm[i] & 31; v = 1; } else v = 0;
            break;
          }
          case 20: v = (A + B) | 0; brCount++; brTarget = v & 31; break;
          case 21: case 23: { // LWD, LWI
            const c = actCol[k];
            let addr: number;
            if (opc[i] === 21) { addr = pIn[c]; pIn[c] = (addr + (legacy ? 4 : imm[i])) | 0; } else addr = B;
            const a = addr >>> 0;
            if (a >= memBytes) throw this.memFault(d, i - base, pc, addr, 'load');
            if (a & 3) unaligned++;
            v = mem[a >>> 2];
            if (trace) memLog.push({ row: (i - base) % rows, col: c, kind: 'load', addr: a, value: v });
            if (log) {
              log.seq.push(seq); log.pc.push(pc); log.row.push((i - base) % rows); log.col.push(c); log.kind.push(0); log.addr.push(a);
              log.step.push(opc[i] === 21 ? imm[i] : 0); if (opc[i] !== 21) log.indirect++;
            }
            break;
          }
          case 22: case 24: { // SWD, SWI
            const c = actCol[k];
            let addr: number;
            if (opc[i] === 22) { addr = pOut[c]; pOut[c] = (addr + (legacy ? 4 : imm[i])) | 0; } else addr = B;
            const a = addr >>> 0;
            if (a >= memBytes) throw this.memFault(d, i - base, pc, addr, 'store');
            if (a & 3) unaligned++;
            mem[a >>> 2] = A;
            if (trace) memLog.push({ row: (i - base) % rows, col: c, kind: 'store', addr: a, value: A });
            if (log) {
              log.seq.push(seq); log.pc.push(pc); log.row.push((i - base) % rows); log.col.push(c); log.kind.push(1); log.addr.push(a);
              log.step.push(opc[i] === 22 ? imm[i] : 0); if (opc[i] !== 22) log.indirect++;
            }
            nxt[k - k0] = STORE_CLOBBER;
            continue; // a store with the write bit set leaves the register alone
          }
          case 25: exit = true; nxt[k - k0] = S[actRout[k]]; continue;
          default: throw kernelError(d.kernel, (i - base) % rows, actCol[k], pc, `undefined opcode ${opc[i]}`);
        }
        nxt[k - k0] = v;
        const r = dst[i];
        if (r >= 0) S[r] = v;
      }
      if (pending === 0) {
        for (let k = k0; k < k1; k++) S[actRout[k]] = nxt[k - k0];
      } else {
        for (let k = k0; k < k1; k++) {
          const o = actRout[k];
          S[o] = nxt[k - k0];
          if (fr[o] !== 0 && actKeepsFlags[k] === 0) { fr[o] = 0; pending -= flagSrc[o]; }
        }
      }
      stepExec[pc]++;
      seq++;
      const thisPc = pc;
      const thisCycle = cycles;
      cycles += stepCycles[pc];
      let done = false;
      if (brCount === 1) pc = brTarget;
      else if (exit) done = true;
      else pc++;
      if (trace) {
        const rout: number[][] = [];
        for (let r = 0; r < rows; r++) { const row: number[] = []; for (let c = 0; c < C; c++) row.push(S[S_ROUT + r * C + c]); rout.push(row); }
        trace.push({ cycle: startCycle + thisCycle, pc: thisPc, cycles: stepCycles[thisPc], rout, mem: memLog, branchRequests: brCount, ...(done ? {} : { next: pc }) });
        memLog = [];
      }
      if (done) break;
      if (pc >= n) {
        throw new TinyforgeError(`kernel ${kernelId}: ${brCount === 1 ? `jump from step ${thisPc} to step ${pc}` : `step ${thisPc} falls through to step ${pc}`}, past the kernel's last step ${n - 1} without EXIT`);
      }
      if (cycles > limit) {
        throw new TinyforgeError(`kernel ${kernelId}: no EXIT within ${limit} cycles (at step ${pc}); the kernel never ends`, {}, 'check loop counters and branch conditions, or raise the cycle limit');
      }
    }
    return { cycles, unaligned, stepExec, trace, log };
  }

  private memFault(d: Decoded, q: number, pc: number, addr: number, kind: string): TinyforgeError {
    const r = q % this.arch.rows, c = d.colOf[q];
    return kernelError(d.kernel, r, c, pc, `${kind} address 0x${(addr >>> 0).toString(16)} is outside data memory [0, 0x${this.memoryBytes.toString(16)})`,
      {}, d.kernel.words[pc][r][c]);
  }

  private stats(d: Decoded, kernelId: number, stepExec: Float64Array, execCycles: number, overheadCycles: number, configCycles: number,
    reloaded: number, unaligned: number, trace: TraceStep[] | undefined): LaunchStats {
    const { rows } = this.arch;
    const kc = d.kernel.cols;
    const perPe: PeStats[] = [];
    const perColumn: ColumnStats[] = Array.from({ length: kc }, (_, col) => ({ col, memAccesses: 0, loads: 0, stores: 0, activeCycles: execCycles, stallCycles: 0 }));
    const perStep: StepStats[] = [];
    let steps = 0, peInstructions = 0, loads = 0, stores = 0, mulStall = 0, memStall = 0, joules = 0;
    for (let t = 0; t < d.n; t++) {
      const e = stepExec[t];
      const cyc = d.stepCycles[t];
      steps += e;
      perStep.push({ step: t, executions: e, cycles: e * cyc, cyclesEach: cyc });
      if (e === 0) continue;
      const memOnly = d.stepMem[t] > 0 ? cyc : 1;
      if (d.stepMul[t]) { mulStall += e * 2; memStall += e * Math.max(0, cyc - 3); } else memStall += e * (memOnly - 1);
      for (const col of perColumn) col.stallCycles += e * (cyc - 1);
      joules += e * d.stepJoules[t];
    }
    for (let r = 0; r < rows; r++) for (let c = 0; c < kc; c++) {
      const q = c * rows + r;
      const s: PeStats = { row: r, col: c, instructions: 0, memAccesses: 0, busyCycles: 0, stalledCycles: 0, utilisation: 0 };
      for (let t = 0; t < d.n; t++) {
        const e = stepExec[t];
        if (e === 0) continue;
        const cls = OPCODES[d.opc[t * d.np + q]].cls;
        if (cls === 'nop') continue;
        const own = cls === 'mul' ? 3 : cls === 'load' || cls === 'store' ? 2 : 1;
        s.instructions += e;
        s.busyCycles += e * own;
        s.stalledCycles += e * Math.max(0, d.stepCycles[t] - own);
        if (cls === 'load' || cls === 'store') {
          s.memAccesses += e;
          perColumn[c].memAccesses += e;
          if (cls === 'load') { perColumn[c].loads += e; loads += e; } else { perColumn[c].stores += e; stores += e; }
        }
      }
      s.utilisation = s.busyCycles / execCycles;
      peInstructions += s.instructions;
      perPe.push(s);
    }
    const cycles = overheadCycles + configCycles + execCycles;
    return {
      kernel: kernelId, cycles, overheadCycles, configCycles, configured: reloaded > 0, configuredColumns: reloaded, execCycles, cyclesWithCall: cycles + this.arch.callCycles,
      steps, peInstructions, peSlots: steps * d.np, loads, stores, unalignedAccesses: unaligned, mulStallCycles: mulStall, memStallCycles: memStall,
      bus: this.bus, perPe, perColumn, perStep,
      energy: { joules, note: 'estimate: per-operation power (ESL-CGRA-simulator characterisation) x instruction cycles x 10 ns, kernel PEs only' },
      ...(trace ? { trace } : {}),
    };
  }
}

/** Opcode numbers the simulator's switch uses, checked against the table (fails at load if they drift). */
if (OP.SADD !== 1 || OP.EXIT !== 25 || OP.LWD !== 21 || OP.SWI !== 24 || OP.JUMP !== 20 || OP.BSFA !== 14) {
  throw new Error('cgra sim: opcode table and simulator switch disagree');
}
