// Locates the repository root at run time (the CLI runs from dist/, tests from .cache/, an installed
// package from node_modules/tinyforge/dist/ without the TypeScript sources), so backends can find their
// non-TypeScript assets (C harness files, the golden runtime's .wasm).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let d = start;
  while (!(existsSync(join(d, 'package.json')) && (existsSync(join(d, 'compiler')) || existsSync(join(d, 'dist', 'golden.wasm'))))) {
    const up = dirname(d);
    if (up === d) throw new Error('tinyforge: repository root not found above ' + start);
    d = up;
  }
  return d;
}

export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const distDir = join(repoRoot, 'dist');
