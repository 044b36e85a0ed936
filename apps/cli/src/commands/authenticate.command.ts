import { defineAdminCommand } from '../admin-command.js';
import { CliError } from '../cli.errors.js';
import { resolveConnection } from '../connection.js';
import { PlatformClient } from '../platform.client.js';

const OPERATIONS = ['upload', 'download'] as const;

/** `lfs-depot authenticate <project> <operation>`: the body of an SSH server's `git-lfs-authenticate`. */
export const authenticateCommand = defineAdminCommand({
  name: 'authenticate',
  summary: 'print a git-lfs-authenticate answer (LFS endpoint and a short-lived credential)',
  usage: 'lfs-depot authenticate <project> <operation> [--user <name>]',
  description:
    'Prints the JSON that git-lfs expects from `git-lfs-authenticate <project> <operation>` over SSH: the\n' +
    "project's LFS endpoint (href) and an Authorization header valid for that project only, for a short time.\n" +
    '<operation> is upload or download; a download credential can only read. The user is the one your SSH\n' +
    'server authenticated: --user, else $LFS_DEPOT_USER, else $REMOTE_USER. <project> may carry a leading\n' +
    "'/' and a trailing '.git', as git-lfs sends it.",
  positionals: ['project', 'operation'],
  options: {
    user: {
      type: 'string',
      value: 'name',
      help: 'the authenticated user (default: $LFS_DEPOT_USER, else $REMOTE_USER)',
    },
  },
  epilog:
    'Example, as the git-lfs-authenticate command of an SSH server (the -- keeps a path that looks like an\n' +
    'option, such as --url=..., from being read as one):\n' +
    '  #!/bin/sh\n' +
    '  exec lfs-depot authenticate --user "$SSH_USER" -- "$1" "$2"',
  async run({ args, values, ctx, usageError }) {
    const operation = args.operation;
    if (!(OPERATIONS as readonly string[]).includes(operation)) {
      usageError(`<operation> must be upload or download, not '${operation}'`);
    }
    const username = values.user ?? nonEmpty(ctx.env['LFS_DEPOT_USER']) ?? nonEmpty(ctx.env['REMOTE_USER']);
    if (username === undefined) {
      throw new CliError('no user: pass --user or set LFS_DEPOT_USER (or REMOTE_USER)');
    }
    const client = new PlatformClient(
      resolveConnection({
        env: ctx.env,
        cwd: ctx.cwd,
        url: values.url ?? ctx.globals.url,
        token: values.token ?? ctx.globals.token,
      }),
    );
    const answer = await client.authenticate(args.project.replace(/^\/+|\/+$/g, '').replace(/\.git$/, ''), {
      username,
      operation: operation as (typeof OPERATIONS)[number],
    });
    // git-lfs reads this JSON whatever --json says.
    ctx.io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  },
});

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
