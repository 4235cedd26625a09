// What a hand strategy needs from the array, declared next to it in the strategy table, so that a config
// with another array size is refused with a reason instead of producing kernels whose PE coordinates or
// torus wrap-arounds belong to another array (which the simulator would run, giving wrong sums).
// `exact` sizes: the kernels place roles on that torus and read links that wrap around its edges (a 4-row
// program reading row 3 from row 0 reads row 7 on an 8-row array). `min` sizes: the kernels read no
// wrap-around link (tests/cgra-mapper/array-sizes.test.ts checks both claims on the kernels themselves),
// so they run unchanged on any array at least that large, the PEs outside them idle.
import type { CgraArch } from '../arch.ts';

export type Extent = { exact: number } | { min: number };

export interface ArrayNeeds {
  rows: Extent;
  cols: Extent;
  /** Registers per PE the kernels address (R0..R3). */
  registers: number;
  /** Rows and columns must be multiples of this (role patterns that repeat every few PEs). */
  multipleOf?: number;
  /** Written for any array that fits (never run as tiled 4x4 copies). */
  native?: boolean;
  /** Why, in a few words (the reason a refused layer gives). */
  why: string;
}

/** The hand strategies written for OpenEdgeCGRA's default array. */
export const TORUS_4X4: ArrayNeeds = {
  rows: { exact: 4 }, cols: { exact: 4 }, registers: 4,
  why: 'its PE roles and neighbour links are placed on the 4x4 torus (links wrap around its edges)',
};

/** Kernels on a 4x4 block that read no wrap-around link: any array of at least 4 rows and 4 columns. */
export const WRAP_FREE_4X4: ArrayNeeds = {
  rows: { min: 4 }, cols: { min: 4 }, registers: 4,
  why: 'its roles fill a 4x4 block of PEs and read no link that wraps around the block',
};

/** mesh-fxp: roles generated for the array, repeating every 4 PEs. */
export const MESH: ArrayNeeds = {
  rows: { min: 4 }, cols: { min: 4 }, multipleOf: 4, registers: 4, native: true,
  why: 'its roles and channel labels repeat every 4 PEs of the torus',
};

const fits = (e: Extent, v: number): boolean => ('exact' in e ? v === e.exact : v >= e.min);
const show = (e: Extent): string => ('exact' in e ? `${e.exact}` : `>= ${e.min}`);

/** Why a strategy needing `n` cannot run on `arch`, or undefined. */
export function arrayReason(n: ArrayNeeds, arch: CgraArch): string | undefined {
  if (!fits(n.rows, arch.rows) || !fits(n.cols, arch.cols)) {
    return `needs a ${show(n.rows)} x ${show(n.cols)} array, this one is ${arch.rows}x${arch.cols}: ${n.why}`;
  }
  if (n.multipleOf && (arch.rows % n.multipleOf || arch.cols % n.multipleOf)) {
    return `needs rows and columns that are multiples of ${n.multipleOf}, this array is ${arch.rows}x${arch.cols}: ${n.why}`;
  }
  if (arch.registers < n.registers) return `needs ${n.registers} registers per PE, the array has ${arch.registers}`;
  return undefined;
}

/** The general mapper: placed and routed for whatever array it is given. */
export const ANY_ARRAY: ArrayNeeds = {
  rows: { min: 1 }, cols: { min: 1 }, registers: 4, native: true,
  why: 'the general mapper places and routes on any array',
};
