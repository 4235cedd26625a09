// Every CLI command, in the order `tinyforge --help` lists them.
import type { Command } from '../command.ts';
import { inspect } from './inspect.ts';
import { cgra } from './cgra.ts';

export const commands: Command[] = [inspect, cgra];
