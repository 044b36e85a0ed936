import { readLeadingOptions } from './args.js';
import { ExitCode, UsageError } from './cli.errors.js';
import type { Command, CommandContext, GlobalOptions, Io } from './cli.types.js';
import { COMMANDS } from './commands/index.js';
import { formatTopLevelHelp, TOP_USAGE } from './help.js';
import { reportError } from './report-error.js';

/** Knobs that production takes from the process and tests set explicitly. */
export interface MainOptions {
  /** Directory against which ./data/admin-token is resolved; defaults to process.cwd(). */
  readonly cwd?: string;
  /** The command table; defaults to COMMANDS. */
  readonly commands?: readonly Command[];
}

/** Runs `lfs-depot <argv…>` and resolves to its exit code; never throws and never calls process.exit. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: Io,
  options: MainOptions = {},
): Promise<number> {
  const commands = options.commands ?? COMMANDS;
  const ctx = (globals: GlobalOptions): CommandContext => ({
    env,
    io,
    cwd: options.cwd ?? process.cwd(),
    globals,
  });
  try {
    const { globals, help, rest } = readLeadingOptions(argv, TOP_USAGE);
    const [name, ...args] = rest;
    if (help || name === undefined || name === 'help') {
      // `lfs-depot --help projects` and `lfs-depot help projects` mean the same.
      const topics = help ? rest.filter((word) => word !== 'help') : name === 'help' ? args : undefined;
      return await showHelp(topics, commands, ctx(globals));
    }
    return await findCommand(commands, name).run(args, ctx(globals));
  } catch (err) {
    return reportError(err, io.stderr);
  }
}

/** `lfs-depot help [cmd…]` and `lfs-depot --help`; `lfs-depot` alone is a usage error. */
async function showHelp(
  topics: readonly string[] | undefined,
  commands: readonly Command[],
  ctx: CommandContext,
): Promise<number> {
  if (topics === undefined) {
    throw new UsageError('missing command', TOP_USAGE.usage, TOP_USAGE.helpHint);
  }
  const [topic, ...more] = topics;
  if (topic === undefined) {
    ctx.io.stdout.write(formatTopLevelHelp(commands));
    return ExitCode.OK;
  }
  // `help projects create` is `projects create --help`.
  return findCommand(commands, topic).run([...more, '--help'], ctx);
}

function findCommand(commands: readonly Command[], name: string): Command {
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    throw new UsageError(`unknown command '${name}'`, TOP_USAGE.usage, TOP_USAGE.helpHint);
  }
  return command;
}
