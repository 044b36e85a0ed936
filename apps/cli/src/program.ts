import type { ErrorOptions } from 'commander';
import type { Option } from 'commander';
import { Command, Help } from 'commander';

import { UsageError } from './cli.errors.js';
import type { CliContext } from './cli.types.js';

/**
 * commander's Command, with every command line mistake (unknown option, missing argument, bad choice, and the
 * errors our actions raise through `command.error()`) thrown as a UsageError, which main() reports with the
 * command's usage and exit status 2, instead of printing and exiting the process.
 */
export class CliCommand extends Command {
  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }

  override createHelp(): Help {
    return Object.assign(new CliHelp(), this.configureHelp());
  }

  override error(message: string, _options?: ErrorOptions): never {
    throw usageError(this, message.replace(/^error: /, ''));
  }
}

/** A UsageError for `command`, carrying its usage line and where to read its help. */
export function usageError(command: Command, message: string): UsageError {
  const name = commandPath(command);
  return new UsageError(message, [`${name} ${command.usage()}`], `${name} --help`);
}

/** The words that run `command`: `lfs-depot projects create`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) {
    names.unshift(c.name());
  }
  return names.join(' ');
}

/** The help heading of --url, --token, --data-dir and --json, listed after a command's own options. */
export const CONNECTION_OPTIONS_HEADING = 'Connection options:';

/**
 * Help that names subcommands by their full path, lists every leaf command in the program's own help, and puts
 * the connection options after a command's own.
 */
class CliHelp extends Help {
  override groupItems<T extends Command | Option>(
    unsortedItems: T[],
    visibleItems: T[],
    getGroup: (item: T) => string,
  ): Map<string, T[]> {
    const groups = super.groupItems(unsortedItems, visibleItems, getGroup);
    const connection = groups.get(CONNECTION_OPTIONS_HEADING);
    if (connection !== undefined) {
      groups.delete(CONNECTION_OPTIONS_HEADING);
      groups.set(CONNECTION_OPTIONS_HEADING, connection);
    }
    return groups;
  }

  override subcommandTerm(command: Command): string {
    const args = command.registeredArguments.map((arg) => {
      const name = `${arg.name()}${arg.variadic ? '...' : ''}`;
      return arg.required ? `<${name}>` : `[${name}]`;
    });
    return [commandPath(command).replace(/^\S+ /, ''), ...args].join(' ');
  }

  override visibleCommands(command: Command): Command[] {
    const visible = super.visibleCommands(command);
    return command.parent === null ? visible.flatMap((c) => leaves(c, this)) : visible;
  }
}

function leaves(command: Command, help: Help): Command[] {
  const children = help.visibleCommands(command);
  return children.length === 0 ? [command] : children.flatMap((c) => leaves(c, help));
}

/**
 * The root `lfs-depot` command, set up so that everything added with `.command()` inherits it: output to the
 * context's streams, exceptions instead of process.exit, options of the program only before the command name
 * (so a command's arguments are never read as the program's options), and our help layout.
 */
export function createProgram(ctx: CliContext): CliCommand {
  const program = new CliCommand('lfs-depot');
  program
    .enablePositionalOptions()
    .exitOverride()
    .helpCommand(false)
    .helpOption('-h, --help', 'show this help')
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  return program;
}

/**
 * Adds a command such as `projects` that only dispatches to its subcommands, or returns the one `parent` has
 * already (so that two files can add commands to one group). Alone, or followed by a word that is none of its
 * subcommands, it is a usage error; `<group> help` shows its help.
 */
export function addGroup(parent: Command, name: string, summary: string): Command {
  const existing = parent.commands.find((c) => c.name() === name);
  if (existing !== undefined) {
    return existing;
  }
  return parent
    .command(name)
    .summary(summary)
    .description(`${summary.charAt(0).toUpperCase()}${summary.slice(1)}.`)
    .usage('<command> [options]')
    .argument('[command...]')
    .action((words: string[], _options: unknown, command: Command) => {
      const [word] = words;
      if (word === 'help') {
        command.outputHelp();
        return;
      }
      throw usageError(
        command,
        word === undefined ? `'${name}' needs a command` : `unknown command '${name} ${word}'`,
      );
    });
}
