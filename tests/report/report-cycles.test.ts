// report.html shows where the modelled Cortex-M cycles go: the summary names the core timing, the part, the
// clock, its wait states and says "modelled"; a stacked bar per layer and cause (issue + every stall cause)
// and a table with the same figures. Rendered in headless chromium (Debian's, driven by playwright-core) from
// a small hand-written report, so the expected numbers are the ones written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReportHtml, type HtmlReportData } from '../../compiler/report/html.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

const stalls = (memory: number, multiply: number, branch: number, loadUse: number, fetch: number, flashData: number) => ({ memory, multiply, branch, loadUse, fetch, flashData });
const data: HtmlReportData = {
  name: 'cyc', config: 'cyc.yaml', arith: 'tflm',
  layers: [
    // conv: 1000 cycles = 600 issue + 300 memory + 100 load-use; 500 MACs.
    { index: 0, name: 'conv', kind: 'conv2d', macs: 500, mcu: { variant: 'v', instructions: 600, scratchBytes: 0, constBytes: 64, modelled: { cycles: 1000, cyclesPerMac: 2, stalls: stalls(300, 0, 0, 100, 0, 0) } } },
    // fc: 900 = 400 issue + 20 branch + 480 flash data; 200 MACs.
    { index: 1, name: 'fc', kind: 'fully_connected', macs: 200, mcu: { variant: 'v', instructions: 400, scratchBytes: 0, constBytes: 200, modelled: { cycles: 900, cyclesPerMac: 4.5, stalls: stalls(0, 0, 20, 0, 0, 480) } } },
    // softmax: 50 = 45 issue + 5 fetch.
    { index: 2, name: 'softmax', kind: 'softmax', macs: 0, mcu: { variant: 'v', instructions: 45, scratchBytes: 0, constBytes: 0, modelled: { cycles: 50, stalls: stalls(0, 0, 0, 0, 5, 0) } } },
  ],
  mcu: { cpu: 'm7', flashBytes: 1000, ramBytes: 100, arenaBytes: 64, peakLayer: 0, strategy: 'greedy', sizeSource: 'estimate', instructions: 1045, verify: [],
    modelled: { core: 'cortex-m7', part: 'stm32h7a3', clockMHz: 280, waitStates: 6, cycles: 1950, cyclesPerMac: 2.786, latencyMs: 0.007,
      byCause: { issue: 1045, memory: 300, multiply: 0, branch: 20, loadUse: 100, fetch: 5, flashData: 480 } } },
  pe: [],
};

test('report.html: modelled cycles by cause per layer (stacked bars and table) with the part, the clock and "modelled"', { timeout: 120_000 }, async (t) => {
  if (!CHROMIUM) {
    if (process.env.CI === 'true') throw new Error('chromium is missing (Debian: chromium; required when CI=true)');
    t.skip('chromium missing (Debian: chromium)'); return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tf-report-cycles-'));
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, buildReportHtml(data));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const summary = await page.locator('#summary').innerText();
      assert.match(summary, /Modelled cycles \(cortex-m7 timing, stm32h7a3 at 280 MHz, 6 flash wait states; mcu-backend\/timing, not measured\): 1,950 cycles per inference, 2\.79 per MAC/);
      assert.match(summary, /issue 1,045, memory 300, multiply 0, branch 20, load-use 100, fetch 5, flash data 480/);
      // Non-zero (layer, cause) pairs: conv issue/memory/load-use, fc issue/branch/flash data, softmax issue/fetch.
      const fig = page.locator('figure[data-plot=cycles-mcu]');
      assert.equal(await fig.getAttribute('data-marks'), '8');
      assert.equal(await fig.locator('g[aria-label=bar] rect').count(), 8);
      assert.match(await fig.locator('figcaption').innerText(), /stm32h7a3 at 280 MHz.*not measured/);
      const rows = await page.$$eval('#cycles-table tr[data-layer]', (r) => r.map((x) => Array.from(x.querySelectorAll("td"), (td) => td.textContent)));
      assert.deepEqual(rows, [
        ['0', 'conv', '1,000', '2.00', '600', '300', '0', '0', '100', '0', '0'],
        ['1', 'fc', '900', '4.50', '400', '0', '0', '20', '0', '0', '480'],
        ['2', 'softmax', '50', '-', '45', '0', '0', '0', '0', '5', '0'],
      ]);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
