// legalize: reject, before any lowering, every graph the backends cannot run, with an error that names
// the op, says what is wrong and what would be valid. Checked: int8 activations quantised per tensor;
// constant int8 weights with zero point 0 (per tensor, or per output channel on the right axis);
// optional constant int32 biases of one value per output channel; ranks and shapes consistent with
// the op's attributes (output sizes as TFLite's padding rules give them); broadcastable ADD operands.
// Each op's rules are its definition's `legalize` (compiler/ops/), stated with LegalCheck.
// The graph is returned unchanged: later passes may rely on everything checked here.

import { TinyforgeError } from '../diagnostics.ts';
import type { Graph, Op } from '../ir/graph.ts';
import { opLabel, tensorById } from '../ir/lookup.ts';
import { LegalCheck } from '../ops/checks.ts';
import { OP_KINDS, opDef } from '../ops/index.ts';
import { definePass } from './pass.ts';

/** The operands of an op that are activations (weights and biases are constants). */
export function activationInputs(op: Op): number[] {
  return opDef(op.kind).arity.activations(op as never).map((i) => op.inputs[i]!);
}

function checkOp(g: Graph, op: Op): void {
  const c = new LegalCheck(g, op);
  if (!(OP_KINDS as string[]).includes(op.kind)) c.fail('unsupported operator', `supported: ${OP_KINDS.join(', ')}`);
  const [omin, omax] = opDef(op.kind).arity.outputs ?? [1, 1];
  if (op.outputs.length < omin || op.outputs.length > omax) {
    c.fail(`has ${op.outputs.length} outputs`, omin === omax ? `${op.kind} writes exactly ${omin} tensor${omin === 1 ? '' : 's'}` : `${op.kind} writes ${omin} to ${omax} tensors`);
  }
  opDef(op.kind).legalize(c, op as never);
}

export const legalize = definePass({
  name: 'legalize',
  summary: 'reject graphs no backend supports, with errors naming the op',
  stage: 'graph',
  options: {},
  run(state) {
    const g = state.graph;
    for (const id of [...g.inputs, ...g.outputs]) {
      const t = tensorById(g, id);
      if (!t) throw new TinyforgeError(`graph ${g.inputs.includes(id) ? 'input' : 'output'} tensor ${id} does not exist`);
      // Besides int8: float32 (and int16) edges, converted by the QUANTIZE / DEQUANTIZE ops that touch them (their
      // legalize checks the rest: a float32 input is read only by QUANTIZE, a float32 output written by DEQUANTIZE).
      const edgeOps = g.ops.filter((op) => op.inputs.includes(id) || op.outputs.includes(id));
      const converted = edgeOps.length > 0 && edgeOps.every((op) => op.kind === 'quantize' || op.kind === 'dequantize');
      // int16 edges of 16x8 models are checked by the ops that touch them (their legalize admits int16 or not);
      // int32 only through QUANTIZE, or as an input no op reads (TRANSPOSE_CONV's output shape fed as an input).
      const unread = g.inputs.includes(id) && edgeOps.length === 0;
      const int32Edge = t.dtype === 'int32' && (unread || (edgeOps.length > 0 && edgeOps.every((op) => op.kind === 'quantize')));
      if (t.dtype !== 'int8' && t.dtype !== 'int16' && !int32Edge && !(t.dtype === 'float32' && converted)) {
        throw new TinyforgeError(`graph input/output '${t.name}' is ${t.dtype}`, {}, 'the backends support int8 and int16 models, with float32 or int32 edges only through QUANTIZE / DEQUANTIZE');
      }
    }
    // Topological order: every activation an op reads is a graph input or written by an earlier op.
    const defined = new Set(g.inputs);
    for (const op of g.ops) {
      checkOp(g, op);
      for (const id of activationInputs(op)) {
        // A constant operand (element-wise ops accept one; other ops reject constants as activations), or
        // recurrent state (a variable tensor, defined before the first op).
        if (!defined.has(id) && !tensorById(g, id)?.data && !tensorById(g, id)?.variable) {
          const name = tensorById(g, id)?.name ?? String(id);
          throw new TinyforgeError(`${op.kind}: reads '${name}' before any op writes it`, { op: opLabel(g, op) }, 'ops must be in topological order');
        }
      }
      for (const id of op.outputs) {
        if (defined.has(id)) throw new TinyforgeError(`${op.kind}: writes '${tensorById(g, id)?.name ?? id}', which is already defined`, { op: opLabel(g, op) });
        defined.add(id);
      }
    }
    for (const id of g.outputs) {
      if (!defined.has(id)) throw new TinyforgeError(`graph output '${tensorById(g, id)?.name ?? id}' is never written`);
    }
    return state;
  },
});
