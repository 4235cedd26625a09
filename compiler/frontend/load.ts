// One entry point for every model source: picks the front end by file extension (.tflite -> the flatbuffer
// importer, .yaml/.yml -> the build config loader, which returns its graph and the config).
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { TinyforgeError } from '../diagnostics.ts';
import type { Graph } from '../ir/graph.ts';
import { readModelFile } from './read.ts';
import { importTflite } from './tflite/import.ts';
import { loadConfig, type BuildConfig } from './yaml/config.ts';

export { readModelFile };

export interface LoadedModel {
  graph: Graph;
  /** Present when the model came from a YAML build config. */
  config?: BuildConfig;
}

export function loadModel(path: string): LoadedModel {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new TinyforgeError('is a directory', { file: path }, 'expected a .tflite model or a .yaml/.yml build config');
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.tflite') return { graph: importTflite(readModelFile(path), path) };
  if (ext === '.yaml' || ext === '.yml') {
    const config = loadConfig(path);
    return { graph: config.graph, config };
  }
  throw new TinyforgeError(`unknown model format '${ext || '(no extension)'}'`, { file: path },
    'expected a .tflite model or a .yaml/.yml build config');
}
