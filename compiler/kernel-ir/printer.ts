// The kernel IR's textual form: stable (the same module always prints the same text), diffable (one
// entity per line, fixed order, no timestamps or paths) and compact (constant data and long per-channel
// lists are summarised by count, first values, min/max and a 32-bit FNV-1a checksum over their
// little-endian bytes, so any change to a value changes the text). Golden files and `inspect
// --kernel-ir` use it; treat changes to this format as contract changes.
//
// Numbers: integers in decimal; scales as the shortest decimal that reads back to the same float32
// (all TFLite scales are float32), or the full double when a scale is not a float32 value.

import type { KBuffer, KConst, KernelModule, KernelOp, Requant, Window } from './types.ts';

/** FNV-1a, 32 bit, over the little-endian bytes of the values. */
export function fnv1a(data: Int8Array | Int16Array | Int32Array | Uint8Array): number {
  const width = data.BYTES_PER_ELEMENT;
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    for (let b = 0; b < width; b++) {
      h ^= (v >> (8 * b)) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

export function hex32(x: number): string {
  return '0x' + (x >>> 0).toString(16).padStart(8, '0');
}

/** Shortest decimal that reads back to the same float32; full precision for non-float32 values. */
export function formatScale(x: number): string {
  if (Math.fround(x) !== x || !Number.isFinite(x)) return String(x);
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  return String(x);
}

const SHORT = 8;
const HEAD = 4;

/** A list printed in full when short, else as `[n] {first values, …} fnv1a=…`; `all v` when constant. */
export function summarizeList(values: Int32Array | Int8Array | Int16Array): string {
  const n = values.length;
  if (n <= SHORT) return `[${Array.from(values).join(', ')}]`;
  if (values.every((v) => v === values[0])) return `[${n}] all ${values[0]}`;
  return `[${n}] {${Array.from(values.subarray(0, HEAD)).join(', ')}, …} fnv1a=${hex32(fnv1a(values))}`;
}

function minMax(d: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < d.length; i++) { if (d[i] < lo) lo = d[i]; if (d[i] > hi) hi = d[i]; }
  return d.length ? [lo, hi] : [0, 0];
}

function printBuffer(b: KBuffer): string {
  let s = `  %${b.id} ${b.kind} '${b.name}' ${b.dtype}[${b.shape.join(',')}] ${b.bytes}B q(${formatScale(b.scale)}, ${b.zeroPoint}) live[${b.def}..${b.lastUse}]`;
  if (b.aliasOf !== undefined) s += ` alias %${b.aliasOf}`;
  return s;
}

function printConst(c: KConst): string {
  const [lo, hi] = minMax(c.data);
  return `  @${c.id} '${c.name}' ${c.dtype}[${c.shape.join(',')}] n=${c.data.length} min=${lo} max=${hi} fnv1a=${hex32(fnv1a(c.data))}`;
}

function printWindow(w: Window): string {
  return `window n${w.batches} in ${w.inH}x${w.inW}x${w.inC} out ${w.outH}x${w.outW}x${w.outC} k ${w.kH}x${w.kW}` +
    ` stride ${w.strideH}x${w.strideW} dilation ${w.dilationH}x${w.dilationW}` +
    ` pad t${w.padTop} l${w.padLeft} b${w.padBottom} r${w.padRight}`;
}

function printRequant(r: Requant): string {
  return `requant multiplier${summarizeList(r.multiplier)} shift${summarizeList(r.shift)}`;
}

function printOp(op: KernelOp): string[] {
  const head = `  #${op.index} ${op.kind} '${op.name}' src=${op.sourceOp} (${op.inputs.map((i) => '%' + i).join(', ')}) -> %${op.output} macs=${op.macs}`;
  const lines = [head];
  const more = (s: string) => lines.push('      ' + s);
  const clamp = (o: { actMin: number; actMax: number }) => `clamp [${o.actMin}, ${o.actMax}]`;
  switch (op.kind) {
    case 'conv2d':
    case 'depthwise_conv2d':
    case 'shift_conv2d':
    case 'add_conv2d': {
      let extra = '';
      if (op.kind === 'conv2d') extra = ` groups ${op.groups}`;
      if (op.kind === 'depthwise_conv2d') extra = ` multiplier ${op.depthMultiplier}`;
      more(printWindow(op) + extra);
      if (op.kind === 'shift_conv2d') {
        const flat = Int32Array.from(op.shifts.flat());
        more(op.shifts.length <= SHORT
          ? `shifts [${op.shifts.map(([dy, dx]) => `(${dy},${dx})`).join(', ')}]`
          : `shifts [${op.shifts.length}] {${op.shifts.slice(0, HEAD).map(([dy, dx]) => `(${dy},${dx})`).join(', ')}, …} fnv1a=${hex32(fnv1a(flat))}`);
      }
      more(`weights @${op.weights} bias @${op.bias}`);
      more(`offsets in ${op.inputOffset} out ${op.outputOffset} ${clamp(op)}`);
      more(printRequant(op.requant));
      break;
    }
    case 'fully_connected':
      more(`matrix batches ${op.batches} in ${op.inDepth} out ${op.outDepth}`);
      more(`weights @${op.weights} bias @${op.bias}`);
      more(`offsets in ${op.inputOffset} out ${op.outputOffset} ${clamp(op)}`);
      more(printRequant(op.requant));
      break;
    case 'add':
      more(`shapes a [${op.aShape.join(',')}] b [${op.bShape.join(',')}] out [${op.outShape.join(',')}]`);
      more(`offsets in1 ${op.input1Offset} in2 ${op.input2Offset} out ${op.outputOffset} leftShift ${op.leftShift} ${clamp(op)}`);
      more(`requant in1 (${op.input1Q.multiplier}, ${op.input1Q.shift}) in2 (${op.input2Q.multiplier}, ${op.input2Q.shift}) out (${op.outputQ.multiplier}, ${op.outputQ.shift})`);
      break;
    case 'average_pool2d':
    case 'max_pool2d':
      more(printWindow(op));
      more(clamp(op));
      break;
    case 'softmax':
      more(`rows ${op.rows} depth ${op.depth} inputMultiplier ${op.inputMultiplier} inputLeftShift ${op.inputLeftShift} diffMin ${op.diffMin} out ${op.outputOffset}`);
      break;
    case 'reshape':
      break;
  }
  const keys = Object.keys(op.schedule).sort();
  if (keys.length > 0) more(`schedule {${keys.map((k) => `${k}=${op.schedule[k]}`).join(', ')}}`);
  return lines;
}

export function printKernelModule(m: KernelModule): string {
  const totalMacs = m.ops.reduce((s, o) => s + o.macs, 0);
  const constBytes = m.consts.reduce((s, c) => s + c.data.byteLength, 0);
  const lines = [
    `kernel-ir '${m.name}' arith=${m.arith}`,
    `inputs ${m.inputs.map((i) => '%' + i).join(', ')} outputs ${m.outputs.map((i) => '%' + i).join(', ')} macs=${totalMacs} const-bytes=${constBytes}`,
    `buffers ${m.buffers.length}`,
    ...m.buffers.map(printBuffer),
    `consts ${m.consts.length}`,
    ...m.consts.map(printConst),
    `ops ${m.ops.length}`,
    ...m.ops.flatMap(printOp),
  ];
  return lines.join('\n') + '\n';
}
