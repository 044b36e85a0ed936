import { parseArgs } from 'node:util';

import { isError, UsageError } from './cli.errors.js';
import type { GlobalOptions } from './cli.types.js';

/** One command line option: how parseArgs reads it and how --help describes it. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder shown in help for a string option, e.g. `size` in `--quota <size>`. */
  readonly value?: string;
  readonly help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed values of a set of options, typed from their specs. */
export type OptionValues<O extends OptionSpecs> = {
  -readonly [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean;
};

/** Where a usage error should send the reader. */
export interface UsageInfo {
  readonly usage: readonly string[];
  readonly helpHint: string;
}

/** Parses a command's arguments strictly; any unknown option or missing value becomes a UsageError. */
export function parseCommandArgs<O extends OptionSpecs>(
  args: readonly string[],
  options: O,
  usage: UsageInfo,
): { values: OptionValues<O>; positionals: string[] } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(options)) {
    config[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  }
  try {
    const parsed = parseArgs({ args: [...args], options: config, allowPositionals: true, strict: true });
    // strict mode guarantees every value has the type its spec declares, which is what OptionValues says.
    return { values: parsed.values as OptionValues<O>, positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError(describeParseError(err), usage.usage, usage.helpHint);
  }
}

/** True when -h or --help appears before a `--` terminator, so help wins over any other mistake. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') {
      return false;
    }
    if (arg === '-h' || arg === '--help') {
      return true;
    }
  }
  return false;
}

/** Formats option specs as the aligned `Options:` block of a help text. */
export function formatOptions(options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}`;
    return [spec.type === 'string' ? `${flag} <${spec.value ?? 'value'}>` : flag, spec.help] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join('\n');
}

/** The options that may precede the command name, and the arguments from the command name on. */
export interface LeadingOptions {
  readonly globals: GlobalOptions;
  readonly help: boolean;
  readonly rest: readonly string[];
}

/**
 * Reads `--url`, `--token`, `--json` and `--help` placed before the command name. Hand-rolled rather than
 * parseArgs because parsing must stop at the first positional: everything after it belongs to the command.
 */
export function readLeadingOptions(argv: readonly string[], usage: UsageInfo): LeadingOptions {
  let url: string | undefined;
  let token: string | undefined;
  let json = false;
  let help = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      break;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name === '-h' || name === '--help') {
      help = true;
    } else if (name === '--json') {
      json = true;
    } else if (name === '--url' || name === '--token') {
      const value = inline ?? argv[++i];
      if (value === undefined) {
        throw new UsageError(`option '${name}' needs a value`, usage.usage, usage.helpHint);
      }
      if (name === '--url') {
        url = value;
      } else {
        token = value;
      }
    } else {
      throw new UsageError(`unknown option '${name}'`, usage.usage, usage.helpHint);
    }
  }
  const globals: GlobalOptions = {
    ...(url === undefined ? {} : { url }),
    ...(token === undefined ? {} : { token }),
    ...(json ? { json } : {}),
  };
  return { globals, help, rest: argv.slice(i) };
}

function describeParseError(err: unknown): string {
  if (!isError(err)) {
    return String(err);
  }
  // Node's messages go on to explain `--` quoting at length; the first sentence is what the user needs.
  const first = err.message.split(/\.\s/)[0] ?? err.message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}
