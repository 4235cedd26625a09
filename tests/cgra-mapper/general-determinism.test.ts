// The general mapper is deterministic (issue 16): its schedule search is bounded by counted work, not by
// wall-clock time, so the same layer on the same array gives the same bitstream words every time: twice in
// one process (the schedule cache cleared in between) and in a fresh process (this file, re-run as a child
// with TINYFORGE_DET_CHILD set, prints its words instead of registering tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeArch } from '../../cgra-mapper/arch.ts';
import type { CgraLayer } from '../../cgra-mapper/layer.ts';
import { planGeneral, setSearchBudget } from '../../cgra-mapper/general/index.ts';
import { WORK_PER_MS } from '../../cgra-mapper/general/schedule.ts';

function layer(): { L: CgraLayer; input: Int8Array } {
  let s = 77;
  const r = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) - 128; };
  const [h, w, c, o] = [7, 6, 5, 9];
  const L: CgraLayer = {
    index: 0, name: 'det', kind: 'conv2d', inH: h, inW: w, inC: c, outH: h, outW: w, outC: o, kH: 3, kW: 3,
    strideH: 1, strideW: 1, dilH: 1, dilW: 1, padTop: 1, padLeft: 1, depthMultiplier: 1,
    weights: Int8Array.from({ length: o * 9 * c }, r), bias: Int32Array.from({ length: o }, () => r() * 41),
    q: {
      inputOffset: 7, outputOffset: -3, rounding: 'double', actMin: -128, actMax: 127,
      requant: { multiplier: Int32Array.from({ length: o }, () => 1_300_000_000), shift: Int32Array.from({ length: o }, () => -8) },
    },
    inZero: -7, macs: h * w * o * 9 * c,
  };
  return { L, input: Int8Array.from({ length: h * w * c }, r) };
}

/** Everything the mapper emits for the layer: the kernels' words, the staged streams, the schedule text. */
function mapOnce(rows: number, cols: number): string {
  setSearchBudget(1); // clears the per-process schedule cache
  const { L, input } = layer();
  const plan = planGeneral(L, makeArch({ rows, cols }), { work: 30 * WORK_PER_MS });
  return JSON.stringify({
    kernels: plan.kernels.map((k) => k.words),
    stage: plan.stage(input).map((b) => [b.addr, Array.from(b.words)]),
    view: plan.view,
  });
}

const ARRAYS = [[4, 4], [2, 2]] as const;

if (process.env.TINYFORGE_DET_CHILD) {
  process.stdout.write(JSON.stringify(ARRAYS.map(([r, c]) => mapOnce(r, c))));
} else {
  const inProcess = ARRAYS.map(([r, c]) => mapOnce(r, c));

  test('general: the same layer mapped twice in one process gives identical bitstream words', () => {
    ARRAYS.forEach(([r, c], i) => {
      const again = mapOnce(r, c);
      assert.ok(JSON.parse(again).kernels.length > 0, 'the plan has kernels');
      assert.equal(again, inProcess[i], `${r}x${c}: second mapping differs`);
    });
  });

  test('general: a fresh process gives identical bitstream words', () => {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, TINYFORGE_DET_CHILD: '1' }, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000,
    });
    assert.equal(child.status, 0, `child failed: ${child.stderr}`);
    assert.deepEqual(JSON.parse(child.stdout), inProcess);
  });
}
