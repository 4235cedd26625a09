// The random kernel module of the memory tests (chains of window ops ending in a 1x1 conv) and the check
// that a compiled model executes it bit-exactly: every layer the run reports and every output against the
// independent TypeScript evaluation (kmodule.ts). Shared by memory-emit.test.ts (M4, M3, host) and
// helium.test.ts (M55).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KernelModule, Window } from '../../../compiler/kernel-ir/types.ts';
import type { EmittedModel } from '../../../mcu-backend/emit/model.ts';
import { runModel } from '../../../mcu-backend/runner.ts';
import type { RunOn } from '../../../mcu-backend/harness/run.ts';
import { evaluate, KBuilder, randInt8, rng, window } from './kmodule.ts';

/** Chains x_k -> op -> op -> 1x1 conv -> out_k of random window ops (conv2d, depthwise, pools), one input each. */
export function randomModule(seed: number, chains: number): KernelModule {
  const r = rng(seed);
  const k = new KBuilder(`mem${seed}`, 'tflm', r);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const outs: number[] = [];
  for (let c = 0; c < chains; c++) {
    let shape = [1, 3 + Math.floor(r() * 7), 3 + Math.floor(r() * 7), pick([1, 3, 4, 6, 8, 12])];
    let cur = k.buffer(`x${c}`, shape, 'input', Math.floor(r() * 21) - 10);
    const step = (kind: string, last: boolean) => {
      const [, H, W, C] = shape as [number, number, number, number];
      const kk = last ? 1 : pick([1, 3]);
      const s = last ? 1 : pick([1, 1, 2]);
      const pad = kk === 1 || (H >= 3 && W >= 3 && r() < 0.5) ? 'valid' : 'same';
      const inputOffset = Math.floor(r() * 21) - 10;
      const outC = kind === 'conv2d' ? (last ? 4 : pick([2, 4, 8, 16, 3, 12])) : C;
      const w: Window = window({ inH: H, inW: W, inC: C, outC, kH: kk, kW: kk, strideH: s, strideW: s }, pad);
      const outShape = [1, w.outH, w.outW, w.outC];
      const name = `${kind}${k.m.ops.length}`;
      if (kind === 'conv2d') {
        const n = outC * kk * kk * C;
        cur = k.op({ kind, name, ...w, groups: 1, weights: k.konst('w', k.weights(n), [outC, kk, kk, C]), bias: k.konst('b', k.bias(outC), [outC]),
          macs: w.outH * w.outW * n, inputOffset, outputOffset: -3, requant: k.requant(outC, Math.sqrt(kk * kk * C) * 70 * 70, r() < 0.5), rounding: 'double', actMin: -128, actMax: 127 }, [cur], outShape);
      } else if (kind === 'depthwise_conv2d') {
        const n = kk * kk * C;
        cur = k.op({ kind, name, ...w, depthMultiplier: 1, weights: k.konst('w', k.weights(n), [1, kk, kk, C]), bias: k.konst('b', k.bias(C), [C]),
          macs: w.outH * w.outW * n, inputOffset, outputOffset: 4, requant: k.requant(C, kk * 70 * 70), rounding: 'double', actMin: -128, actMax: 127 }, [cur], outShape);
      } else {
        const pw = window({ inH: H, inW: W, inC: C, outC: C, kH: Math.min(H, 2 + Math.floor(r() * 2)), kW: Math.min(W, 2), strideH: s, strideW: s }, 'same');
        cur = k.op({ kind: kind as 'max_pool2d', name, ...pw, actMin: -128, actMax: 127, macs: 0 }, [cur], [1, pw.outH, pw.outW, pw.outC]);
      }
      shape = k.m.buffers[cur]!.shape;
    };
    step(pick(['conv2d', 'conv2d', 'depthwise_conv2d', 'max_pool2d', 'average_pool2d']), false);
    step(pick(['depthwise_conv2d', 'depthwise_conv2d', 'average_pool2d', 'max_pool2d', 'conv2d']), false);
    step('conv2d', true);
    outs.push(cur);
  }
  return k.done(outs);
}

/** Every layer the run reports (a split chain's inner layers have no whole tensor) and every output equal the reference. */
export function check(work: string, m: KernelModule, em: EmittedModel, on: RunOn, tag: string, simd = true): void {
  const r = rng(99);
  const inputs = [randInt8(r, em.inputBytes), randInt8(r, em.inputBytes)];
  const res = runModel(em, inputs, on, { debug: true, simd, workDir: join(work, `${tag}-${on}-${simd}`) });
  const inChainInner = new Set(em.plan.chains.flatMap((c) => c.ops.slice(0, -1)));
  inputs.forEach((x, ri) => {
    const ref = evaluate(m, x);
    ref.forEach((want, li) => {
      const got = res.layers![ri]![li];
      if (inChainInner.has(li)) { assert.equal(got, undefined, `layer ${li} is inside a split chain`); return; }
      assert.ok(got, `${tag}: layer ${li} output missing`);
      assert.deepEqual(Array.from(got), Array.from(want), `${tag} on ${on}: input ${ri}, layer ${li} (${m.ops[li]!.kind})`);
    });
    const wantOut = m.outputs.flatMap((o) => Array.from(ref[m.ops.findIndex((op) => op.output === o)]!));
    assert.deepEqual(Array.from(res.outputs[ri]!), wantOut);
  });
}

