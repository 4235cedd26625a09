// verify-kernel: the pipeline's last pass. Runs the kernel-IR verifier (kernel-ir/verify.ts) and stops
// with every violation listed, so no backend ever sees a malformed module.

import { verifyKernelModule } from '../kernel-ir/verify.ts';
import { definePass, requireModule } from './pass.ts';

export const verifyKernel = definePass({
  name: 'verify-kernel',
  summary: 'check the kernel-IR invariants the backends rely on',
  stage: 'kernel',
  options: {},
  run(state) {
    const m = requireModule(state, 'verify-kernel');
    const errors = verifyKernelModule(m);
    if (errors.length > 0) throw new Error(`kernel IR of '${m.name}' is malformed:\n  ${errors.join('\n  ')}`);
    return state;
  },
});
