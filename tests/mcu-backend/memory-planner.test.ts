// Memory planner core: in-place delay rules, placement validity and the TFLite-Micro-style baseline,
// partial-execution request rewriting. Expected values are computed by hand in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Window } from '../../compiler/kernel-ir/types.ts';
import { backwardDelay, forwardDelay } from '../../mcu-backend/memory/inplace.ts';
import { bestFit, greedyTflm } from '../../mcu-backend/memory/placement.ts';
import { liveBytes, type MemRequest } from '../../mcu-backend/memory/requests.ts';

function win(p: Partial<Window>): Window {
  return { batches: 1, inH: 8, inW: 8, inC: 8, outH: 8, outW: 8, outC: 8, kH: 3, kW: 3, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, ...p };
}

test('in-place delays: 3x3 same-size needs one row of delay, 1x1 none, stride 2 none', () => {
  // Writing output row r over input row r clobbers a row output row r+1 still reads (rows r..r+2 - 1): delay 1.
  assert.equal(forwardDelay(win({}), 64, 64), 1);
  // 1x1, stride 1, same channels: row r is read only by output row r: write it straight back.
  assert.equal(forwardDelay(win({ kH: 1, kW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }), 64, 64), 0);
  // 3x3 stride 2 pad 1, 8 -> 4 rows, output rows half as wide in bytes: row r (32 B) ends at 32(r+1),
  // the next window starts at input row 2(r+1)-1 = 64(2r+1) bytes: always later.
  assert.equal(forwardDelay(win({ outH: 4, outW: 4, strideH: 2, strideW: 2 }), 64, 32), 0);
  // A growing 1x1 (8 -> 16 channels, 8 rows): forward needs 2(r+1) <= r+d+1 for every r < 7-d, i.e.
  // d >= 4 (five rows buffered); backward needs none: output row r lands at >= 128 r, unread input ends at 64 r.
  const grow = win({ kH: 1, kW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, outC: 16 });
  assert.equal(forwardDelay(grow, 64, 128), 4);
  assert.equal(backwardDelay(grow, 64, 128), 0);
});

test('greedy baseline places a three-buffer chain as computed by hand', () => {
  // A(100) live [-1,0] -> B(50) live [0,1] -> C(100) live [1,1]. By size: A at 0; C does not meet A in
  // time: 0; B meets both: 100. Peak 150 at op 0.
  const reqs: MemRequest[] = [
    { id: 0, name: 'A', bytes: 100, first: -1, last: 0, kind: 'tensor' },
    { id: 1, name: 'B', bytes: 50, first: 0, last: 1, kind: 'tensor' },
    { id: 2, name: 'C', bytes: 100, first: 1, last: 1, kind: 'tensor' },
  ];
  const g = greedyTflm(reqs, 2);
  assert.deepEqual([...g.offsets.entries()].sort(), [[0, 0], [1, 100], [2, 0]]);
  assert.equal(g.peak, 150);
  // Best fit finds the same 150 here (no placement can do better: A and B are live together at op 0).
  assert.equal(bestFit(reqs, 2).peak, 150);
  // Tying B and C (C written in place over B) puts both at one offset above A: 100 + max(50, 100) = 200.
  const tied = reqs.map((r) => (r.id === 0 ? r : { ...r, group: 1 }));
  const t = bestFit(tied, 2);
  assert.equal(t.offsets.get(1), t.offsets.get(2));
  assert.equal(t.peak, 200);
});

test('placements never overlap live requests, and best fit never loses to the baseline (300 random sets)', () => {
  let s = 7;
  const rand = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  for (let k = 0; k < 300; k++) {
    const nOps = 3 + Math.floor(rand() * 10);
    const reqs: MemRequest[] = Array.from({ length: 2 + Math.floor(rand() * 10) }, (_, id) => {
      const first = Math.floor(rand() * nOps) - 1;
      return { id, name: `r${id}`, bytes: 1 + Math.floor(rand() * 1000), first, last: Math.min(nOps - 1, Math.max(0, first) + Math.floor(rand() * 4)), kind: 'tensor' as const };
    });
    for (const p of [greedyTflm(reqs, nOps), bestFit(reqs, nOps)]) {
      for (const a of reqs) for (const b of reqs) {
        if (a.id >= b.id || a.first > b.last || b.first > a.last) continue;
        const oa = p.offsets.get(a.id)!, ob = p.offsets.get(b.id)!;
        assert.ok(oa + a.bytes <= ob || ob + b.bytes <= oa, `set ${k}: ${a.name} and ${b.name} overlap`);
      }
      assert.ok(p.peak >= Math.max(...liveBytes(reqs, nOps)), `set ${k}: peak below the live-bytes bound`);
    }
    assert.ok(bestFit(reqs, nOps).peak <= greedyTflm(reqs, nOps).peak, `set ${k}`);
  }
});
