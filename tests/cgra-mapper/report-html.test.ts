// report.html: the prose column (host work) is left-aligned like the other text columns, not right-aligned
// like the numbers, and energy is labelled in µJ. The test finds the column by its header, so it keeps
// holding if columns move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportHtml, type ModelReport } from '../../cgra-mapper/report.ts';

const layer = {
  index: 0, name: 'conv', op: 'conv2d', macs: 1000,
  cgra: {
    strategy: 'checker', launches: 1, cycles: 900, macPerCycle: 1.1, cyclesPorts: 800, macPerCyclePorts: 1.25, peUtilisation: 0.5,
    memAccesses: { loads: 10, stores: 2, unaligned: 0 }, energyJ: 1e-6,
    hostWork: { preBytes: 64, notes: ['host transposes the input and the output back'] }, bitExact: true, mismatches: 0,
  },
};
const report = {
  model: 'm', arch: { rows: 4, cols: 4, callCycles: 190 }, layers: [layer],
  totals: { layers: 1, macs: 1000, cycles: 900, macPerCycle: 1.1, cyclesPorts: 800, macPerCyclePorts: 1.25, launches: 1, energyJ: 1e-6, hostPreBytes: 64, bitExact: true, bitExactLayers: 1 },
} as unknown as ModelReport;

test('report.html left-aligns the host-work column and labels energy in µJ', () => {
  const html = reportHtml(report);
  const header = /<table><tr>(.*?)<\/tr>/.exec(html)![1];
  const ths = [...header.matchAll(/<th>(.*?)<\/th>/g)].map((m) => m[1]);
  const col = ths.indexOf('host work') + 1;
  assert.ok(col > 0);
  const leftRule = /<style>[\s\S]*?<\/style>/.exec(html)![0].split('}').find((r) => r.includes('text-align:left') && !r.startsWith('pre'))!;
  assert.ok(leftRule.includes(`td:nth-child(${col})`), `column ${col} (host work) must be in the left-aligned rule: ${leftRule}`);
  assert.ok(ths.includes('energy µJ'), ths.join(', '));
});
