// Reading a model file with a one-line error when it is missing or not a file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { TinyforgeError } from '../diagnostics.ts';

export function readModelFile(path: string): Uint8Array {
  if (!existsSync(path)) throw new TinyforgeError('no such file', { file: path });
  if (!statSync(path).isFile()) throw new TinyforgeError('not a file', { file: path });
  return new Uint8Array(readFileSync(path));
}
