// Regenerates golden files from the generator table in tests/golden/generators.ts (bundled with esbuild,
// like the tests). Usage: npm run golden:update [-- <generator name>...]. Each file is written to a temp
// name and renamed, and only when its text changed; the script lists what changed.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './build.mjs';

const names = process.argv.slice(2);
const out = join(root, '.cache', 'golden', 'generators.mjs');
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'tests', 'golden', 'generators.ts')], outfile: out, bundle: true, platform: 'node',
  format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning',
});
const { generators } = await import(pathToFileURL(out).href + `?t=${Date.now()}`);
const unknown = names.filter((n) => !generators.some((g) => g.name === n));
if (unknown.length) {
  console.error(`unknown generator(s): ${unknown.join(', ')}; known: ${generators.map((g) => g.name).join(', ')}`);
  process.exit(2);
}
let changed = 0, same = 0;
for (const g of generators) {
  if (names.length && !names.includes(g.name)) continue;
  for (const [rel, text] of await g.produce()) {
    const file = join(root, rel);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) { same++; continue; }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file + '.tmp', text);
    renameSync(file + '.tmp', file);
    console.log(`updated ${rel}`);
    changed++;
  }
}
console.log(`golden: ${changed} updated, ${same} unchanged`);
