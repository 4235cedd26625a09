// Graph IR validator. Checks what every later stage assumes: tensor ids in range, topological order with
// each activation written once, operand counts, dtypes, quantisation present where the int8 arithmetic
// needs it, weight/bias shapes, groups divisibility, and that each op's declared output shape equals the
// shape inferred from its inputs and attributes (each op definition's `infer`, compiler/ops/). Errors name the op by
// index and kind and say which rule is broken.
import { TinyforgeError } from '../diagnostics.ts';
import { ShapeCheck as Check } from '../ops/checks.ts';
import { opDef } from '../ops/index.ts';
import { numElements, type Graph, type Op } from './graph.ts';

/** Zero points a quantised tensor of each type may have (its value range). */
const ZERO_POINT_RANGE: Record<string, [number, number]> = { int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647] };

/** The output shape `op` computes from its inputs and attributes (its first output's); throws if they are inconsistent. */
export function inferShape(g: Graph, op: Op, file?: string): number[] {
  return inferShapes(g, op, file)[0]!;
}

/** The shape of every output of `op`, in order; throws if its inputs and attributes are inconsistent. */
export function inferShapes(g: Graph, op: Op, file?: string): number[][] {
  const c = new Check(g, op, g.ops.indexOf(op), file);
  const def = opDef(op.kind);
  const [min, max] = def.arity.inputs;
  if (op.inputs.length < min || op.inputs.length > max) c.fail(`needs ${min === max ? min : `${min} to ${max}`} inputs, has ${op.inputs.length}`);
  const [omin, omax] = def.arity.outputs ?? [1, 1];
  if (op.outputs.length < omin || op.outputs.length > omax) {
    c.fail(`needs ${omin === omax ? `exactly ${omin}` : `${omin} to ${omax}`} output${omax === 1 ? '' : 's'}, has ${op.outputs.length}`);
  }
  const outs = def.inferAll ? def.inferAll(c, op as never) : [def.infer(c, op as never)];
  if (outs.length !== op.outputs.length) c.fail(`computes ${outs.length} outputs, has ${op.outputs.length}`);
  for (const out of outs) {
    if (out.some((d) => !Number.isInteger(d) || d < 1)) c.fail(`inferred output shape [${out}] is empty (window larger than input?)`);
  }
  return outs;
}

/** Throws a TinyforgeError naming the op and the broken rule if `g` is not a well-formed graph. */
export function validateGraph(g: Graph, file?: string): void {
  const where = { file };
  g.tensors.forEach((t, i) => {
    if (t.id !== i) throw new TinyforgeError(`tensor ${i} '${t.name}' has id ${t.id}; ids must equal positions`, where);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 1)) throw new TinyforgeError(`tensor ${i} '${t.name}' has invalid shape [${t.shape}] (dynamic or zero dimensions are not supported)`, where);
    if (numElements(t.shape) > 0x7fffffff) throw new TinyforgeError(`tensor ${i} '${t.name}' has shape [${t.shape}], more than 2^31 - 1 elements`, where);
    if (t.data && t.data.length !== numElements(t.shape)) throw new TinyforgeError(`tensor ${i} '${t.name}' has ${t.data.length} values for shape [${t.shape}]`, where);
    if (t.quant) {
      const q = t.quant;
      if (q.scale.length !== q.zeroPoint.length) throw new TinyforgeError(`tensor ${i} '${t.name}' has ${q.scale.length} scales but ${q.zeroPoint.length} zero points`, where);
      if (!q.scale.every((s) => s > 0 && Number.isFinite(s) && Math.fround(s) === s)) throw new TinyforgeError(`tensor ${i} '${t.name}' has a scale that is not a positive float32`, where);
      if (q.axis !== undefined && q.scale.length !== t.shape[q.axis]) throw new TinyforgeError(`tensor ${i} '${t.name}' has ${q.scale.length} scales along axis ${q.axis} of shape [${t.shape}]`, where);
      const [lo, hi] = ZERO_POINT_RANGE[t.dtype] ?? [-Infinity, Infinity];
      const zp = q.zeroPoint.find((z) => !Number.isInteger(z) || z < lo || z > hi);
      if (zp !== undefined) throw new TinyforgeError(`tensor ${i} '${t.name}' has zero point ${zp}, outside the ${t.dtype} range [${lo}, ${hi}]`, where);
    }
  });
  const defined = new Set<number>();
  for (const id of g.inputs) {
    if (!g.tensors[id]) throw new TinyforgeError(`graph input ${id} does not exist`, where);
    if (g.tensors[id]!.data) throw new TinyforgeError(`graph input ${id} '${g.tensors[id]!.name}' is a constant tensor; a graph input must be fed at run time`, where);
    defined.add(id);
  }
  g.tensors.forEach((t) => {
    if (t.variable && t.data) throw new TinyforgeError(`variable tensor ${t.id} '${t.name}' has constant data; state tensors start at their reset value`, where);
    if (t.variable && (g.inputs.includes(t.id) || g.outputs.includes(t.id))) throw new TinyforgeError(`variable tensor ${t.id} '${t.name}' is a graph input or output; state is internal to the model`, where);
    if (t.data || t.variable) defined.add(t.id);
  });
  g.ops.forEach((op, index) => validateOp(g, op, index, defined, file));
  for (const id of g.outputs) {
    if (!defined.has(id)) throw new TinyforgeError(`graph output ${id} is never computed`, where);
    const t = g.tensors[id]!;
    if (t.data) throw new TinyforgeError(`graph output ${id} '${t.name}' is a constant tensor; a graph output must be computed by an operator`, where);
  }
}

/**
 * The validator's rules for one op (operands defined before it, output written once, shape inference, dtypes);
 * `defined` holds the tensors defined so far and receives the op's outputs.
 */
export function validateOp(g: Graph, op: Op, index: number, defined: Set<number>, file?: string): void {
  const c = new Check(g, op, index, file);
  if (op.outputs.length === 0) c.fail('has no outputs (every operator writes at least one tensor)');
  for (const id of op.inputs) {
    if (id === -1) continue;
    if (!g.tensors[id]) c.fail(`input tensor ${id} does not exist`);
    if (!defined.has(id)) c.fail(`reads tensor ${id} '${g.tensors[id]!.name}' before any op writes it (ops must be in topological order)`);
  }
  for (const id of op.outputs) {
    const t = g.tensors[id];
    if (!t) c.fail(`output tensor ${id} does not exist`);
    if (defined.has(id)) c.fail(`writes tensor ${id} '${t.name}', which is already defined`);
    defined.add(id);
  }
  const inferred = inferShapes(g, op, file);
  op.outputs.forEach((id, k) => {
    const declared = g.tensors[id]!.shape;
    if (declared.join(',') !== inferred[k]!.join(',')) c.fail(`output '${g.tensors[id]!.name}' is declared [${declared}] but the op computes [${inferred[k]}]`);
  });
  checkTypes(c);
}

/** Activations are int8 with per-tensor quantisation (reshape passes its input type through). */
function checkTypes(c: Check): void {
  const op = c.op;
  const out = c.g.tensors[op.outputs[0]!]!;
  const def = opDef(op.kind);
  if (def.types) { def.types(c, op as never); return; }
  const acts = def.arity.activations(op as never);
  for (const slot of acts) {
    const x = c.tensor(slot, 'input');
    if (op.kind === 'reshape') {
      if (x.dtype !== out.dtype) c.fail(`output dtype ${out.dtype} must equal input dtype ${x.dtype}`);
      return;
    }
    if (x.dtype !== 'int8') c.fail(`input '${x.name}' is ${x.dtype}; only int8 activations are supported`);
    if (!x.quant || x.quant.scale.length !== 1) c.fail(`input '${x.name}' needs per-tensor quantisation (one scale and zero point)`);
  }
  for (const id of op.outputs) {
    const y = c.g.tensors[id]!;
    if (y.dtype !== 'int8') c.fail(`output '${y.name}' is ${y.dtype}; only int8 activations are supported`);
    if (!y.quant || y.quant.scale.length !== 1) c.fail(`output '${y.name}' needs per-tensor quantisation (one scale and zero point)`);
  }
  if (!out.quant) return;
  if (op.kind === 'max_pool2d' || op.kind === 'average_pool2d') {
    const x = c.tensor(0, 'input');
    if (x.quant!.scale[0] !== out.quant.scale[0] || x.quant!.zeroPoint[0] !== out.quant.zeroPoint[0]) {
      c.fail('pooling needs the output quantisation to equal the input quantisation');
    }
  }
}
