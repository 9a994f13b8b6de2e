/**
 * Command-line parsing for the `tszoo` subcommands: node's `util.parseArgs` with a help text built from
 * the same option table, and errors that name the option and the command instead of a stack trace.
 */
import { parseArgs } from 'node:util';

/** One option of a command. */
export interface CliOption {
  type: 'string' | 'boolean';
  /** one letter, e.g. 'n' for -n */
  short?: string;
  /** the option may be given several times (its value is then an array) */
  multiple?: boolean;
  /** the value when the option is absent (shown in the help) */
  default?: string | boolean;
  /** shown in the help: what the option does */
  help: string;
  /** placeholder for the value in the help, e.g. 'DIR' */
  value?: string;
}

/** A command: its name as typed (`'cxr train'`), a one-line summary, its options and positionals. */
export interface CliCommand {
  name: string;
  summary: string;
  /** e.g. '[PATH...]' or 'SCRIPT [ARGS...]' */
  positionals?: string;
  options: Record<string, CliOption>;
  /** extra lines after the options: examples, environment variables */
  epilog?: string;
}

/** A usage mistake: the CLI prints its message and the command's help, then exits with status 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** The help text of a command. */
export function formatHelp(cmd: CliCommand): string {
  const lines = [
    `Usage: tszoo ${cmd.name} [options]${cmd.positionals ? ` ${cmd.positionals}` : ''}`,
    '',
    cmd.summary,
    '',
  ];
  const rows = Object.entries({
    ...cmd.options,
    help: { type: 'boolean', short: 'h', help: 'show this help' } as CliOption,
  }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const dflt = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : '';
    return [flag, `${o.help}${dflt}`] as const;
  });
  const width = Math.min(36, Math.max(...rows.map(([f]) => f.length)) + 2);
  lines.push('Options:');
  for (const [flag, text] of rows) lines.push(`  ${flag.padEnd(width)}${text}`);
  if (cmd.epilog) lines.push('', cmd.epilog);
  return `${lines.join('\n')}\n`;
}

/** Parsed arguments: option values by name (defaults applied) and the positionals. */
export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** true when -h/--help was given: the caller prints {@link formatHelp} and exits 0 */
  help: boolean;
}

/**
 * Parses `argv` (the arguments after the subcommand's name) against `cmd`. Unknown options, missing
 * values and the like throw a {@link CliUsageError} naming the option.
 *
 * @example
 * ```ts
 * const cmd: CliCommand = { name: 'serve', summary: 'serve a model', options: { port: { type: 'string', default: '8080', help: 'HTTP port' } } };
 * const { values, help } = parseCommand(cmd, process.argv.slice(3));
 * if (help) process.stdout.write(formatHelp(cmd));
 * const port = intOption(values, 'port', { min: 0, max: 65535 });
 * ```
 */
export function parseCommand(
  cmd: CliCommand,
  argv: readonly string[],
  options: { allowPositionals?: boolean; strictAfter?: boolean } = {},
): ParsedCommand {
  const spec: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }
  > = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(cmd.options)) {
    spec[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.default !== undefined ? { default: o.default } : {}),
    };
  }
  try {
    const r = parseArgs({
      args: [...argv],
      options: spec as Parameters<typeof parseArgs>[0] extends infer P
        ? P extends { options?: infer O }
          ? O
          : never
        : never,
      allowPositionals: options.allowPositionals ?? cmd.positionals !== undefined,
      strict: true,
    });
    const values = r.values as ParsedCommand['values'];
    return { values, positionals: r.positionals, help: values.help === true };
  } catch (e) {
    throw new CliUsageError(`tszoo ${cmd.name}: ${(e as Error).message}`);
  }
}

/** Bounds of a numeric option, inclusive. */
export interface OptionBounds {
  min?: number;
  max?: number;
}

function numericOption(values: ParsedCommand['values'], name: string, bounds: OptionBounds, integer: boolean) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const valid = integer
    ? typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) && Number.isSafeInteger(n)
    : typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(n);
  if (!valid) throw new CliUsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${String(raw)}'`);
  if (bounds.min !== undefined && n < bounds.min)
    throw new CliUsageError(`--${name} must be >= ${bounds.min}, got ${n}`);
  if (bounds.max !== undefined && n > bounds.max)
    throw new CliUsageError(`--${name} must be <= ${bounds.max}, got ${n}`);
  return n;
}

/** A string option's value as an integer within bounds, or a {@link CliUsageError} naming the option. */
export function intOption(
  values: ParsedCommand['values'],
  name: string,
  bounds: OptionBounds = {},
): number | undefined {
  return numericOption(values, name, bounds, true);
}

/** A string option's value as a finite number within bounds, or a {@link CliUsageError} naming the option. */
export function numberOption(
  values: ParsedCommand['values'],
  name: string,
  bounds: OptionBounds = {},
): number | undefined {
  return numericOption(values, name, bounds, false);
}
