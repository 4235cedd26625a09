// tinyforge's command-line entry: dispatches to the commands in commands/index.ts, prints usage for
// unknown commands or options (exit 2), and prints user errors as one line (exit 1), never a stack trace
// (file-system errors name their path; an unexpected exception prints one line saying it is a bug and the
// command that reproduces it, never the exception's text, unless TINYFORGE_DEBUG is set).
import { parseArgs } from 'node:util';
import { TinyforgeError, UsageError } from '../diagnostics.ts';
import { beginCommand, fromFsError } from '../files.ts';
import type { Command } from './command.ts';
import { commands } from './commands/index.ts';

/** Usage text; `cmd.usage` spells the whole command line after `tinyforge` (e.g. `cgra asm <file.s> ...`). */
function usageOf(cmd: Command): string {
  const lines = [`usage: tinyforge ${cmd.usage}`, '', cmd.summary];
  if (cmd.subcommands) {
    lines.push('', 'subcommands:');
    for (const s of cmd.subcommands) lines.push(`  ${s.usage}`, `      ${s.summary}`);
  }
  const opts = Object.entries(cmd.options);
  if (opts.length) {
    lines.push('', 'options:');
    for (const [name, o] of opts) {
      const flag = (o.short ? `-${o.short}, ` : '') + `--${name}` + (o.type === 'string' ? ' <value>' : '');
      lines.push(`  ${flag.padEnd(28)} ${o.description}`);
    }
  }
  return lines.join('\n');
}

export function globalUsage(): string {
  const lines = ['usage: tinyforge <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `tinyforge <command> --help` for a command\'s options.');
  return lines.join('\n');
}

/** node:util parseArgs' error in our words (its own text is Node's, and suggests '--' tricks). */
function argError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const opt = /'(-[^' ]*)/.exec(err.message ?? '')?.[1] ?? 'an option';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${opt}'`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /does not take an argument/.test(err.message ?? '') ? `option '${opt}' takes no value` : `option '${opt}' needs a value`;
  }
  return 'cannot read the command line';
}

async function dispatch(cmd: Command, argv: string[], prefix: string): Promise<number> {
  const sub = cmd.subcommands?.find((s) => s.name === argv[0]);
  if (sub) return dispatch(sub, argv.slice(1), `${prefix} ${sub.name}`);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usageOf(cmd) + '\n');
    return 0;
  }
  if (cmd.subcommands) throw new UsageError(argv[0] ? `unknown subcommand '${prefix} ${argv[0]}'\n\n${usageOf(cmd)}` : usageOf(cmd));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: cmd.options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${argError(e)}\n\n${usageOf(cmd)}`);
  }
  const [min, max] = cmd.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(`expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}\n\n${usageOf(cmd)}`);
  }
  return cmd.run({ positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | string[] | undefined> });
}

/** A word of a command line as a POSIX shell reads it back (quoted when it holds anything but safe characters). */
export function shellQuote(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** What an unexpected exception prints: one line saying it is a bug, then the command to reproduce it. */
export function bugReport(argv: string[]): string {
  return 'tinyforge: internal error: this is a bug in tinyforge, not in your input; please report it with the command below and its input files (TINYFORGE_DEBUG=1 prints the details)\n' +
    `  tinyforge ${argv.map(shellQuote).join(' ')}`;
}

export async function main(argv: string[]): Promise<number> {
  beginCommand();
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(globalUsage() + '\n');
      return argv.length === 0 ? 2 : 0;
    }
    const cmd = commands.find((c) => c.name === argv[0]);
    if (!cmd) throw new UsageError(`unknown command '${argv[0]}'\n\n${globalUsage()}`);
    return await dispatch(cmd, argv.slice(1), `tinyforge ${cmd.name}`);
  } catch (caught) {
    // Last line of defence: a file-system error names its path; anything else is a bug in tinyforge,
    // reported in one line (TINYFORGE_DEBUG=1 prints the stack trace).
    const e = caught instanceof TinyforgeError ? caught : fromFsError(caught);
    if (e) {
      process.stderr.write(`tinyforge: ${e instanceof UsageError ? '' : 'error: '}${e.format()}\n`);
      return e.exitCode;
    }
    if (process.env.TINYFORGE_DEBUG) throw caught;
    // Never the exception's own text (JavaScript engine words a user cannot act on): what happened, and the
    // command that reproduces it.
    process.stderr.write(`${bugReport(argv)}\n`);
    return 1;
  }
}
