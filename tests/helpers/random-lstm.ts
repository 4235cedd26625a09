// Random single-op UNIDIRECTIONAL_SEQUENCE_LSTM graphs (integer 8x8_16) for the oracle and Cortex-M tests:
// batch- or time-major, with or without CIFG, a cell clip or none, cell state scales 2^-9 .. 2^-15, hidden
// zero points of both signs, a projection layer in about a third (own hidden quantisation, optional bias and
// clip), float32-exact scales (the writer stores float32). The output state and cell state are variable
// tensors; the op carries the five intermediates the writer emits.
import type { Graph } from '../../compiler/ir/graph.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { GraphBuilder } from './graph-builder.ts';

export interface LstmCase { graph: Graph; desc: string; inputs: Int8Array[] }

export function randomLstm(seed: number, invocations: number): LstmCase {
  const r = mulberry32(seed * 7919 + 13);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const f32 = (lo: number, hi: number) => Math.fround(lo * (hi / lo) ** r());
  const batches = int(1, 2), steps = int(1, 4), nIn = int(1, 24), nCell = int(1, 16);
  const timeMajor = r() < 0.3, cifg = r() < 0.3;
  const cellScale = int(-15, -9);
  const cellClip = r() < 0.5 ? 0 : Math.fround(1 + r() * 6);
  const inScale = f32(0.005, 0.2), inZp = int(-20, 20);
  const hScale = f32(0.003, 0.02), hZp = int(-12, 12);
  // A projection layer in about a third: nOut outputs, its own hidden quantisation, an optional bias and clip.
  const proj = r() < 0.35;
  const nOut = proj ? int(1, 16) : nCell;
  const hidScale = proj ? f32(0.003, 0.02) : hScale, hidZp = proj ? int(-12, 12) : hZp;
  const projClip = proj && r() < 0.5 ? Math.fround(0.2 + r() * 0.8) : 0;
  const projBias = proj && r() < 0.5;
  const b = new GraphBuilder(`lstm_${seed}`);
  const xShape = timeMajor ? [steps, batches, nIn] : [batches, steps, nIn];
  const x = b.act('x', xShape, inScale, inZp);
  const weights = (name: string, rows: number, cols: number) =>
    b.constant(name, [rows, cols], Int8Array.from({ length: rows * cols }, () => int(-127, 127)), [f32(0.002, 0.05)]);
  const inputs = new Array<number>(24).fill(-1);
  inputs[0] = x;
  ['input', 'forget', 'cell', 'output'].forEach((g, k) => {
    if (k === 0 && cifg) return;
    inputs[1 + k] = weights(`${g}_w`, nCell, nIn);
    inputs[5 + k] = weights(`${g}_r`, nCell, nOut);
    inputs[12 + k] = b.constant(`${g}_bias`, [nCell], Int32Array.from({ length: nCell }, () => int(-6000, 6000)), [Math.fround(0.001)]);
  });
  if (proj) {
    inputs[16] = weights('projection', nOut, nCell);
    if (projBias) inputs[17] = b.constant('projection_bias', [nOut], Int32Array.from({ length: nOut }, () => int(-3000, 3000)), [Math.fround(0.001)]);
  }
  inputs[18] = b.tensor({ name: 'h', shape: [batches, nOut], dtype: 'int8', quant: { scale: [hScale], zeroPoint: [hZp] }, variable: true });
  inputs[19] = b.tensor({ name: 'c', shape: [batches, nCell], dtype: 'int16', quant: { scale: [2 ** cellScale], zeroPoint: [0] }, variable: true });
  const y = b.act('y', timeMajor ? [steps, batches, nOut] : [batches, steps, nOut], hScale, hZp);
  b.op({ kind: 'unidirectional_sequence_lstm', name: 'lstm', inputs, outputs: [y], cellClip, projClip, timeMajor, hiddenScale: hidScale, hiddenZeroPoint: hidZp });
  const graph = b.io([x], [y]);
  const n = batches * steps * nIn;
  const xs = Array.from({ length: invocations }, () => Int8Array.from({ length: n }, () => int(-128, 127)));
  const desc = `B=${batches} T=${steps} in=${nIn} cell=${nCell}${timeMajor ? ' time-major' : ''}${cifg ? ' CIFG' : ''} cell 2^${cellScale} clip=${cellClip.toFixed(2)} hZp=${hZp}` +
    (proj ? ` projection to ${nOut} (hidden zp ${hidZp}${projBias ? ', bias' : ''}${projClip ? `, clip ${projClip.toFixed(2)}` : ''})` : '');
  return { graph, desc, inputs: xs };
}
