import type { Command } from 'commander';

import { adminSession, withConnectionOptions } from '../admin-options.js';
import type { CliContext } from '../cli.types.js';
import { addGroup } from '../program.js';
import { readAll } from '../stdin.js';

interface CreateOptions {
  password?: string;
  passwordStdin?: boolean;
  admin?: boolean;
}

/** `lfs-depot users …` */
export function addUsersCommands(program: Command, ctx: CliContext): void {
  const users = addGroup(program, 'users', 'manage users');

  withConnectionOptions(users.command('create'))
    .summary('create a user (optionally an admin)')
    .description(
      'Creates a user. A user without a password can still authenticate with access tokens ' +
        "(see 'lfs-depot tokens create').",
    )
    .argument('<username>')
    .option('--password <password>', 'set a password (visible in the process list; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input (one trailing newline is dropped)')
    .option('--admin', 'make the user an administrator')
    .addHelpText(
      'after',
      '\nExample:\n  printf \'%s\\n\' "$PASSWORD" | lfs-depot users create alice --password-stdin',
    )
    .action(async (username: string, options: CreateOptions, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const password = await readPassword(ctx, command, options);
      const user = await admin().createUser({
        username,
        ...(password === undefined ? {} : { password }),
        ...(options.admin === true ? { admin: true } : {}),
      });
      output.result(user, (u) => `Created ${u.admin ? 'admin user' : 'user'} ${u.username} (id ${u.id})`);
    });

  withConnectionOptions(users.command('delete'))
    .summary('delete a user with their tokens and memberships')
    .description(
      "Deletes <username>, their access tokens and their memberships; their locks go too. The user's " +
        'transfer credentials stop working at once. With --json nothing is printed on success.',
    )
    .argument('<username>')
    .action(async (username: string, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      await admin().deleteUser(username);
      output.result(undefined, () => `Deleted user ${username}`);
    });
}

/** The password of --password or --password-stdin, if either was given. */
async function readPassword(
  ctx: CliContext,
  command: Command,
  options: { password?: string; passwordStdin?: boolean },
): Promise<string | undefined> {
  if (options.password !== undefined && options.passwordStdin === true) {
    command.error('give either --password or --password-stdin, not both');
  }
  if (options.passwordStdin !== true) {
    return options.password;
  }
  const password = (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '');
  if (password === '') {
    command.error('--password-stdin: standard input was empty');
  }
  return password;
}
