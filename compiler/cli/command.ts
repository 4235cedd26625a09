// The shape of a CLI command: typed metadata (name, summary, usage, options) plus a run function.
// main.ts parses options with node:util parseArgs from this metadata, so every command rejects unknown
// options the same way.
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
}

export interface Command {
  name: string;
  summary: string;
  /** e.g. `inspect <model.tflite|config.yaml> [--json]` */
  usage: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments: [min, max]. */
  positionals: [number, number];
  /** Sub-commands (e.g. `cgra asm`); when present, the first positional selects one. */
  subcommands?: Command[];
  run(args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> }): Promise<number>;
}
