import type { Command } from 'commander';
import { CommanderError } from 'commander';

import { withConnectionOptions } from './admin-options.js';
import { ExitCode } from './cli.errors.js';
import type { CliContext, Io } from './cli.types.js';
import { COMMANDS, type CommandFamily } from './commands/index.js';
import { findInstallDir } from './install-dir.js';
import { createProgram, usageError } from './program.js';
import { reportError } from './report-error.js';

/** Knobs that production takes from the process and tests set explicitly. */
export interface MainOptions {
  /** Directory against which ./data/admin-token is resolved; defaults to process.cwd(). */
  readonly cwd?: string;
  /** The checkout whose data/admin-token is the last resort; defaults to the one holding this module. */
  readonly installDir?: string;
  /** The command families to offer; defaults to COMMANDS. */
  readonly commands?: readonly CommandFamily[];
}

const HELP_FOOTER = `
Environment:
  LFS_DEPOT_URL    server base URL (default http://127.0.0.1:8080)
  LFS_DEPOT_TOKEN  admin token; if unset, read from the admin-token file of --data-dir, else of the first
                   of $DATA_DIR, ./data and this checkout's data/ that has one

Exit status: 0 on success, 1 when the request failed, 2 when the command line is wrong.
Run 'lfs-depot <command> --help' for a command's arguments and options.`;

/** Runs `lfs-depot <argv…>` and resolves to its exit code; never throws and never calls process.exit. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: Io,
  options: MainOptions = {},
): Promise<number> {
  const ctx: CliContext = {
    env,
    io,
    cwd: options.cwd ?? process.cwd(),
    installDir: options.installDir ?? findInstallDir(),
    exitCode: ExitCode.OK,
  };
  try {
    await buildProgram(ctx, options.commands ?? COMMANDS).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError && err.code === 'commander.helpDisplayed') {
      return ExitCode.OK;
    }
    return reportError(err, io.stderr);
  }
}

/** The whole command tree for one run. */
function buildProgram(ctx: CliContext, families: readonly CommandFamily[]): Command {
  const program = withConnectionOptions(createProgram(ctx))
    .description('lfs-depot: command line for the lfs-depot admin API')
    .usage('[--url <url>] [--token <token>] [--data-dir <dir>] [--json] <command> [<args>]')
    .addHelpText('after', HELP_FOOTER)
    .argument('[command...]')
    .action((words: string[], _options: unknown, command: Command) => {
      throw usageError(command, words[0] === undefined ? 'missing command' : `unknown command '${words[0]}'`);
    });
  for (const add of families) {
    add(program, ctx);
  }
  program
    .command('help')
    .summary('show help for a command')
    .argument('[command...]')
    .action((words: string[]) => {
      // `help projects create` is `projects create --help`.
      let target: Command = program;
      for (const word of words) {
        const next = target.commands.find((c) => c.name() === word);
        if (next === undefined) {
          throw usageError(program, `unknown command '${words.join(' ')}'`);
        }
        target = next;
      }
      target.outputHelp();
    });
  return program;
}
