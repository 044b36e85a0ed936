import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';

import { AdminClient } from './admin.client.js';
import type { CliContext } from './cli.types.js';
import type { Connection } from './connection.js';
import { resolveConnection } from './connection.js';
import { Output } from './output.js';
import { CONNECTION_OPTIONS_HEADING as GROUP } from './program.js';

/** The options that say how to reach the admin API, accepted before the command name and after it. */
export interface ConnectionOptions {
  readonly url?: string;
  readonly token?: string;
  readonly dataDir?: string;
  readonly json?: boolean;
}

/** Adds --url, --token and --data-dir, and --json unless `json` is false, to a command that calls the server. */
export function withConnectionOptions<C extends Command>(command: C, { json = true } = {}): C {
  if (json) {
    command.addOption(
      new Option('--json', "print the server's JSON answer instead of text").helpGroup(GROUP),
    );
  }
  command
    .addOption(
      new Option(
        '--url <url>',
        `server base URL (default: $LFS_DEPOT_URL, else http://127.0.0.1:8080)`,
      ).helpGroup(GROUP),
    )
    .addOption(
      new Option(
        '--token <token>',
        'admin token (default: $LFS_DEPOT_TOKEN, else the admin-token file)',
      ).helpGroup(GROUP),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        "the server's DATA_DIR, whose admin-token to read (default: $DATA_DIR, ./data, then the checkout's data/)",
      ).helpGroup(GROUP),
    );
  return command;
}

/** The connection options of `command`, given after its name, over those given before it (to the program). */
export function connectionOptions(command: Command): ConnectionOptions {
  let merged: ConnectionOptions = {};
  for (let c: Command | null = command; c !== null; c = c.parent) {
    const { url, token, dataDir, json } = c.opts<ConnectionOptions>();
    merged = {
      ...(url === undefined ? {} : { url }),
      ...(token === undefined ? {} : { token }),
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(json === undefined ? {} : { json }),
      ...merged,
    };
  }
  return merged;
}

/** Resolves the server and token for `command` from its options, the environment and the admin-token files. */
export function connect(ctx: CliContext, command: Command): Connection {
  const { url, token, dataDir } = connectionOptions(command);
  return resolveConnection({ env: ctx.env, cwd: ctx.cwd, installDir: ctx.installDir, url, token, dataDir });
}

/** What an admin command's action works with. */
export interface AdminSession {
  /**
   * The client, resolved on first use so that a command line mistake (exit 2) is reported before a missing
   * token (exit 1).
   */
  readonly admin: () => AdminClient;
  readonly output: Output;
}

/** The client and output of an admin command, from its options and the program's. */
export function adminSession(ctx: CliContext, command: Command): AdminSession {
  let client: AdminClient | undefined;
  return {
    admin: () => (client ??= new AdminClient(connect(ctx, command))),
    output: new Output(ctx.io.stdout, connectionOptions(command).json ?? false),
  };
}

/** Adds --limit to a list command: at most that many items, however many pages that takes. */
export function withLimitOption<C extends Command>(command: C): C {
  command.option('--limit <count>', 'list at most this many (default: all, page after page)', parseLimit);
  return command;
}

function parseLimit(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(count) || count < 1) {
    throw new InvalidArgumentError(`'${text}' is not a positive whole number`);
  }
  return count;
}
