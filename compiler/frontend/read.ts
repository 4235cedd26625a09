// Reading a model file with a one-line error when it is missing, not a regular file or too large.
import { existsSync } from 'node:fs';
import { TinyforgeError } from '../diagnostics.ts';
import { readInputFile } from '../files.ts';

export function readModelFile(path: string): Uint8Array {
  if (!existsSync(path)) throw new TinyforgeError('no such file', { file: path });
  return new Uint8Array(readInputFile(path, 'model'));
}
