// report.html of `tinyforge build` rendered in a real headless browser: Debian's chromium driven by
// playwright-core (never a downloaded browser). The kws config with both targets (Cortex-M4 with the DVFS
// part, 4x4 CGRA) is built with verification; the page must be self-contained (no request leaves file://),
// log no console error or warning, render every section, list every layer, and its plots must hold as many
// marks as the build report has layers / CGRA layers / DVFS segments / PEs (counted in the SVG, against
// mcu/report.json and the build's --json report). The mapping explorer shows the selected
// layer's mapping (cgra/layer-<i>-<strategy>.mapping.txt). A screenshot of each section is saved as a
// test artefact in .cache/test-artefacts/report-html/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { modelPath, repoRoot, scratchDir } from '../helpers/paths.ts';
import { needTools } from '../mcu-backend/helpers/tools.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const artefacts = join(repoRoot, '.cache', 'test-artefacts', 'report-html');
const SECTIONS = ['summary', 'layers', 'costs', 'memory', 'dvfs', 'pe', 'explorer'];

test('report.html of the kws build (Cortex-M4 + CGRA) renders in headless chromium: every section and layer, plot marks = layer counts, no console error, no network', { timeout: 600_000 }, async (t) => {
  if (!modelPath('kws')) { t.skip('kws model missing'); return; }
  if (!CHROMIUM) {
    if (process.env.CI === 'true') throw new Error('chromium is missing (Debian: chromium; required when CI=true)');
    t.skip('chromium missing (Debian: chromium)'); return;
  }
  if (!needTools(t, 'm4')) return;
  const work = scratchDir('tinyforge-report-html-');
  try {
    const build = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinyforge.mjs'), 'build', join(repoRoot, 'configs', 'examples', 'kws.yaml'), '--json'], { cwd: work, encoding: 'utf8', timeout: 600_000 });
    assert.equal(build.status, 0, build.stderr.slice(-3000));
    const out = join(work, 'out', 'kws');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src="?http/i, 'self-contained: no external script, style sheet or image');
    const mcu = JSON.parse(readFileSync(join(out, 'mcu', 'report.json'), 'utf8')) as { layers: unknown[]; dvfs?: { segments: unknown[] }; verify: Array<{ ok: boolean }> };
    // The build's own report (--json): the CGRA layers and the array's size.
    const full = JSON.parse(build.stdout) as { layers: Array<{ index: number; cgra?: { strategy: string } }>; config: { targets: { cgra: { rows: number; cols: number } } } };
    const cgra = { layers: full.layers.filter((l): l is { index: number; cgra: { strategy: string } } => l.cgra !== undefined), arch: full.config.targets.cgra };
    assert.equal(full.layers.length, mcu.layers.length);
    assert.ok(cgra.layers.length > 0);
    assert.ok(mcu.dvfs, 'the kws config names a DVFS part');
    assert.ok(mcu.verify.length > 0 && mcu.verify.every((v) => v.ok));

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`); });
      await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });

      // Every section renders something.
      for (const s of SECTIONS) {
        const size = await page.locator(`#${s}`).boundingBox();
        assert.ok(size && size.height > 40, `section ${s} is rendered`);
        const text = await page.locator(`#${s}`).innerText();
        assert.ok(text.trim().split('\n').length > 1, `section ${s} has content`);
      }
      // Every layer in the table, in order.
      const rows = await page.$$eval('#layer-table tr[data-layer]', (r) => r.map((x) => Number((x as HTMLElement).dataset.layer)));
      assert.deepEqual(rows, mcu.layers.map((_, i) => i));
      // Plot marks, counted in the SVG.
      const figs = await page.$$eval('figure[data-plot]', (fs) => fs.map((f) => ({
        id: (f as HTMLElement).dataset.plot!, declared: Number((f as HTMLElement).dataset.marks),
        bar: f.querySelectorAll('g[aria-label=bar] rect').length, dot: f.querySelectorAll('g[aria-label=dot] circle').length,
        cell: f.querySelectorAll('g[aria-label=cell] rect').length, rect: f.querySelectorAll('g[aria-label=rect] rect').length,
      })));
      const fig = (id: string) => { const f = figs.find((x) => x.id === id); assert.ok(f, `plot ${id} present`); return f!; };
      assert.equal(fig('cost-mcu').bar, mcu.layers.length, 'one Cortex-M cost bar per layer');
      assert.equal(fig('cost-cgra').bar, cgra.layers.length, 'one CGRA cost bar per CGRA layer');
      assert.equal(fig('memory').dot, mcu.layers.length, 'one point of the live-memory curve per layer');
      assert.equal(fig('dvfs').rect, mcu.dvfs!.segments.length, 'one DVFS segment per planned segment');
      const pe = figs.filter((f) => f.id.startsWith('pe-'));
      assert.deepEqual(pe.map((f) => Number(f.id.slice(3))), cgra.layers.map((l) => l.index), 'one PE heatmap per CGRA layer');
      for (const f of pe) assert.equal(f.cell, cgra.arch.rows * cgra.arch.cols, `${f.id}: one cell per PE`);
      for (const f of figs) assert.equal(f.bar + f.dot + f.cell + f.rect, f.declared, `${f.id}: the marks drawn are the marks declared`);
      // The explorer follows the selection.
      const l = cgra.layers[cgra.layers.length - 1]!;
      await page.selectOption('#explorer-layer', String(l.index));
      const shown = await page.locator('#explorer-info pre').innerText();
      const want = readFileSync(join(out, 'cgra', `layer-${l.index}-${l.cgra.strategy}.mapping.txt`), 'utf8');
      assert.equal(shown.trim(), want.trim());
      // Screenshots (test artefacts).
      rmSync(artefacts, { recursive: true, force: true });
      mkdirSync(artefacts, { recursive: true });
      for (const s of SECTIONS) await page.locator(`#${s}`).screenshot({ path: join(artefacts, `${s}.png`) });
      assert.deepEqual(readdirSync(artefacts).sort(), SECTIONS.map((s) => `${s}.png`).sort());
      assert.deepEqual(problems, []);
      t.diagnostic(`screenshots in ${artefacts}`);
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
