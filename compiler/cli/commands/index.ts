// Every CLI command, in the order `tinyforge --help` lists them.
import type { Command } from '../command.ts';
import { inspect } from './inspect.ts';
import { build } from './build.ts';
import { run } from './run.ts';
import { verify } from './verify.ts';
import { cgra } from './cgra.ts';
import { ops } from './ops.ts';

export const commands: Command[] = [inspect, build, run, verify, cgra, ops];
