import type { UserView } from '@lfs-depot/contracts';
import type { Command } from 'commander';

import { adminSession, withConnectionOptions, withLimitOption } from '../admin-options.js';
import type { CliContext } from '../cli.types.js';
import { formatFields, formatTable } from '../output.js';
import { addGroup } from '../program.js';
import { readAll } from '../stdin.js';

const USER_COLUMNS = [
  { heading: 'username', value: (u: UserView) => u.username },
  { heading: 'id', value: (u: UserView) => u.id },
  { heading: 'admin', value: (u: UserView) => (u.admin ? 'yes' : 'no') },
  { heading: 'created', value: (u: UserView) => u.created_at },
];

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

  withConnectionOptions(users.command('show'))
    .summary('show a user')
    .description("Shows a user's id, whether they are an administrator and when they were created.")
    .argument('<username>')
    .action(async (username: string, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const user = await admin().getUser(username);
      output.result(user, (u) =>
        formatFields([
          ['username', u.username],
          ['id', u.id],
          ['admin', u.admin ? 'yes' : 'no'],
          ['created', u.created_at],
        ]),
      );
    });

  withLimitOption(withConnectionOptions(users.command('list')))
    .summary('list users')
    .description(
      'Lists users in username order: username, id, whether they are an administrator, when they were created. ' +
        "With --json, a JSON array of the server's user objects.",
    )
    .option('--prefix <text>', 'only usernames starting with this text')
    .option('--admin', 'only administrators')
    .action(async (options: { prefix?: string; admin?: boolean; limit?: number }, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const list = await admin().listUsers(
        { prefix: options.prefix, admin: options.admin === true ? 'true' : undefined },
        options.limit,
      );
      output.result(list, (u) => formatTable(u, USER_COLUMNS, 'no users'));
    });

  withConnectionOptions(users.command('set-password'))
    .summary("set or remove a user's password")
    .description(
      "Replaces <username>'s password (at least 8 characters), or with --no-password removes it, so that " +
        'only their access tokens sign them in. The old password stops working at once; access tokens keep ' +
        "working ('lfs-depot tokens revoke' ends those). With --json nothing is printed on success.",
    )
    .argument('<username>')
    .option(
      '--password <password>',
      'the new password (visible in the process list; prefer --password-stdin)',
    )
    .option('--password-stdin', 'read the new password from standard input (one trailing newline is dropped)')
    .option('--no-password', 'remove the password: access tokens only')
    .addHelpText(
      'after',
      '\nExample:\n  printf \'%s\\n\' "$PASSWORD" | lfs-depot users set-password alice --password-stdin',
    )
    .action(
      async (
        username: string,
        options: { password?: string | false; passwordStdin?: boolean },
        command: Command,
      ) => {
        const { admin, output } = adminSession(ctx, command);
        let password: string | null;
        if (options.password === false) {
          if (options.passwordStdin === true) {
            command.error('give either --no-password or --password-stdin, not both');
          }
          password = null;
        } else {
          const given = await readPassword(ctx, command, {
            password: options.password,
            passwordStdin: options.passwordStdin,
          });
          if (given === undefined) {
            command.error('give --password, --password-stdin or --no-password');
          }
          password = given;
        }
        await admin().setPassword(username, password);
        output.result(undefined, () =>
          password === null ? `Removed the password of ${username}` : `Set the password of ${username}`,
        );
      },
    );

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
