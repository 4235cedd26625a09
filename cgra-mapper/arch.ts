// OpenEdgeCGRA array description: the numbers every other part of cgra-mapper (ISA, images, simulator,
// mappers) reads instead of hard-coding 4x4. Defaults follow the public RTL (4x4 PEs, 4 registers, 32
// instruction slots per PE, 128 context-memory lines per row bank, 16 kernel-table entries). Other sizes
// are legal template parameters of the RTL; `archFromConfig` builds one from a config's `targets.cgra`.
//
// API: `DEFAULT_ARCH`, `makeArch(partial) -> CgraArch` (validated), `archFromConfig(targets.cgra)`.
import { TinyforgeError } from '../compiler/diagnostics.ts';

/** How the columns' memory ports reach data memory (see docs/openedgecgra.md §4). */
export type BusModel = 'ports' | 'shared';

export interface CgraArch {
  rows: number;
  cols: number;
  /** General-purpose registers per PE (R0..R3). */
  registers: number;
  /** Instruction slots per PE (5-bit PC): the most instructions one kernel may have. */
  instrSlots: number;
  /** Lines per row bank of the context memory. */
  contextLines: number;
  /** Kernel-table entries (entry 0 reserved, so kernelSlots-1 kernels resident). */
  kernelSlots: number;
  bus: BusModel;
  /** Flat CPU-side cost of one kernel call (HEEPsilon measured ~190 cycles), reported next to array cycles. */
  callCycles: number;
}

export const DEFAULT_ARCH: Readonly<CgraArch> = Object.freeze({
  rows: 4, cols: 4, registers: 4, instrSlots: 32, contextLines: 128, kernelSlots: 16, bus: 'ports', callCycles: 190,
});

const INT_FIELDS: { key: keyof CgraArch; min: number; max: number }[] = [
  { key: 'rows', min: 1, max: 16 },
  { key: 'cols', min: 1, max: 16 },
  { key: 'registers', min: 4, max: 4 },
  { key: 'instrSlots', min: 1, max: 32 },
  { key: 'contextLines', min: 1, max: 1 << 12 },
  { key: 'kernelSlots', min: 2, max: 64 },
  { key: 'callCycles', min: 0, max: 1e9 },
];

/**
 * A validated architecture: DEFAULT_ARCH overridden by `p`. The context memory is sized with the array
 * unless given: a kernel on c columns takes c x (its instructions) lines of every row bank, so the default is
 * 32 lines per column (the RTL's 128 for 4 columns), enough for a full-width 32-instruction kernel.
 */
export function makeArch(p: Partial<CgraArch> = {}): CgraArch {
  const a: CgraArch = { ...DEFAULT_ARCH, ...p };
  if (p.contextLines === undefined) a.contextLines = Math.max(DEFAULT_ARCH.contextLines, a.instrSlots * a.cols);
  for (const f of INT_FIELDS) {
    const v = a[f.key] as number;
    if (!Number.isInteger(v) || v < f.min || v > f.max) {
      throw new TinyforgeError(`CGRA architecture: ${f.key} = ${typeof v === 'number' ? v : JSON.stringify(v)} is not an integer in [${f.min}, ${f.max}]`);
    }
  }
  if (a.bus !== 'ports' && a.bus !== 'shared') {
    throw new TinyforgeError(`CGRA architecture: bus '${String(a.bus)}' is not one of ports | shared`);
  }
  return a;
}

/** The `targets.cgra` section of a config: {rows, cols, bus, strategy, callCycles}; strategy is the mapper's. */
export interface CgraTargetConfig {
  rows?: number;
  cols?: number;
  bus?: BusModel;
  strategy?: string;
  callCycles?: number;
}

export function archFromConfig(cfg: CgraTargetConfig | undefined): CgraArch {
  const p: Partial<CgraArch> = {};
  if (cfg?.rows !== undefined) p.rows = cfg.rows;
  if (cfg?.cols !== undefined) p.cols = cfg.cols;
  if (cfg?.bus !== undefined) p.bus = cfg.bus;
  if (cfg?.callCycles !== undefined) p.callCycles = cfg.callCycles;
  return makeArch(p);
}

/** Bits of the kernel-table start-line field (7 for 128 lines). */
export function startLineBits(a: CgraArch): number {
  return Math.max(1, Math.ceil(Math.log2(a.contextLines)));
}

/** Number of PEs. */
export const peCount = (a: CgraArch): number => a.rows * a.cols;

/** Bits of a kernel-table word: column mask (cols bits) + start line + instruction count - 1 (5 bits), as the
 *  RTL's KMEM_WIDTH = N_COL + log2(lines) + log2(instruction slots). 16 on 4x4 with 128 lines. */
export const kernelTableBits = (a: CgraArch): number => a.cols + startLineBits(a) + 5;

// ---------------------------------------------------------------------------------------------------
// Neighbour topology. The RTL (cgra_rcs.sv) closes the mesh into a torus over N_ROW and N_COL: row -1 is
// row N_ROW-1, column N_COL is column 0. Every consumer of "who reads whom" (simulator, strategies,
// static checks) uses these helpers instead of its own modulo.

/** The four neighbour links a PE reads (operand sources RCL, RCR, RCT, RCB). */
export type Dir = 'L' | 'R' | 'T' | 'B';
export const DIRS: readonly Dir[] = ['L', 'R', 'T', 'B'];
const DELTA: Record<Dir, readonly [number, number]> = { L: [0, -1], R: [0, 1], T: [-1, 0], B: [1, 0] };

/** The (row, col) offset of a link. */
export const dirDelta = (d: Dir): readonly [number, number] => DELTA[d];

/** (r + dr, c + dc) on the arch's torus. */
export function torus(a: { rows: number; cols: number }, r: number, c: number, dr: number, dc: number): [number, number] {
  return [(((r + dr) % a.rows) + a.rows) % a.rows, (((c + dc) % a.cols) + a.cols) % a.cols];
}

/** The PE whose ROUT PE(r, c) reads through link `d`. */
export function neighbour(a: { rows: number; cols: number }, r: number, c: number, d: Dir): [number, number] {
  const [dr, dc] = DELTA[d];
  return torus(a, r, c, dr, dc);
}

/** True when link `d` of PE(r, c) wraps around the edge of a `rows` x `cols` region (the torus closing).
 *  A kernel that reads such a link depends on the region being the whole array. */
export function wrapsAround(rows: number, cols: number, r: number, c: number, d: Dir): boolean {
  const [dr, dc] = DELTA[d];
  const rr = r + dr, cc = c + dc;
  return rr < 0 || rr >= rows || cc < 0 || cc >= cols;
}
