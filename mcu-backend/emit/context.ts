// The EmitContext a kernel variant emits in (variant.ts): the module, the target, the layer function's
// name and, when the memory plan runs the op in place or in a split chain, its modal form.
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import type { EmitContext, McuTargetInfo, ModalForm } from './variant.ts';

export function kernelContext(module: KernelModule, target: McuTargetInfo, fn: string, i: number, mode?: ModalForm): EmitContext {
  return {
    module, target, arith: module.arith, fn, mode,
    konst: (id) => module.consts.find((c) => c.id === id) ?? raise(`op ${i}: const ${id} not found`),
    buffer: (id) => module.buffers[id] ?? raise(`op ${i}: buffer ${id} not found`),
  };
}

function raise(msg: string): never {
  throw new Error(msg);
}
