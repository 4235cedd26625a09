// The CGRA-vs-CPU table: only layers both targets ran, ratios and totals computed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCgraVsMcu } from '../../../compiler/report/compare.ts';

test('CGRA cycles beside CPU instructions, per layer and in total', () => {
  const text = formatCgraVsMcu([
    { index: 0, name: 'c', kind: 'conv2d', macs: 100, mcu: { instructions: 300 }, cgra: { cycles: 100 } },
    { index: 1, name: 'r', kind: 'reshape', macs: 0, mcu: { instructions: 0 } },
    { index: 2, name: 'f', kind: 'fully_connected', macs: 10, mcu: { instructions: 50 }, cgra: { cycles: 100 } },
  ], 'cortex-m4')!;
  const lines = text.split('\n');
  assert.equal(lines.length, 7); // title, header, rule, 2 rows, rule, total
  assert.match(lines[3]!, /^0\s+c\s+conv2d\s+100\s+100\s+300\s+3\.00$/);
  assert.match(lines[4]!, /^2\s+f\s+fully_connected\s+10\s+100\s+50\s+0\.50$/);
  // 350 instructions over 200 cycles.
  assert.match(lines[6]!, /total\s+110\s+200\s+350\s+1\.75$/);
  assert.equal(formatCgraVsMcu([{ index: 0, name: 'x', kind: 'conv2d', macs: 1, mcu: { instructions: 5 } }], 'cortex-m4'), undefined);
});
