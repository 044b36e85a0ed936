import type { Command } from 'commander';
import { Argument } from 'commander';

import { connect, withConnectionOptions } from '../admin-options.js';
import { CliError } from '../cli.errors.js';
import type { CliContext } from '../cli.types.js';
import { PlatformClient } from '../platform.client.js';

const OPERATIONS = ['upload', 'download'] as const;

/** `lfs-depot authenticate <project> <operation>`: the body of an SSH server's `git-lfs-authenticate`. */
export function addAuthenticateCommand(program: Command, ctx: CliContext): void {
  withConnectionOptions(program.command('authenticate'))
    .summary('print a git-lfs-authenticate answer (LFS endpoint and a short-lived credential)')
    .description(
      'Prints the JSON that git-lfs expects from `git-lfs-authenticate <project> <operation>` over SSH: the ' +
        "project's LFS endpoint (href) and an Authorization header valid for that project only, for a short time. " +
        '<operation> is upload or download; a download credential can only read. The user is the one your SSH ' +
        "server authenticated: --user, else $LFS_DEPOT_USER, else $REMOTE_USER. <project> may carry a leading '/' " +
        "and a trailing '.git', as git-lfs sends it. The answer is JSON whatever --json says.",
    )
    .argument('<project>')
    .addArgument(new Argument('<operation>').choices(OPERATIONS))
    .option('--user <name>', 'the authenticated user (default: $LFS_DEPOT_USER, else $REMOTE_USER)')
    .addHelpText(
      'after',
      '\nExample, as the git-lfs-authenticate command of an SSH server (the -- keeps a path that looks like an\n' +
        'option, such as --url=..., from being read as one):\n' +
        '  #!/bin/sh\n' +
        '  exec lfs-depot authenticate --user "$SSH_USER" -- "$1" "$2"',
    )
    .action(
      async (
        project: string,
        operation: (typeof OPERATIONS)[number],
        options: { user?: string },
        command: Command,
      ) => {
        const username =
          options.user ?? nonEmpty(ctx.env['LFS_DEPOT_USER']) ?? nonEmpty(ctx.env['REMOTE_USER']);
        if (username === undefined) {
          throw new CliError('no user: pass --user or set LFS_DEPOT_USER (or REMOTE_USER)');
        }
        const client = new PlatformClient(connect(ctx, command));
        const answer = await client.authenticate(project.replace(/^\/+|\/+$/g, '').replace(/\.git$/, ''), {
          username,
          operation,
        });
        // git-lfs reads this JSON whatever --json says.
        ctx.io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      },
    );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
