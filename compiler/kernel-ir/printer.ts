// The kernel IR's textual form: stable (the same module always prints the same text), diffable (one
// entity per line, fixed order, no timestamps or paths) and compact (constant data and long per-channel
// lists are summarised by count, first values, min/max and a 32-bit FNV-1a checksum over their
// little-endian bytes, so any change to a value changes the text). Golden files and `inspect
// --kernel-ir` use it; treat changes to this format as contract changes.
//
// Style follows the graph-IR printer (compiler/ir/printer.ts): %N buffers, @N constants, quoted names,
// key=value attributes, scales as the shortest decimal that reads back to the same float32.

import { assertNever } from '../diagnostics.ts';
import { f32str, fnv1a } from '../ir/printer.ts';
import type { KBuffer, KConst, KernelModule, KernelOp, Requant, Window } from './types.ts';

/** The little-endian bytes of typed-array values (copied, so offsets do not matter). */
export function bytesOf(d: Int8Array | Int16Array | Int32Array): Uint8Array {
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');
const checksum = (d: Int8Array | Int16Array | Int32Array) => hex(fnv1a(bytesOf(d)));

const SHORT = 8;
const HEAD = 4;

/** A list printed in full when short, else as `[n]{first values, …} fnv1a=…`; `[n]{all v}` when constant. */
export function summarizeList(values: Int32Array | Int8Array | Int16Array): string {
  const n = values.length;
  if (n <= SHORT) return `[${Array.from(values).join(',')}]`;
  if (values.every((v) => v === values[0])) return `[${n}]{all ${values[0]}}`;
  return `[${n}]{${Array.from(values.subarray(0, HEAD)).join(',')},…} fnv1a=${checksum(values)}`;
}

function minMax(d: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < d.length; i++) { if (d[i] < lo) lo = d[i]; if (d[i] > hi) hi = d[i]; }
  return d.length ? [lo, hi] : [0, 0];
}

function printBuffer(b: KBuffer): string {
  const quant = b.dtype === 'float32' ? '' : ` quant(scale=${f32str(b.scale)}, zp=${b.zeroPoint})`;
  return `%${b.id} = ${b.kind} ${JSON.stringify(b.name)} [${b.shape.join(',')}] ${b.dtype}${quant}` +
    ` bytes=${b.bytes} live=[${b.def}..${b.lastUse}]${b.aliasOf !== undefined ? ` alias=%${b.aliasOf}` : ''}${b.stateInit !== undefined ? ` init=${b.stateInit}` : ''}`;
}

function printConst(c: KConst): string {
  const [lo, hi] = minMax(c.data);
  return `@${c.id} = const ${JSON.stringify(c.name)} [${c.shape.join(',')}] ${c.dtype} data(n=${c.data.length}, min=${lo}, max=${hi}, fnv1a=${checksum(c.data)})`;
}

function printWindow(w: Window): string {
  return `window: n=${w.batches} in=${w.inH}x${w.inW}x${w.inC} out=${w.outH}x${w.outW}x${w.outC} k=${w.kH}x${w.kW}` +
    ` stride=${w.strideH}x${w.strideW} dilation=${w.dilationH}x${w.dilationW}` +
    ` pad=[t${w.padTop},l${w.padLeft},b${w.padBottom},r${w.padRight}]`;
}

function printRequant(r: Requant, rounding: 'double' | 'single' = 'double'): string {
  return `requant: rounding=${rounding} multiplier=${summarizeList(r.multiplier)} shift=${summarizeList(r.shift)}`;
}

const clamp = (o: { actMin: number; actMax: number }) => `clamp=[${o.actMin},${o.actMax}]`;

function printOp(op: KernelOp): string[] {
  const sched = Object.keys(op.schedule).sort().map((k) => `, ${k}=${op.schedule[k]}`).join('');
  const lines = [`op ${op.index} ${op.kind} ${JSON.stringify(op.name)} (${op.inputs.map((i) => '%' + i).join(', ')}) -> %${op.output}` +
    ` {src=${op.sourceOp}, macs=${op.macs}${sched}}`];
  const more = (s: string) => lines.push('    ' + s);
  switch (op.kind) {
    case 'conv2d':
    case 'depthwise_conv2d':
    case 'shift_conv2d':
    case 'add_conv2d': {
      let extra = '';
      if (op.kind === 'conv2d') extra = ` groups=${op.groups}`;
      if (op.kind === 'depthwise_conv2d') extra = ` depthMultiplier=${op.depthMultiplier}`;
      more(printWindow(op) + extra);
      if (op.kind === 'shift_conv2d') {
        const pair = ([dy, dx]: [number, number]) => `(${dy},${dx})`;
        more(op.shifts.length <= SHORT
          ? `shifts: [${op.shifts.map(pair).join(',')}]`
          : `shifts: [${op.shifts.length}]{${op.shifts.slice(0, HEAD).map(pair).join(',')},…} fnv1a=${checksum(Int32Array.from(op.shifts.flat()))}`);
      }
      more(`weights=@${op.weights} bias=@${op.bias} inputOffset=${op.inputOffset} outputOffset=${op.outputOffset} ${clamp(op)}`);
      more(printRequant(op.requant, op.rounding));
      break;
    }
    case 'fully_connected':
      more(`matrix: batches=${op.batches} inDepth=${op.inDepth} outDepth=${op.outDepth}`);
      more(`weights=@${op.weights} bias=@${op.bias} inputOffset=${op.inputOffset} outputOffset=${op.outputOffset} ${clamp(op)}`);
      more(printRequant(op.requant, op.rounding));
      break;
    case 'add':
      more(`shapes: a=[${op.aShape.join(',')}] b=[${op.bShape.join(',')}] out=[${op.outShape.join(',')}]`);
      more(`input1Offset=${op.input1Offset} input2Offset=${op.input2Offset} outputOffset=${op.outputOffset} leftShift=${op.leftShift} ${clamp(op)}`);
      more(`requant: input1=(${op.input1Q.multiplier},${op.input1Q.shift}) input2=(${op.input2Q.multiplier},${op.input2Q.shift}) output=(${op.outputQ.multiplier},${op.outputQ.shift})`);
      break;
    case 'binary':
      more(`op=${op.op}${op.constOperand ? ` ${op.constOperand.slot === 0 ? 'a' : 'b'}=@${op.constOperand.const}` : ''} shapes: a=[${op.aShape.join(',')}] b=[${op.bShape.join(',')}] out=[${op.outShape.join(',')}]`);
      if (op.op === 'maximum' || op.op === 'minimum') { more(clamp(op)); break; }
      if (op.pot) { more(`pot: rightShift1=${op.pot[0]} rightShift2=${op.pot[1]} ${clamp(op)}`); break; }
      more(`input1Offset=${op.input1Offset} input2Offset=${op.input2Offset} outputOffset=${op.outputOffset}${op.op === 'mul' ? '' : ` leftShift=${op.leftShift}`} ${clamp(op)}`);
      more(op.op === 'mul' ? `requant: output=(${op.outputQ.multiplier},${op.outputQ.shift})`
        : `requant: input1=(${op.input1Q.multiplier},${op.input1Q.shift}) input2=(${op.input2Q.multiplier},${op.input2Q.shift}) output=(${op.outputQ.multiplier},${op.outputQ.shift})`);
      break;
    case 'average_pool2d':
    case 'max_pool2d':
      more(printWindow(op));
      more(clamp(op));
      break;
    case 'softmax':
      more(`rows=${op.rows} depth=${op.depth} inputMultiplier=${op.inputMultiplier} inputLeftShift=${op.inputLeftShift} diffMin=${op.diffMin} outputOffset=${op.outputOffset}${op.floatPath ? ` floatPath(scale=${f32str(op.floatPath.scale)}, outScale=${f32str(op.floatPath.outScale)})` : ''}`);
      break;
    case 'quantize':
      more(op.from === 'float32'
        ? `elements=${op.elements} scale=${f32str(op.scale)} division=${op.division} outputOffset=${op.outputOffset} ${clamp(op)}`
        : `elements=${op.elements} inputOffset=${op.inputOffset} outputOffset=${op.outputOffset} requant=(${op.multiplier},${op.shift}) ${clamp(op)}`);
      break;
    case 'dequantize':
      more(`elements=${op.elements} scale=${f32str(op.scale)} inputOffset=${op.inputOffset}`);
      break;
    case 'reshape':
      break;
    case 'lut':
      more(`fn=${op.fn} size=${op.size} table=@${op.table}`);
      break;
    case 'prelu':
      more(`shapes: alpha=[${op.alphaShape.join(',')}] out=[${op.outShape.join(',')}] alpha=@${op.alpha}`);
      more(`inputOffset=${op.inputOffset} alphaOffset=${op.alphaOffset} outputOffset=${op.outputOffset} requant: identity=(${op.mult1},${op.shift1}) alpha=(${op.mult2},${op.shift2})`);
      break;
    case 'copy':
      if (op.fill !== undefined) more(`fill=${op.fill}`);
      op.regions.forEach((r, k) => more(`region ${k}: shape=[${r.shape.join(',')}] in=${r.inOffset}+[${r.inStrides.join(',')}] out=${r.outOffset}+[${r.outStrides.join(',')}]`));
      break;
    case 'resize_nearest': {
      const idx = (v: number[]) => summarizeList(Int32Array.from(v));
      more(`n=${op.batches} in=${op.inH}x${op.inW}x${op.channels} out=${op.outH}x${op.outW}x${op.channels} rows=${idx(op.rowIndex)} cols=${idx(op.colIndex)}`);
      break;
    }
    case 'reduce':
      more(`${op.reduceKind} inShape=[${op.inShape.join(',')}] axes=[${op.axes.join(',')}] count=${op.count} method=${op.method}`);
      more(op.method === 'float'
        ? `inputOffset=${op.inputOffset} outputOffset=${op.outputOffset} fscale=${op.fscale} fbias=${op.fbias}`
        : `inputOffset=${op.inputOffset} outputOffset=${op.outputOffset} requant=(${op.multiplier},${op.shift}) bias=${op.bias}`);
      break;
    case 'resize_bilinear':
      more(`batches=${op.batches} in=${op.inH}x${op.inW} out=${op.outH}x${op.outW} channels=${op.channels} alignCorners=${op.alignCorners} halfPixelCenters=${op.halfPixelCenters}`);
      break;
    case 'conv16x8':
      more(`${op.transpose ? 'transpose ' : ''}${printWindow(op)} groups=${op.groups}`);
      more(`weights=@${op.weights} bias=@${op.bias} ${clamp(op)}`);
      more(printRequant(op.requant));
      break;
    case 'lstm':
      more(`batches=${op.batches} steps=${op.steps} in=${op.nInput} cell=${op.nCell} out=${op.nOutput}${op.timeMajor ? ' time-major' : ''} cellScale=2^${op.cellScale} cellClip=${op.cellClip} hidden=(${op.hidden.multiplier},${op.hidden.shift}) hiddenZp=${op.hiddenZeroPoint}`);
      if (op.projection) more(`projection: P=@${op.projection.weights} bias=@${op.projection.bias} scale=(${op.projection.scale.multiplier},${op.projection.scale.shift}) clip=${op.projection.clip} outZp=${op.projection.outputZeroPoint}`);
      op.gates.forEach((g, k) => more(g ? `${['input', 'forget', 'cell', 'output'][k]}: W=@${g.inputWeights} R=@${g.recurrentWeights} bias=@${g.inputBias},@${g.recurrentBias} scales=(${g.input.multiplier},${g.input.shift}),(${g.recurrent.multiplier},${g.recurrent.shift})` : 'input: none (CIFG)'));
      break;
    case 'svdf':
      more(`batches=${op.batches} inputSize=${op.inputSize} filters=${op.filters} memory=${op.memory} rank=${op.rank} weightsFeature=@${op.weightsFeature} weightsTime=@${op.weightsTime} bias=@${op.bias}`);
      more(`inputOffset=${op.inputOffset} stateZp=${op.stateZp} outputOffset=${op.outputOffset} feature=(${op.feature.multiplier},${op.feature.shift}) outputQ=(${op.outputQ.multiplier},${op.outputQ.shift})`);
      break;
    case 'softmax16':
      more(`rows=${op.rows} depth=${op.depth} multiplier=${op.multiplier} shift=${op.shift} exp=@${op.expLut} recip=@${op.recipLut}`);
      break;
    case 'sigmoid16':
      more(`fn=${op.fn} elements=${op.elements} mode=${op.mode} ${op.mode === 'lut' ? `multiplier=${op.multiplier} shift=${op.shift}` : `preShift=${op.preShift}`}`);
      break;
    case 'leaky_relu16':
      more(`elements=${op.elements} inZp=${op.inZp} outZp=${op.outZp} identity=(${op.identity.multiplier},${op.identity.shift}) alpha=(${op.alpha.multiplier},${op.alpha.shift})`);
      break;
    case 'transpose_conv':
      more(printWindow(op));
      more(`weights=@${op.weights} bias=@${op.bias} inputOffset=${op.inputOffset} outputOffset=${op.outputOffset} ${clamp(op)}`);
      more(printRequant(op.requant, op.rounding));
      break;
    default:
      assertNever(op, 'kernel op kind');
  }
  return lines;
}

export function printKernelModule(m: KernelModule): string {
  const totalMacs = m.ops.reduce((s, o) => s + o.macs, 0);
  const constBytes = m.consts.reduce((s, c) => s + c.data.byteLength, 0);
  const lines = [
    `kernel ${JSON.stringify(m.name)} (inputs ${m.inputs.map((i) => '%' + i).join(', ')}; outputs ${m.outputs.map((i) => '%' + i).join(', ')})` +
      ` {arith=${m.arith}, macs=${totalMacs}, constBytes=${constBytes}}`,
    ...m.buffers.map((b) => '  ' + printBuffer(b)),
    ...m.consts.map((c) => '  ' + printConst(c)),
    ...m.ops.flatMap((o) => printOp(o).map((l) => '  ' + l)),
  ];
  return lines.join('\n') + '\n';
}
