import type { OptionSpecs, OptionValues, UsageInfo } from './args.js';
import { formatOptions, parseCommandArgs, wantsHelp } from './args.js';
import { ExitCode, UsageError } from './cli.errors.js';
import type { Command, CommandContext } from './cli.types.js';

/** What a leaf command receives once its arguments have been parsed and counted. */
export interface CommandInput<O extends OptionSpecs, P extends readonly string[]> {
  readonly values: OptionValues<O>;
  /** Positional arguments by the names the spec gave them. */
  readonly args: Readonly<Record<P[number], string>>;
  readonly ctx: CommandContext;
  /** Throws a UsageError for this command (a value that parsed but makes no sense). */
  readonly usageError: (message: string) => never;
}

/** The description of a leaf command: its arguments, options, help text and behaviour. */
export interface CommandSpec<O extends OptionSpecs, P extends readonly string[]> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Paragraph(s) shown by --help between the usage line and the options. */
  readonly description: string;
  readonly positionals: P;
  readonly options: O;
  /** Extra text after the options (examples, notes). */
  readonly epilog?: string;
  run(input: CommandInput<O, P>): Promise<number | void>;
}

/** Builds a leaf command that handles --help, strict option parsing and the positional count. */
export function defineCommand<const O extends OptionSpecs, const P extends readonly string[]>(
  spec: CommandSpec<O, P>,
): Command {
  const usage = [spec.usage];
  const info: UsageInfo = { usage, helpHint: `lfs-depot ${spec.name} --help` };
  const help = [
    `usage: ${spec.usage}`,
    '',
    spec.description,
    '',
    'Options:',
    formatOptions(spec.options),
    ...(spec.epilog === undefined ? [] : ['', spec.epilog]),
    '',
  ].join('\n');

  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    async run(argv, ctx) {
      if (wantsHelp(argv)) {
        ctx.io.stdout.write(help);
        return ExitCode.OK;
      }
      const usageError = (message: string): never => {
        throw new UsageError(message, info.usage, info.helpHint);
      };
      const { values, positionals } = parseCommandArgs(argv, spec.options, info);
      if (positionals.length < spec.positionals.length) {
        usageError(
          `missing ${spec.positionals
            .slice(positionals.length)
            .map((p) => `<${p}>`)
            .join(' ')}`,
        );
      }
      if (positionals.length > spec.positionals.length) {
        usageError(`unexpected argument '${positionals[spec.positionals.length] ?? ''}'`);
      }
      const args: Record<string, string> = {};
      spec.positionals.forEach((name, i) => {
        args[name] = positionals[i] ?? '';
      });
      const code = await spec.run({
        values,
        // Every name in spec.positionals was filled just above.
        args: args as Record<P[number], string>,
        ctx,
        usageError,
      });
      return code ?? ExitCode.OK;
    },
  };
}

/** Builds a command such as `projects` that dispatches to its subcommands by the next word. */
export function defineGroup(name: string, summary: string, subcommands: readonly Command[]): Command {
  const usage = subcommands.flatMap((sub) => sub.usage);
  const helpHint = `lfs-depot ${name} --help`;
  const width = Math.max(...subcommands.map((sub) => sub.name.length)) + 2;
  const help = [
    `usage: ${usage.join('\n       ')}`,
    '',
    `${summary.charAt(0).toUpperCase()}${summary.slice(1)}.`,
    '',
    'Commands:',
    ...subcommands.map((sub) => `  ${sub.name.padEnd(width)}${sub.summary}`),
    '',
    `Run 'lfs-depot ${name} <command> --help' for a command's options.`,
    '',
  ].join('\n');

  return {
    name,
    summary,
    usage,
    subcommands,
    async run(argv, ctx) {
      const [word, ...rest] = argv;
      if (word === '-h' || word === '--help' || word === 'help') {
        ctx.io.stdout.write(help);
        return ExitCode.OK;
      }
      if (word === undefined) {
        throw new UsageError(`'${name}' needs a command`, usage, helpHint);
      }
      const sub = subcommands.find((candidate) => candidate.name === `${name} ${word}`);
      if (sub === undefined) {
        throw new UsageError(`unknown command '${name} ${word}'`, usage, helpHint);
      }
      return sub.run(rest, ctx);
    },
  };
}
