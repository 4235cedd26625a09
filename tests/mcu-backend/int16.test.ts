// 16x8 operators as Cortex-M C (portable kernels, mcu-backend/emit/int16.ts, binary.ts, copy.ts, quantize.ts):
// random single-op graphs (tests/helpers/random-int16.ts), compiled in the `tflm` arithmetic, equal the golden
// runtime on every output byte, on the host (8 graphs x 2 input sets per op kind) and on QEMU Cortex-M4 (2
// graphs per kind). The golden runtime itself is checked against TFLite's interpreter by
// tests/runtime-wasm/oracle-int16.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { scratchDir } from '../helpers/paths.ts';
import { INT16_OP_KINDS, randomInt16Graph, randomInt16Inputs } from '../helpers/random-int16.ts';
import { rawBytes } from '../helpers/zoo.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-int16-');
const golden = await GoldenRuntime.load();

for (const [on, graphs] of [['host', 8], ['m4', 2]] as Array<[RunOn, number]>) {
  INT16_OP_KINDS.forEach((kind, k) => {
    test(`16x8 ${kind}: ${graphs} random graphs as Cortex-M C on ${on} equal the golden runtime (tflm)`, async (t) => {
      if (!needTools(t, on)) return;
      for (let i = 0; i < graphs; i++) {
        const seed = 700000 + 1000 * k + i;
        const graph = randomInt16Graph(seed, kind);
        const module = runPipeline(graph, { arith: 'tflm' });
        const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' });
        const inputs = [seed, seed + 1].map((s) => rawBytes(randomInt16Inputs(graph, s)));
        const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, on, `${kind}-${seed}`), golden });
        assert.equal(v.results.length, 2);
        for (const r of v.results) assert.ok(r.ok, `${graph.name} on ${on}, input ${r.input}: ${JSON.stringify(r)}`);
      }
    });
  });
}
