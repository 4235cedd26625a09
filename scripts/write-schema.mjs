// Writes configs/tinyforge.schema.json from compiler/frontend/yaml/schema.ts (the one source of the config
// schema), so editors with the YAML language server complete and check configs. Run after changing the
// schema: node scripts/write-schema.mjs (tests check the committed file is current).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './build.mjs';

const out = join(root, '.cache', 'schema', 'schema.mjs');
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'compiler', 'frontend', 'yaml', 'schema.ts')], outfile: out, bundle: true,
  platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning',
});
const { configSchema } = await import(pathToFileURL(out).href + `?t=${Date.now()}`);
const file = join(root, 'configs', 'tinyforge.schema.json');
mkdirSync(join(root, 'configs'), { recursive: true });
writeFileSync(file + '.tmp', JSON.stringify(configSchema, null, 2) + '\n');
renameSync(file + '.tmp', file);
console.log('wrote configs/tinyforge.schema.json');
