// Kernel-IR verifier: the invariants every backend may rely on, checked on a finished module. Returns
// the list of violations (empty when the module is well formed); the pipeline's last pass throws on any.
// Checked: ids and positions; buffer sizes, lifetimes and views; constant shapes and dtypes; per op,
// that operand shapes agree with the geometry (explicit padding included), that weights and the
// always-present int32 bias have the expected layouts, that requantisation has one (multiplier, shift)
// per output channel in range for the module's arithmetic, and that clamps lie in the int8 range.

import { assertNever } from '../diagnostics.ts';
import { bytesPerElement, numElements } from '../ir/graph.ts';
import type { KBinary, KBuffer, KConst, KCopy, KernelModule, KernelOp, QM, Requantise, Window } from './types.ts';

const eq = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export function verifyKernelModule(m: KernelModule): string[] {
  const errors: string[] = [];
  const bad = (where: string, msg: string) => errors.push(`${where}: ${msg}`);

  m.buffers.forEach((b, i) => {
    const w = `buffer %${i} '${b.name}'`;
    if (b.id !== i) bad(w, `id ${b.id} differs from its position`);
    if (b.bytes !== numElements(b.shape) * bytesPerElement(b.dtype)) bad(w, `${b.bytes} bytes for ${b.dtype} [${b.shape}]`);
    if (b.kind === 'input' && b.def !== -1) bad(w, `graph input defined by op ${b.def}`);
    if (b.kind === 'state') {
      if (b.def !== -1 || b.lastUse !== m.ops.length) bad(w, `state lives [${b.def}, ${b.lastUse}], not [-1, ${m.ops.length}]`);
      if (b.stateInit === undefined) bad(w, 'state without a reset value');
      if (b.aliasOf !== undefined) bad(w, 'state is a view');
      if (m.ops.some((o) => o.output === b.id)) bad(w, 'state is the output of an op (its owner reads it and updates it in place)');
      if (m.inputs.includes(b.id) || m.outputs.includes(b.id)) bad(w, 'state is a graph input or output');
    }
    if (b.kind !== 'input' && b.kind !== 'state' && (b.def < 0 || b.def >= m.ops.length)) bad(w, `def ${b.def} is not an op`);
    if (b.lastUse < b.def || b.lastUse > m.ops.length) bad(w, `lastUse ${b.lastUse} outside [def ${b.def}, ${m.ops.length}]`);
    if (b.kind === 'output' && b.lastUse !== m.ops.length) bad(w, `graph output's lastUse ${b.lastUse} is not ${m.ops.length}`);
    if (b.aliasOf !== undefined) {
      const r = m.buffers[b.aliasOf];
      if (!r || r.aliasOf !== undefined) bad(w, `aliasOf %${b.aliasOf} is not a buffer with storage`);
      else if (r.bytes !== b.bytes) bad(w, `view of ${b.bytes} bytes over %${r.id} of ${r.bytes}`);
      else if (r.lastUse < b.lastUse) bad(w, `outlives its storage %${r.id}`);
    }
  });
  m.consts.forEach((c, i) => {
    const w = `const @${i} '${c.name}'`;
    if (c.id !== i) bad(w, `id ${c.id} differs from its position`);
    if (c.data.length !== numElements(c.shape)) bad(w, `${c.data.length} values for [${c.shape}]`);
    const arrayType = c.data instanceof Int8Array ? 'int8' : c.data instanceof Int16Array ? 'int16' : 'int32';
    if (arrayType !== c.dtype) bad(w, `dtype ${c.dtype} holds ${arrayType} data`);
  });
  for (const id of [...m.inputs, ...m.outputs]) if (!m.buffers[id]) bad('module', `input/output %${id} does not exist`);
  // float32 exists only at the edges: graph inputs read by QUANTIZE, graph outputs written by DEQUANTIZE.
  for (const b of m.buffers) {
    if (b.dtype !== 'float32') continue;
    const readers = m.ops.filter((o) => o.inputs.includes(b.id));
    const writer = m.ops.find((o) => o.output === b.id);
    if (b.kind === 'input' ? readers.some((o) => o.kind !== 'quantize') : !(b.kind === 'output' && writer?.kind === 'dequantize')) {
      bad(`buffer %${b.id} '${b.name}'`, 'float32 outside the edges (only graph inputs read by quantize and graph outputs written by dequantize)');
    }
  }

  m.ops.forEach((op, i) => {
    const w = `op #${i} ${op.kind} '${op.name}'`;
    const fail = (msg: string) => bad(w, msg);
    if (op.index !== i) fail(`index ${op.index} differs from its position`);
    const ins = op.inputs.map((id) => m.buffers[id]);
    const out = m.buffers[op.output];
    if (ins.some((b) => !b) || !out) { fail('refers to a buffer that does not exist'); return; }
    for (const b of ins) if (b.def >= i || b.lastUse < i) fail(`reads %${b.id} outside its lifetime [${b.def}, ${b.lastUse}]`);
    if (out.def !== i) fail(`writes %${out.id}, whose def is ${out.def}`);
    if (!Number.isSafeInteger(op.macs) || op.macs < 0) fail(`macs ${op.macs}`);
    checkOp(m, op, ins, out, fail);
  });
  return errors;
}

function checkWindow(op: Window, x: KBuffer, y: KBuffer, fail: (msg: string) => void): void {
  if (!eq(x.shape, [op.batches, op.inH, op.inW, op.inC])) fail(`input shape [${x.shape}] differs from the window's input`);
  if (!eq(y.shape, [op.batches, op.outH, op.outW, op.outC])) fail(`output shape [${y.shape}] differs from the window's output`);
  const out = (n: number, k: number, s: number, d: number, p0: number, p1: number) => Math.floor((n + p0 + p1 - ((k - 1) * d + 1)) / s) + 1;
  if (out(op.inH, op.kH, op.strideH, op.dilationH, op.padTop, op.padBottom) !== op.outH) fail('outH does not follow from inH, kH, stride, dilation and padding');
  if (out(op.inW, op.kW, op.strideW, op.dilationW, op.padLeft, op.padRight) !== op.outW) fail('outW does not follow from inW, kW, stride, dilation and padding');
  if ([op.padTop, op.padLeft, op.padBottom, op.padRight].some((p) => p < 0)) fail('negative padding');
}

/** Every region reads inside its input and writes inside the output; without `fill` the regions tile the output exactly. */
function checkCopy(op: KCopy, ins: KBuffer[], out: KBuffer, fail: (msg: string) => void): void {
  const covered = new Uint8Array(out.bytes);
  let overlap = false;
  op.regions.forEach((r, k) => {
    const x = ins[k]!;
    const n = r.shape.length;
    if (n < 1 || n > 6 || r.inStrides.length !== n || r.outStrides.length !== n || r.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      fail(`region ${k} has an invalid shape [${r.shape}] or stride lists`);
      return;
    }
    // extent of an affine index set: offset + sum over dims of min/max (stride * (size - 1))
    const span = (off: number, st: number[]) => st.reduce(([lo, hi], s, d) => {
      const e = s * (r.shape[d]! - 1);
      return [lo + Math.min(0, e), hi + Math.max(0, e)];
    }, [off, off]);
    const [ilo, ihi] = span(r.inOffset, r.inStrides);
    const [olo, ohi] = span(r.outOffset, r.outStrides);
    if (ilo < 0 || ihi >= x.bytes) fail(`region ${k} reads [${ilo}, ${ihi}] outside input %${x.id} of ${x.bytes} bytes`);
    if (olo < 0 || ohi >= out.bytes) { fail(`region ${k} writes [${olo}, ${ohi}] outside output %${out.id} of ${out.bytes} bytes`); return; }
    const idx = new Array<number>(n).fill(0);
    const total = r.shape.reduce((a, b) => a * b, 1);
    for (let e = 0; e < total; e++) {
      let o = r.outOffset;
      for (let d = 0; d < n; d++) o += idx[d]! * r.outStrides[d]!;
      if (covered[o]) overlap = true;
      covered[o] = 1;
      for (let d = n - 1; d >= 0; d--) { if (++idx[d]! < r.shape[d]!) break; idx[d] = 0; }
    }
  });
  if (overlap) fail('regions write some output element twice');
  if (op.fill === undefined && covered.some((v) => v === 0)) fail('regions leave output elements unwritten and there is no fill value');
  if (op.fill !== undefined && !(Number.isInteger(op.fill) && op.fill >= -128 && op.fill <= 127)) fail(`fill ${op.fill} is not an int8 value`);
  if (ins.some((b) => b.zeroPoint !== out.zeroPoint || b.scale !== out.scale)) fail('input and output quantisation differ (a copy cannot requantise)');
}

function checkRequant(m: KernelModule, op: Requantise, channels: number, x: KBuffer, y: KBuffer, fail: (msg: string) => void): void {
  const { multiplier, shift } = op.requant;
  if (multiplier.length !== channels || shift.length !== channels) fail(`requant has ${multiplier.length}/${shift.length} entries for ${channels} channels`);
  if (op.rounding === 'single' && m.arith !== 'tflite') fail('single rounding in a tflm module');
  const maxShift = op.rounding === 'single' ? 30 : 31;
  for (let c = 0; c < multiplier.length; c++) {
    if (multiplier[c] !== 0 && (multiplier[c] < 2 ** 30 || multiplier[c] >= 2 ** 31)) { fail(`multiplier[${c}] = ${multiplier[c]} is not a Q31 mantissa`); break; }
    if (shift[c] < -31 || shift[c] > maxShift) { fail(`shift[${c}] = ${shift[c]} outside [-31, ${maxShift}]`); break; }
  }
  if (op.inputOffset !== -x.zeroPoint) fail(`inputOffset ${op.inputOffset} is not -(input zero point ${x.zeroPoint})`);
  if (op.outputOffset !== y.zeroPoint) fail(`outputOffset ${op.outputOffset} is not the output zero point ${y.zeroPoint}`);
  checkClamp(op, fail);
}

function checkClamp(op: { actMin: number; actMax: number }, fail: (msg: string) => void, dtype: 'int8' | 'int16' = 'int8'): void {
  const [lo, hi] = dtype === 'int16' ? [-32768, 32767] : [-128, 127];
  if (!(op.actMin >= lo && op.actMin <= op.actMax && op.actMax <= hi)) fail(`clamp [${op.actMin}, ${op.actMax}] is not an ${dtype} range`);
}

function checkConsts(m: KernelModule, weights: number, bias: number, wShape: number[], channels: number, fail: (msg: string) => void): void {
  const w: KConst | undefined = m.consts[weights];
  const b: KConst | undefined = m.consts[bias];
  if (!w || w.dtype !== 'int8' || !eq(w.shape, wShape)) fail(`weights @${weights} are not int8 [${wShape}]`);
  if (!b || b.dtype !== 'int32' || numElements(b.shape) !== channels) fail(`bias @${bias} is not int32 [${channels}]`);
}

/** The operands of a binary op in slot order: a buffer, or a constant (no quantisation known here). */
function checkBinary(m: KernelModule, op: KBinary, ins: KBuffer[], out: KBuffer, fail: (msg: string) => void): void {
  const r = op.outShape.length;
  if (r < 4 || r > 6 || op.aShape.length !== r || op.bShape.length !== r) fail(`shapes of rank ${op.aShape.length}/${op.bShape.length}/${r}, expected one rank in 4..6`);
  const c = op.constOperand;
  const k = c ? m.consts[c.const] : undefined;
  if (c && (!k || k.dtype !== 'int8')) fail(`constant operand @${c.const} is not int8`);
  const operands: Array<KBuffer | undefined> = c ? (c.slot === 0 ? [undefined, ins[0]] : [ins[0], undefined]) : [ins[0], ins[1]];
  const shapes = [op.aShape, op.bShape];
  for (let i = 0; i < 2; i++) {
    const n = operands[i] ? numElements(operands[i]!.shape) : numElements(k!.shape);
    if (numElements(shapes[i]) !== n) fail(`operand ${i} shape [${shapes[i]}] disagrees with its ${operands[i] ? 'buffer' : 'constant'}`);
  }
  if (numElements(op.outShape) !== numElements(out.shape)) fail('output shape disagrees with its buffer');
  if (op.outShape.some((d, i) => (op.aShape[i] !== d && op.aShape[i] !== 1) || (op.bShape[i] !== d && op.bShape[i] !== 1))) fail('operands do not broadcast to the output');
  const [x1, x2] = operands;
  if (op.pot) {
    const [r1, r2] = op.pot;
    if (out.dtype !== 'int16' || (op.op !== 'add' && op.op !== 'sub')) fail('a power-of-two binary op must be an int16 ADD or SUB');
    if (!Number.isInteger(r1) || !Number.isInteger(r2) || r1 < 0 || r2 < 0 || r1 > 31 || r2 > 31 || (r1 !== 0 && r2 !== 0)) fail(`power-of-two shifts (${r1}, ${r2}): one must be 0, the other in 0..31`);
    if (op.aShape.some((d, i) => d !== op.bShape[i])) fail('the power-of-two path does not broadcast');
  } else if (op.op === 'maximum' || op.op === 'minimum') {
    for (const x of [x1, x2]) if (x && (x.scale !== out.scale || x.zeroPoint !== out.zeroPoint)) fail(`${op.op} operand %${x.id} is quantised unlike the output`);
  } else {
    if ((x1 && op.input1Offset !== -x1.zeroPoint) || (x2 && op.input2Offset !== -x2.zeroPoint) || op.outputOffset !== out.zeroPoint) fail('offsets disagree with the zero points');
    const q31 = (q: QM) => Math.abs(q.multiplier) >= 2 ** 30 && Math.abs(q.multiplier) < 2 ** 31;
    if (!q31(op.outputQ) || op.outputQ.shift > 30 || op.outputQ.shift < -31) fail(`output multiplier (${op.outputQ.multiplier}, ${op.outputQ.shift}) out of range`);
    if (op.op !== 'mul') {
      for (const q of [op.input1Q, op.input2Q]) if (!q31(q) || q.shift > 0) fail(`input multiplier (${q.multiplier}, ${q.shift}) is not below one`);
      if (op.input1Q.multiplier < 0 || (op.op !== 'sub' && op.input2Q.multiplier < 0)) fail('negative input multiplier');
    }
  }
  // int16 (16x8 ADD / SUB / MUL): both operands int16 too.
  if (out.dtype === 'int16' && (c || ins.some((b) => b.dtype !== 'int16') || (op.op !== 'add' && op.op !== 'sub' && op.op !== 'mul'))) fail('an int16 binary op must be ADD, SUB or MUL of two int16 buffers');
  checkClamp(op, fail, out.dtype === 'int16' ? 'int16' : 'int8');
}

function checkOp(m: KernelModule, op: KernelOp, ins: KBuffer[], out: KBuffer, fail: (msg: string) => void): void {
  const arity = op.kind === 'add' || op.kind === 'svdf' || (op.kind === 'binary' && !op.constOperand) ? 2 : op.kind === 'copy' ? op.regions.length : op.kind === 'lstm' ? 3 : 1;
  if (ins.length !== arity || arity < 1) { fail(`${ins.length} inputs, expected ${arity}`); return; }
  const x = ins[0];
  switch (op.kind) {
    case 'conv16x8': {
      if (x.dtype !== 'int16' || out.dtype !== 'int16' || x.zeroPoint !== 0 || out.zeroPoint !== 0) fail('input and output must be int16 with zero point 0');
      // By element count: FULLY_CONNECTED lowers to a 1x1 convolution over its rows ([rows, depth] buffers).
      if (numElements(x.shape) !== op.batches * op.inH * op.inW * op.inC) fail(`input shape [${x.shape}] differs from the op's input`);
      if (numElements(out.shape) !== op.batches * op.outH * op.outW * op.outC) fail(`output shape [${out.shape}] differs from the op's output`);
      if (op.inC % op.groups !== 0 || op.outC % op.groups !== 0 || (op.transpose && op.groups !== 1)) fail(`${op.groups} groups for ${op.inC} -> ${op.outC} channels`);
      checkConsts(m, op.weights, op.bias, [op.outC, op.kH, op.kW, op.inC / op.groups], op.outC, fail);
      const { multiplier, shift } = op.requant;
      if (multiplier.length !== op.outC || shift.length !== op.outC) fail(`requant has ${multiplier.length}/${shift.length} entries for ${op.outC} channels`);
      // kernels/internal/common.cc's int64 MultiplyByQuantizedMultiplier: multiplier >= 0, shift in [-31, 7].
      for (let c = 0; c < multiplier.length; c++) if (multiplier[c]! < 0 || shift[c]! < -31 || shift[c]! > 7) { fail(`requant[${c}] = (${multiplier[c]}, ${shift[c]}) outside multiplier >= 0, shift in [-31, 7]`); break; }
      checkClamp(op, fail, 'int16');
      return;
    }
    case 'lstm': {
      const [h, c] = [ins[1]!, ins[2]!];
      if (x.dtype !== 'int8' || out.dtype !== 'int8' || h.dtype !== 'int8' || c.dtype !== 'int16') fail('x, output and output state must be int8, the cell state int16');
      if (h.kind !== 'state' || c.kind !== 'state') fail('the output and cell state must be state buffers');
      if (numElements(x.shape) !== op.batches * op.steps * op.nInput || numElements(out.shape) !== op.batches * op.steps * op.nOutput) fail(`shapes [${x.shape}] -> [${out.shape}] disagree with ${op.batches} x ${op.steps} steps of ${op.nInput} -> ${op.nOutput}`);
      if (numElements(h.shape) !== op.batches * op.nOutput || numElements(c.shape) !== op.batches * op.nCell) fail('state sizes disagree with the op');
      if (op.projection) checkConsts(m, op.projection.weights, op.projection.bias, [op.nOutput, op.nCell], op.nOutput, fail);
      else if (op.nOutput !== op.nCell) fail('nOutput differs from nCell (no projection)');
      if (op.gates.length !== 4 || op.gates.slice(1).some((g) => !g)) fail('needs the forget, cell and output gates');
      op.gates.forEach((g) => {
        if (!g) return;
        checkConsts(m, g.inputWeights, g.inputBias, [op.nCell, op.nInput], op.nCell, fail);
        checkConsts(m, g.recurrentWeights, g.recurrentBias, [op.nCell, op.nOutput], op.nCell, fail);
      });
      if (op.cellScale < -15 || op.cellScale > -9) fail(`cell scale 2^${op.cellScale} outside 2^-15 .. 2^-9`);
      return;
    }
    case 'svdf': {
      const st = ins[1]!;
      if (x.dtype !== 'int8' || out.dtype !== 'int8') fail('input and output must be int8');
      if (st.kind !== 'state' || (st.dtype !== 'int8' && st.dtype !== 'int16')) fail(`state %${st.id} must be an int8 or int16 state buffer`);
      if (op.filters % op.rank !== 0) fail(`${op.filters} filters are not a multiple of rank ${op.rank}`);
      if (numElements(x.shape) !== op.batches * op.inputSize) fail(`input [${x.shape}] is not ${op.batches} x ${op.inputSize}`);
      if (numElements(st.shape) !== op.batches * op.filters * op.memory) fail(`state [${st.shape}] is not ${op.batches} x ${op.filters} x ${op.memory}`);
      if (numElements(out.shape) !== op.batches * op.filters / op.rank) fail(`output [${out.shape}] is not ${op.batches} x ${op.filters / op.rank}`);
      const wf = m.consts[op.weightsFeature], wt = m.consts[op.weightsTime], b = m.consts[op.bias];
      if (!wf || wf.dtype !== 'int8' || !eq(wf.shape, [op.filters, op.inputSize])) fail(`weightsFeature @${op.weightsFeature} must be int8 [${op.filters}, ${op.inputSize}]`);
      if (!wt || wt.dtype !== st.dtype || !eq(wt.shape, [op.filters, op.memory])) fail(`weightsTime @${op.weightsTime} must be ${st.dtype} [${op.filters}, ${op.memory}]`);
      if (!b || b.dtype !== 'int32' || b.data.length !== op.filters / op.rank) fail(`bias @${op.bias} must be int32 [${op.filters / op.rank}]`);
      if (op.inputOffset !== -x.zeroPoint || op.stateZp !== st.zeroPoint || op.outputOffset !== out.zeroPoint) fail('offsets disagree with the buffers');
      return;
    }
    case 'softmax16':
      if (x.dtype !== 'int16' || out.dtype !== 'int16') fail('input and output must be int16');
      if (op.rows * op.depth !== numElements(x.shape) || op.depth !== x.shape[x.shape.length - 1]) fail(`${op.rows} x ${op.depth} for [${x.shape}]`);
      for (const t of [op.expLut, op.recipLut]) if (m.consts[t]?.dtype !== 'int16' || m.consts[t]?.data.length !== 513) fail(`table @${t} is not int16 [513]`);
      return;
    case 'sigmoid16':
      if (x.dtype !== 'int16' || out.dtype !== 'int16') fail('input and output must be int16');
      if (op.elements !== numElements(x.shape) || op.elements !== numElements(out.shape)) fail(`${op.elements} elements for [${x.shape}] -> [${out.shape}]`);
      if (op.mode === 'lut' && (op.multiplier <= 0 || op.multiplier > 32767 || op.shift < 0 || op.shift > 31)) fail(`input multiplier ${op.multiplier} >> ${op.shift} outside TFLite's range`);
      return;
    case 'leaky_relu16':
      if (x.dtype !== 'int16' || out.dtype !== 'int16') fail('input and output must be int16');
      if (op.elements !== numElements(x.shape) || op.elements !== numElements(out.shape)) fail(`${op.elements} elements for [${x.shape}] -> [${out.shape}]`);
      if (op.inZp !== x.zeroPoint || op.outZp !== out.zeroPoint) fail('zero points disagree with the buffers');
      return;
    case 'conv2d':
      checkWindow(op, x, out, fail);
      if (op.inC % op.groups !== 0 || op.outC % op.groups !== 0) fail(`${op.groups} groups do not divide ${op.inC} -> ${op.outC} channels`);
      checkConsts(m, op.weights, op.bias, [op.outC, op.kH, op.kW, op.inC / op.groups], op.outC, fail);
      checkRequant(m, op, op.outC, x, out, fail);
      return;
    case 'depthwise_conv2d':
      checkWindow(op, x, out, fail);
      if (op.inC * op.depthMultiplier !== op.outC) fail(`${op.inC} x ${op.depthMultiplier} != ${op.outC} channels`);
      checkConsts(m, op.weights, op.bias, [1, op.kH, op.kW, op.outC], op.outC, fail);
      checkRequant(m, op, op.outC, x, out, fail);
      return;
    case 'add_conv2d':
      checkWindow(op, x, out, fail);
      checkConsts(m, op.weights, op.bias, [op.outC, op.kH, op.kW, op.inC], op.outC, fail);
      checkRequant(m, op, op.outC, x, out, fail);
      return;
    case 'shift_conv2d':
      checkWindow(op, x, out, fail);
      if (op.kH !== 1 || op.kW !== 1) fail('shift convolution with a window larger than 1x1');
      if (op.shifts.length !== op.inC) fail(`${op.shifts.length} shifts for ${op.inC} channels`);
      checkConsts(m, op.weights, op.bias, [op.outC, 1, 1, op.inC], op.outC, fail);
      checkRequant(m, op, op.outC, x, out, fail);
      return;
    case 'fully_connected':
      if (numElements(x.shape) !== op.batches * op.inDepth) fail(`input [${x.shape}] is not ${op.batches} x ${op.inDepth}`);
      if (numElements(out.shape) !== op.batches * op.outDepth) fail(`output [${out.shape}] is not ${op.batches} x ${op.outDepth}`);
      checkConsts(m, op.weights, op.bias, [op.outDepth, op.inDepth], op.outDepth, fail);
      checkRequant(m, op, op.outDepth, x, out, fail);
      return;
    case 'add': {
      const b = ins[1];
      if (numElements(op.aShape) !== numElements(x.shape) || numElements(op.bShape) !== numElements(b.shape) || numElements(op.outShape) !== numElements(out.shape)) fail('4D shapes disagree with the buffers');
      if (op.outShape.some((d, i) => (op.aShape[i] !== d && op.aShape[i] !== 1) || (op.bShape[i] !== d && op.bShape[i] !== 1))) fail('operands do not broadcast to the output');
      if (op.input1Offset !== -x.zeroPoint || op.input2Offset !== -b.zeroPoint || op.outputOffset !== out.zeroPoint) fail('offsets disagree with the zero points');
      for (const q of [op.input1Q, op.input2Q, op.outputQ]) if (q.shift > 0 || q.multiplier < 2 ** 30 || q.multiplier >= 2 ** 31) fail(`multiplier (${q.multiplier}, ${q.shift}) is not below one`);
      checkClamp(op, fail);
      return;
    }
    case 'binary':
      checkBinary(m, op, ins, out, fail);
      return;
    case 'average_pool2d':
    case 'max_pool2d':
      checkWindow(op, x, out, fail);
      if (op.inC !== op.outC) fail('pooling changes the channel count');
      if (x.dtype !== out.dtype || (x.dtype !== 'int8' && x.dtype !== 'int16')) fail(`pooling ${x.dtype} -> ${out.dtype}: int8 or int16, one type`);
      checkClamp(op, fail, x.dtype === 'int16' ? 'int16' : 'int8');
      return;
    case 'reshape':
      if (out.bytes !== x.bytes) fail('reshape changes the size');
      if (out.aliasOf !== (x.aliasOf ?? x.id)) fail(`output %${out.id} is not a view of %${x.aliasOf ?? x.id}`);
      return;
    case 'copy':
      checkCopy(op, ins, out, fail);
      return;
    case 'resize_nearest': {
      if (!eq(x.shape.length === 4 ? x.shape : [], [op.batches, op.inH, op.inW, op.channels])) fail(`input shape [${x.shape}] is not [${op.batches},${op.inH},${op.inW},${op.channels}]`);
      if (!eq(out.shape.length === 4 ? out.shape : [], [op.batches, op.outH, op.outW, op.channels])) fail(`output shape [${out.shape}] is not [${op.batches},${op.outH},${op.outW},${op.channels}]`);
      if (op.rowIndex.length !== op.outH || op.rowIndex.some((v) => !(v >= 0 && v < op.inH))) fail('row indices are not outH indices into the input rows');
      if (op.colIndex.length !== op.outW || op.colIndex.some((v) => !(v >= 0 && v < op.inW))) fail('column indices are not outW indices into the input columns');
      if (x.zeroPoint !== out.zeroPoint || x.scale !== out.scale) fail('input and output quantisation differ');
      return;
    }
    case 'reduce': {
      if (!eq(x.shape, op.inShape)) fail(`input [${x.shape}] is not inShape [${op.inShape}]`);
      const count = op.axes.reduce((n, a) => n * (op.inShape[a] ?? 0), 1);
      if (op.axes.some((a, i) => a < 0 || a >= op.inShape.length || (i > 0 && a <= op.axes[i - 1]!))) fail(`axes [${op.axes}] are not sorted unique dimensions of [${op.inShape}]`);
      if (count !== op.count || numElements(out.shape) * count !== numElements(x.shape)) fail(`count ${op.count} does not follow from axes [${op.axes}] of [${op.inShape}] and output [${out.shape}]`);
      if (op.inputOffset !== -x.zeroPoint || op.outputOffset !== out.zeroPoint) fail('offsets disagree with the zero points');
      if (op.method !== 'integer' && m.arith !== 'tflite') fail(`method ${op.method} (desktop TFLite's) in a ${m.arith} module`);
      if (op.method !== 'float' && op.multiplier !== 0 && (op.multiplier < 0 || op.multiplier >= 2 ** 31)) fail(`multiplier ${op.multiplier} is not an int32 mantissa`);
      if (op.method === 'float' && (!Number.isFinite(op.fscale) || Math.fround(op.fscale) !== op.fscale || Math.fround(op.fbias) !== op.fbias)) fail('float scale/bias are not float32 values');
      return;
    }
    case 'resize_bilinear':
      if (!eq(x.shape, [op.batches, op.inH, op.inW, op.channels])) fail(`input [${x.shape}] is not [${op.batches},${op.inH},${op.inW},${op.channels}]`);
      if (!eq(out.shape, [op.batches, op.outH, op.outW, op.channels])) fail(`output [${out.shape}] is not [${op.batches},${op.outH},${op.outW},${op.channels}]`);
      if (op.alignCorners && op.halfPixelCenters) fail('align_corners and half_pixel_centers both set');
      if (x.scale !== out.scale || x.zeroPoint !== out.zeroPoint) fail('resize changes the quantisation');
      return;
    case 'transpose_conv':
      if (!eq(x.shape, [op.batches, op.inH, op.inW, op.inC])) fail(`input shape [${x.shape}] differs from the op's input`);
      if (!eq(out.shape, [op.batches, op.outH, op.outW, op.outC])) fail(`output shape [${out.shape}] differs from the op's output`);
      if (op.dilationH !== 1 || op.dilationW !== 1) fail('dilated transpose convolution');
      if ([op.padTop, op.padLeft, op.padBottom, op.padRight].some((p) => p < 0)) fail('negative padding');
      checkConsts(m, op.weights, op.bias, [op.outC, op.kH, op.kW, op.inC], op.outC, fail);
      checkRequant(m, op, op.outC, x, out, fail);
      return;
    case 'softmax':
      if (op.rows * op.depth !== numElements(x.shape) || x.shape[x.shape.length - 1] !== op.depth) fail(`rows x depth ${op.rows} x ${op.depth} does not match [${x.shape}]`);
      if (op.inputMultiplier < 2 ** 30 || op.inputLeftShift < 0 || op.diffMin > 0) fail('input multiplier/shift/diffMin not folded');
      if (op.outputOffset !== out.zeroPoint) fail('outputOffset is not the output zero point');
      if (x.dtype !== 'int8' || (out.dtype !== 'int8' && !(out.dtype === 'int16' && out.zeroPoint === -32768))) fail('softmax is int8 -> int8 or int8 -> int16 (zero point -32768)');
      return;
    case 'lut': {
      const t: KConst | undefined = m.consts[op.table];
      if (!t || t.dtype !== 'int8' || t.data.length !== 256) fail(`table @${op.table} is not int8 [256]`);
      if (op.size !== numElements(x.shape) || op.size !== numElements(out.shape)) fail(`size ${op.size} does not match [${x.shape}] -> [${out.shape}]`);
      return;
    }
    case 'prelu': {
      const a: KConst | undefined = m.consts[op.alpha];
      if (!a || a.dtype !== 'int8' || a.data.length !== numElements(op.alphaShape)) fail(`alpha @${op.alpha} is not int8 [${op.alphaShape}]`);
      if (numElements(op.outShape) !== numElements(x.shape) || numElements(op.outShape) !== numElements(out.shape)) fail('4D shape disagrees with the buffers');
      if (op.outShape.some((d, i) => op.alphaShape[i] !== d && op.alphaShape[i] !== 1)) fail('alpha does not broadcast to the output');
      if (op.inputOffset !== -x.zeroPoint || op.outputOffset !== out.zeroPoint) fail('offsets disagree with the zero points');
      for (const [mm, sh] of [[op.mult1, op.shift1], [op.mult2, op.shift2]]) if (mm !== 0 && (mm < 2 ** 30 || mm >= 2 ** 31 || sh > 31 || sh < -31)) fail(`multiplier (${mm}, ${sh}) is not a Q31 multiplier`);
      return;
    }
    case 'quantize': {
      const range = out.dtype === 'int8' ? [-128, 127] : out.dtype === 'int16' ? [-32768, 32767] : out.dtype === 'int32' ? [-2147483648, 2147483647] : undefined;
      if (!range) { fail(`output %${out.id} is ${out.dtype}, not int8, int16 or int32`); return; }
      if (x.dtype !== op.from) fail(`input %${x.id} is ${x.dtype}, the op says ${op.from}`);
      if (op.elements !== numElements(x.shape) || op.elements !== numElements(out.shape)) fail(`${op.elements} elements for [${x.shape}] -> [${out.shape}]`);
      if (op.actMin !== range[0] || op.actMax !== range[1]) fail(`clamp [${op.actMin}, ${op.actMax}] is not the ${out.dtype} range`);
      if (op.outputOffset !== out.zeroPoint) fail('outputOffset is not the output zero point');
      if (op.from === 'float32') {
        if (x.kind !== 'input') fail(`float32 input %${x.id} is not a graph input`);
        if (!(op.scale > 0) || Math.fround(op.scale) !== op.scale) fail(`scale ${op.scale} is not a positive float32`);
      } else {
        if (op.inputOffset !== -x.zeroPoint) fail('inputOffset is not -(input zero point)');
        if (op.multiplier !== 0 && (op.multiplier < 2 ** 30 || op.multiplier >= 2 ** 31)) fail(`multiplier ${op.multiplier} is not a Q31 mantissa`);
        if (op.shift < -31 || op.shift > 31) fail(`shift ${op.shift} outside [-31, 31]`);
      }
      return;
    }
    case 'dequantize':
      if (out.dtype !== 'float32' || out.kind !== 'output') fail(`output %${out.id} is not a float32 graph output`);
      if (x.dtype !== 'int8' && x.dtype !== 'int16') fail(`input %${x.id} is ${x.dtype}, not int8 or int16`);
      if (op.elements !== numElements(x.shape) || op.elements !== numElements(out.shape)) fail(`${op.elements} elements for [${x.shape}] -> [${out.shape}]`);
      if (op.inputOffset !== -x.zeroPoint) fail('inputOffset is not -(input zero point)');
      if (!(op.scale > 0) || Math.fround(op.scale) !== op.scale) fail(`scale ${op.scale} is not a positive float32`);
      return;
    default:
      assertNever(op, 'kernel op kind');
  }
}
