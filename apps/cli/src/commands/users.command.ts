import { defineAdminCommand } from '../admin-command.js';
import { defineGroup } from '../command.js';
import { readAll } from '../stdin.js';

const usersCreate = defineAdminCommand({
  name: 'users create',
  summary: 'create a user (optionally an admin)',
  usage: 'lfs-depot users create <username> [--password <password> | --password-stdin] [--admin]',
  description:
    'Creates a user. A user without a password can still authenticate with access tokens\n' +
    "(see 'lfs-depot tokens create').",
  positionals: ['username'],
  options: {
    password: {
      type: 'string',
      value: 'password',
      help: 'set a password (visible in the process list; prefer --password-stdin)',
    },
    'password-stdin': {
      type: 'boolean',
      help: 'read the password from standard input (one trailing newline is dropped)',
    },
    admin: { type: 'boolean', help: 'make the user an administrator' },
  },
  epilog: 'Example:\n  printf \'%s\\n\' "$PASSWORD" | lfs-depot users create alice --password-stdin',
  async run({ args, values, ctx, admin, output, usageError }) {
    if (values.password !== undefined && values['password-stdin'] === true) {
      usageError('give either --password or --password-stdin, not both');
    }
    let password = values.password;
    if (values['password-stdin'] === true) {
      password = (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '');
      if (password === '') {
        usageError('--password-stdin: standard input was empty');
      }
    }
    const user = await admin().createUser({
      username: args.username,
      ...(password === undefined ? {} : { password }),
      ...(values.admin === true ? { admin: true } : {}),
    });
    output.result(user, (u) => `Created ${u.admin ? 'admin user' : 'user'} ${u.username} (id ${u.id})`);
  },
});

/** `lfs-depot users …` */
export const usersCommand = defineGroup('users', 'manage users', [usersCreate]);
