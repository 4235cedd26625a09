// Paths tests need: the repository root, ../shared/models, and a scratch directory.
// The real models are required when CI=true (a missing model fails the test); elsewhere a test may skip.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let d = start;
  while (!existsSync(join(d, 'package.json')) || !existsSync(join(d, 'compiler'))) {
    const up = dirname(d);
    if (up === d) throw new Error('repository root not found above ' + start);
    d = up;
  }
  return d;
}

export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
/** ../shared/models next to the checkout; a git worktree nested deeper finds it in an ancestor's sibling. */
function findModels(): string {
  for (let d = dirname(repoRoot); ; d = dirname(d)) {
    if (existsSync(join(d, 'shared', 'models'))) return join(d, 'shared', 'models');
    if (dirname(d) === d) return join(repoRoot, '..', 'shared', 'models');
  }
}
export const modelsDir = findModels();

export const MODELS = {
  kws: 'kws_ref_model.tflite',
  vww: 'vww_96_int8.tflite',
  resnet: 'pretrainedResnet_quant.tflite',
  ad01: 'ad01_int8.tflite',
  str_ww: 'str_ww_ref_model.tflite',
} as const;
export type ModelKey = keyof typeof MODELS;

/** Path of a real model, or undefined (so the caller can skip) when absent outside CI. Throws in CI. */
export function modelPath(key: ModelKey): string | undefined {
  const p = join(modelsDir, MODELS[key]);
  if (existsSync(p)) return p;
  if (process.env.CI === 'true') throw new Error(`model ${p} is required when CI=true`);
  return undefined;
}

/** ../shared/data next to the checkout (found like modelsDir from nested worktrees). */
function findSharedData(): string {
  for (let d = dirname(repoRoot); ; d = dirname(d)) {
    if (existsSync(join(d, 'shared', 'data'))) return join(d, 'shared', 'data');
    if (dirname(d) === d) return join(repoRoot, '..', 'shared', 'data');
  }
}
export const sharedDataDir = findSharedData();

/** Path of a file under ../shared/data (e.g. 'heepsilon-wp-conv/bitstream.h'), or undefined (so the caller
 *  can skip) when absent outside CI. Throws when CI=true and it is missing. */
export function sharedDataPath(rel: string): string | undefined {
  const p = join(sharedDataDir, rel);
  if (existsSync(p)) return p;
  if (process.env.CI === 'true') throw new Error(`shared data file ${p} is required when CI=true`);
  return undefined;
}

export function scratchDir(prefix = 'tinyforge-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
