// The table form of ADD on DSP cores (mcu-backend/emit/add-lut.ts): random ADD graphs of the oracle suite's
// generator (same-shape and broadcast operands, constant operands, fused activations), merged into one
// model per arithmetic, emitted for a Cortex-M4 and compared with the golden runtime on the host (the DSP
// source through the portable intrinsics) and on QEMU M4; the same-shape adds take add.lut-m4, the broadcast
// ones stay on add.generic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KAdd } from '../../compiler/kernel-ir/types.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { planAddLut } from '../../mcu-backend/emit/add-lut.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { randomOpGraph } from '../helpers/random-ops.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';
import { mergeGraphs } from '../helpers/random-movement.ts';

const work = scratchDir('tinyforge-add-lut-');

test('add.lut-m4: 40 random ADD graphs equal the golden runtime on the host and QEMU M4 (tflm, tflite)', async (t) => {
  if (!needTools(t, 'host')) return;
  const golden = await GoldenRuntime.load();
  const graph = mergeGraphs('addlut', Array.from({ length: 40 }, (_, i) => randomOpGraph(40000 + i, 'add').graph));
  const bytes = graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);
  for (const arith of ['tflm', 'tflite'] as const) {
    const module = runPipeline(graph, { arith });
    const em = emitModel(module, { cpu: 'm4', dsp: true });
    const adds = module.ops.filter((op) => op.kind === 'add') as KAdd[];
    const lut = em.layers.filter((l) => l.variant === 'add.lut-m4').length;
    const same = adds.filter((op) => !('reason' in planAddLut(op))).length;
    assert.equal(lut, same, 'every add the table form applies to takes it');
    assert.ok(lut >= 10 && lut < adds.length, `${lut} of ${adds.length} adds in table form`);
    for (const on of (needTools(t, 'm4') ? ['host', 'm4'] : ['host']) as Array<'host' | 'm4'>) {
      const v = await verifyMcu(graph, module, em, on, { inputs: randomInputs(bytes, 3, 7), workDir: join(work, `${arith}-${on}`), golden });
      for (const r of v.results) assert.ok(r.ok, `${arith} on ${on}, input ${r.input}: ${JSON.stringify(r)}`);
    }
  }
});
