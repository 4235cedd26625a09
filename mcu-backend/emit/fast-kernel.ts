// What a fast Cortex-M4 kernel generator returns, and the small helpers they share. The emitted `code`
// starts with the (include-guarded) SIMD prelude and defines `static void <fn>(const int8_t *in, int8_t
// *out, int8_t *scratch)`; `data` holds its static const tables. It needs runtime.h before it (TF_ALIGN,
// the tflite-arithmetic requantisation). Adapted to the backend's variant table in fast-variants.ts.

import type { KConst, KernelModule, KernelOp } from '../../compiler/kernel-ir/types.ts';
import type { Blocking } from './blocking.ts';
import type { EmittedKernel } from './variant.ts';

export interface FastKernel {
  fn: string;
  data: string;
  code: string;
  scratchBytes: number;
  constBytes: number;
  blocking?: Blocking;
  /** Analytic estimate for the whole call (prepass included). */
  estimate: { instructions: number; loads: number };
}

export type FastResult = { ok: true; kernel: FastKernel } | { ok: false; reason: string };

/** Applicability needs the constants (requantisation proof): probe a generator once per op and variant. */
const probed = new Map<string, WeakMap<KernelOp, boolean>>();
export function probe(who: string, op: KernelOp, module: KernelModule | undefined, gen: (m: Pick<KernelModule, 'consts'>) => FastResult): boolean {
  if (!module) return false;
  const cache = probed.get(who) ?? probed.set(who, new WeakMap()).get(who)!;
  let ok = cache.get(op);
  if (ok === undefined) { ok = gen(module).ok; cache.set(op, ok); }
  return ok;
}

/** A generator's result as the variant table's emitted kernel; `what` names the kernel family in the error. */
export function toEmitted(r: FastResult, op: KernelOp, what = 'fast'): EmittedKernel {
  if (!r.ok) throw new Error(`${what} kernel for op ${op.index} '${op.name}' not applicable: ${r.reason}`);
  return { data: r.kernel.data, code: r.kernel.code, constBytes: r.kernel.constBytes };
}

export function constById(m: Pick<KernelModule, 'consts'>, id: number): KConst {
  const c = m.consts.find((k) => k.id === id);
  if (!c) throw new Error(`kernel IR constant ${id} not found`);
  return c;
}

export function cIdent(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(t) ? '_' + t : t;
}
