import type { UsageInfo } from './args.js';
import type { Command } from './cli.types.js';

/** Usage of the program as a whole, for usage errors before a command is known. */
export const TOP_USAGE: UsageInfo = {
  usage: ['lfs-depot [--url <url>] [--token <token>] [--json] <command> [<args>]'],
  helpHint: 'lfs-depot --help',
};

/** The text of `lfs-depot --help`: every command, the environment and where to read more. */
export function formatTopLevelHelp(commands: readonly Command[]): string {
  const rows = commands.flatMap((command) =>
    (command.subcommands ?? [command]).map((leaf) => [leaf.name, leaf.summary] as const),
  );
  rows.push(['help [<command>]', 'show help for a command']);
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return [
    'lfs-depot: command line for the lfs-depot admin API',
    '',
    `usage: ${TOP_USAGE.usage.join('\n       ')}`,
    '',
    'Commands:',
    ...rows.map(([name, summary]) => `  ${name.padEnd(width)}${summary}`),
    '',
    'Options (before the command or after it):',
    '  --url <url>      server base URL',
    '  --token <token>  admin bearer token',
    "  --json           print the server's JSON answer instead of text",
    '  -h, --help       show help',
    '',
    'Environment:',
    '  LFS_DEPOT_URL    server base URL (default http://127.0.0.1:8080)',
    '  LFS_DEPOT_TOKEN  admin token; if unset, read from ./data/admin-token ($DATA_DIR/admin-token)',
    '',
    'Exit status: 0 on success, 1 when the request failed, 2 when the command line is wrong.',
    "Run 'lfs-depot <command> --help' for a command's arguments and options.",
    '',
  ].join('\n');
}
