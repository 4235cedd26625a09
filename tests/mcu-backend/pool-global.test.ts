// Global average pooling on DSP cores (mcu-backend/emit/pool-global.ts): single-op AVERAGE_POOL_2D graphs
// whose window is the whole image (kws's 25x5x64 and vww's 3x3x256 shapes, small and 255-pixel images, the
// four fused activations, zero points anywhere), merged into one model, emitted for a Cortex-M4 and
// compared with the golden runtime on the host (DSP source through the portable intrinsics) and on QEMU M4;
// the 256-pixel and 6-channel pools stay on avgpool.generic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Activation, Graph } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { mergeGraphs } from '../helpers/random-movement.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-pool-global-');

function pool(h: number, w: number, c: number, zp: number, activation: Activation): Graph {
  const q = { scale: [0.05], zeroPoint: [zp] };
  return { name: `gap_${h}x${w}x${c}`, inputs: [0], outputs: [1],
    tensors: [{ id: 0, name: 'x', shape: [1, h, w, c], dtype: 'int8', quant: q }, { id: 1, name: 'y', shape: [1, 1, 1, c], dtype: 'int8', quant: q }],
    ops: [{ kind: 'average_pool2d', inputs: [0], outputs: [1], filter: [h, w], stride: [1, 1], padding: 'valid', activation }] } as Graph;
}

test('avgpool.global-m4: global average pools equal the golden runtime on the host and QEMU M4', async (t) => {
  if (!needTools(t, 'host')) return;
  const golden = await GoldenRuntime.load();
  const cases: Array<[number, number, number, number, Activation]> = [
    [25, 5, 64, 0, 'none'], [3, 3, 256, -128, 'none'], [1, 1, 4, 7, 'relu'], [5, 51, 8, 100, 'relu6'], [15, 17, 12, -30, 'relu_n1_to_1'],
    [2, 3, 16, 127, 'relu'], [16, 16, 4, 3, 'none'], [4, 4, 6, 0, 'none'],
  ];
  const graph = mergeGraphs('gap', cases.map(([h, w, c, zp, a]) => pool(h, w, c, zp, a)));
  const module = runPipeline(graph, { arith: 'tflm' });
  const em = emitModel(module, { cpu: 'm4', dsp: true });
  assert.deepEqual(em.layers.map((l) => l.variant), [...Array(6).fill('avgpool.global-m4'), 'avgpool.generic', 'avgpool.generic']);
  const bytes = graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);
  // Random inputs, then all -128 and all +127 (the largest lane sums).
  const inputs = [...randomInputs(bytes, 2, 3), new Int8Array(bytes).fill(-128), new Int8Array(bytes).fill(127)];
  for (const on of (needTools(t, 'm4') ? ['host', 'm4'] : ['host']) as Array<'host' | 'm4'>) {
    const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, on), golden });
    assert.equal(v.results.length, 4);
    for (const r of v.results) assert.ok(r.ok, `on ${on}, input ${r.input}: ${JSON.stringify(r)}`);
  }
});
