#!/usr/bin/env node
// Entry point of the `tinyforge` command: makes sure the bundle in dist/ is current, then runs it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { ensureBuilt } = await import(join(root, 'scripts', 'build.mjs'));
await ensureBuilt({ quiet: true });
const cli = join(root, 'dist', 'tinyforge.mjs');
if (!existsSync(cli)) {
  process.stderr.write('tinyforge: dist/tinyforge.mjs is missing and could not be built; run `npm run build`\n');
  process.exit(1);
}
const { main } = await import(cli);
process.exitCode = await main(process.argv.slice(2));
