// The int16 element-wise, softmax and pooling kernels of docs/int16.md on the Cortex-M4: one single-op model
// per row (a [1, 16, 16, 16] int16 tensor, 4,096 elements; pools 2x2 stride 2), compiled in each arithmetic for
// the M4 (DSP) variant table, run on QEMU mps2-an386 on one seeded input, checked equal to the golden runtime,
// instructions of the whole invoke (icount plugin) and per input element (bench/results/int16-ops.json).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Op } from '../compiler/ir/graph.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { emitModel } from '../mcu-backend/emit/model.ts';
import { missingTools } from '../mcu-backend/harness/run.ts';
import { verifyMcu } from '../mcu-backend/verify.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import { GraphBuilder } from '../tests/helpers/graph-builder.ts';
import { Rng } from '../tests/helpers/random-ops.ts';

const SHAPE = [1, 16, 16, 16];
const ELEMENTS = 4096;
const ROWS: Array<{ kind: 'logistic' | 'tanh' | 'softmax' | 'average_pool2d' | 'max_pool2d'; scale: number; note: string }> = [
  { kind: 'logistic', scale: 0.0007, note: 'table' },
  { kind: 'logistic', scale: 2 ** -12, note: 'power-of-two scale (tflite: gemmlowp)' },
  { kind: 'tanh', scale: 0.0007, note: 'table' },
  { kind: 'softmax', scale: 0.0007, note: 'rows of 16' },
  { kind: 'average_pool2d', scale: 0.001, note: '2x2 stride 2' },
  { kind: 'max_pool2d', scale: 0.001, note: '2x2 stride 2' },
];

export default async function run() {
  const missing = missingTools('m4');
  if (missing) throw new Error(missing);
  const golden = await GoldenRuntime.load();
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-int16-bench-'));
  const rows = [];
  try {
    for (const [i, row] of ROWS.entries()) {
      for (const arith of ['tflm', 'tflite'] as const) {
        const b = new GraphBuilder(`int16_${row.kind}`);
        const pool = row.kind === 'average_pool2d' || row.kind === 'max_pool2d';
        const x = b.act('x', SHAPE, row.scale, 0, 'int16');
        const y = b.act('y', pool ? [1, 8, 8, 16] : SHAPE, pool ? row.scale : 1 / 32768, 0, 'int16');
        const op = row.kind === 'softmax' ? { kind: row.kind, inputs: [x], outputs: [y], beta: 1 }
          : pool ? { kind: row.kind, inputs: [x], outputs: [y], filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'none' }
            : { kind: row.kind, inputs: [x], outputs: [y] };
        b.op(op as Op);
        const graph = b.io([x], [y]);
        const module = runPipeline(graph, { arith });
        const em = emitModel(module, { cpu: 'm4', dsp: true });
        const r = new Rng(3);
        const input = new Int8Array(Int16Array.from({ length: ELEMENTS }, () => r.int(-32767, 32767)).buffer);
        const v = await verifyMcu(graph, module, em, 'm4', { inputs: [input], workDir: join(dir, `${i}-${arith}`), golden, count: true });
        if (!v.ok) throw new Error(`${row.kind} (${arith}): the C differs from the golden runtime`);
        const instructions = v.invokeInstructions![0]!;
        const res = { kind: row.kind, note: row.note, arith, variant: em.layers[0]!.variant, elements: ELEMENTS, bitExact: true, instructions, perElement: +(instructions / ELEMENTS).toFixed(1) };
        console.log(`${row.kind} (${row.note}, ${arith}): ${res.variant}, ${instructions} instructions, ${res.perElement} per input element`);
        rows.push(res);
      }
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
  return {
    description: 'int16 LOGISTIC, TANH, SOFTMAX and pools as Cortex-M C (M4 table), one [1,16,16,16] tensor, C == golden runtime',
    board: 'QEMU mps2-an386 (Cortex-M4), arm-none-eabi-gcc -O2, instructions of the whole invoke (icount plugin)',
    rows,
  };
}
