// assign-buffers: give every activation buffer its lifetime: `def` is the op that writes it (-1 for graph
// inputs) and `lastUse` the last op that reads it (ops.length for graph outputs, `def` for a value no
// one reads; -1 and ops.length for recurrent state, which persists across invocations). A reshape's output becomes a view (aliasOf) of the storage it reshapes, and that storage
// then lives as long as its longest-lived view, so a memory planner only places non-alias buffers.

import type { KBuffer } from '../kernel-ir/types.ts';
import { definePass, requireModule } from './pass.ts';

export const assignBuffers = definePass({
  name: 'assign-buffers',
  summary: 'buffer lifetimes (def, lastUse); reshape outputs alias their input',
  stage: 'kernel',
  options: {},
  run(state) {
    const m = requireModule(state, 'assign-buffers');
    const buffers: KBuffer[] = m.buffers.map((b) => {
      const { aliasOf: _drop, ...rest } = b;
      return { ...rest, def: -1, lastUse: -1 };
    });
    for (const op of m.ops) {
      for (const i of op.inputs) buffers[i].lastUse = Math.max(buffers[i].lastUse, op.index);
      buffers[op.output].def = op.index;
    }
    for (const id of m.outputs) buffers[id].lastUse = m.ops.length;
    // Recurrent state persists across invocations: defined before the first op, live past the last.
    for (const b of buffers) if (b.kind === 'state') { b.def = -1; b.lastUse = m.ops.length; }
    for (const b of buffers) if (b.lastUse < b.def) b.lastUse = b.def;
    // Views: ops are in order, so a reshape's input already has its final root.
    for (const op of m.ops) {
      if (op.kind !== 'reshape') continue;
      const src = buffers[op.inputs[0]];
      buffers[op.output].aliasOf = src.aliasOf ?? src.id;
    }
    for (const b of buffers) {
      if (b.aliasOf === undefined) continue;
      const root = buffers[b.aliasOf];
      root.lastUse = Math.max(root.lastUse, b.lastUse);
    }
    m.buffers = buffers;
    return state;
  },
});
