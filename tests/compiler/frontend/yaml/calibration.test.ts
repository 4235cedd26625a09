// Generated YAML networks keep useful int8 ranges when executed by the golden runtime (an independent
// integer implementation, not the float calibration that chose the scales): on fresh random inputs no
// activation sits at the top of its range more than 2% of the time, none collapses to a few levels, and
// tensors whose range includes negative values do not pile up at -128 either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../../../compiler/frontend/yaml/config.ts';
import { mulberry32 } from '../../../../compiler/frontend/yaml/network.ts';
import { numElements } from '../../../../compiler/ir/graph.ts';
import { GoldenRuntime } from '../../../../runtime-wasm/host.ts';
import { repoRoot } from '../../../helpers/paths.ts';

for (const cfg of ['default.yaml', 'examples/primitives.yaml']) {
  test(`${cfg}: activations use their int8 range in the golden runtime`, async () => {
    const g = loadConfig(join(repoRoot, 'configs', cfg)).graph;
    const rt = await GoldenRuntime.load({ simd: false });
    const rng = mulberry32(987654);
    const x = g.tensors[g.inputs[0]!]!;
    const seen = new Map<number, number[]>();
    for (let run = 0; run < 8; run++) {
      const input = Int8Array.from({ length: numElements(x.shape) }, () => Math.floor(rng() * 256) - 128);
      const r = rt.run(g, [input], { keepAll: true });
      for (const [id, v] of r.tensors!) (seen.get(id) ?? seen.set(id, []).get(id)!).push(...v);
    }
    for (const op of g.ops) {
      if (op.kind === 'softmax' || op.kind === 'reshape') continue;
      const out = g.tensors[op.outputs[0]!]!;
      const v = seen.get(out.id);
      assert.ok(v, `${op.name}: tensor kept`);
      const n = v.length;
      const top = v.filter((q) => q === 127).length / n;
      const bottom = v.filter((q) => q === -128).length / n;
      const mean = v.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
      assert.ok(top < 0.02, `${op.name}: ${(100 * top).toFixed(1)}% at 127`);
      assert.ok(sd > 8, `${op.name}: spread ${sd.toFixed(1)} levels`);
      // With zero point -128, -128 is real 0 (a ReLU's floor, or a sum of non-negative inputs), not saturation.
      if (out.quant!.zeroPoint[0]! > -128) assert.ok(bottom < 0.02, `${op.name}: ${(100 * bottom).toFixed(1)}% at -128`);
    }
  });
}
