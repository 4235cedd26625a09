// reshape: a view. The arena planner gives the output the input's bytes (KBuffer.aliasOf), so the kernel
// is empty unless the planner could not alias (then it copies).
import type { KReshape } from '../../compiler/kernel-ir/types.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitReshape(op: KReshape, ctx: EmitContext): EmittedKernel {
  const bytes = ctx.buffer(op.output).bytes;
  const code = `static void ${ctx.fn}(const int8_t *in, int8_t *out)
{
  if (out != in) memcpy(out, in, ${bytes});
}
`;
  return { data: '', code, constBytes: 0 };
}

export const reshapeAlias = defineVariant<KReshape>({
  name: 'reshape.alias',
  kind: 'reshape',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitReshape,
  estimate: () => ({ instructions: 4, loads: 0 }),
});
