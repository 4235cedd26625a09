// Flash of a layer estimated from the C its variant emits: the constants as laid out plus code bytes
// estimated from the text. What the selection prices a variant at before the build has measured it.
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { kernelContext } from './context.ts';
import type { AnyVariant, EmittedKernel, McuTargetInfo } from './variant.ts';

/**
 * Code bytes of a layer's C, estimated from its text: 0.12 bytes of Thumb-2 per character (whitespace
 * runs counted as one). Calibrated on vww's layer functions with arm-none-eabi-gcc -O2 -mcpu=cortex-m4
 * (nm sizes minus constants: 0.09-0.13 per character for the generated fast and generic kernels; lower
 * where gcc shares code between identical layers, so this errs high). The build measures instead when
 * the toolchain is there (../stages/fit.ts); this is the fallback and the cost of not-yet-measured variants.
 */
export function estimateCodeBytes(code: string): number {
  return Math.max(32, Math.round(0.12 * code.replace(/\s+/g, ' ').length));
}

const flashMemo = new WeakMap<KernelModule, Map<string, number>>();
/** Constants (as the variant emits them) + estimated code bytes of variant v on op i (memoised per module). */
export function estimateLayerFlash(module: KernelModule, target: McuTargetInfo, name: string, i: number, v: AnyVariant): number {
  const memo = flashMemo.get(module) ?? flashMemo.set(module, new Map()).get(module)!;
  const key = `${target.cpu}:${i}:${v.name}`;
  let b = memo.get(key);
  if (b === undefined) {
    const k = v.emit(module.ops[i]!, kernelContext(module, target, `${name}_l${i}`, i)) as EmittedKernel;
    b = k.constBytes + estimateCodeBytes(k.code);
    memo.set(key, b);
  }
  return b;
}
