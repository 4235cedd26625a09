// Placeholder until the YAML front end lands (next commit).
import { TinyforgeError } from '../../diagnostics.ts';
import type { Graph } from '../../ir/graph.ts';
export interface BuildConfig { file: string; name: string; graph: Graph }
export function loadConfig(path: string): BuildConfig {
  throw new TinyforgeError('YAML configs are not supported yet', { file: path });
}
