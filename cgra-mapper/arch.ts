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

/** A validated architecture: DEFAULT_ARCH overridden by `p`. */
export function makeArch(p: Partial<CgraArch> = {}): CgraArch {
  const a: CgraArch = { ...DEFAULT_ARCH, ...p };
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
