import type { LockView } from '@lfs-depot/contracts';
import type { Command } from 'commander';

import { adminSession, withConnectionOptions, withLimitOption } from '../admin-options.js';
import type { CliContext } from '../cli.types.js';
import { formatTable } from '../output.js';
import { addGroup } from '../program.js';

const LOCK_COLUMNS = [
  { heading: 'id', value: (l: LockView) => l.id },
  { heading: 'path', value: (l: LockView) => l.path },
  { heading: 'owner', value: (l: LockView) => l.owner.name },
  { heading: 'locked', value: (l: LockView) => l.locked_at },
];

/** `lfs-depot locks …` */
export function addLocksCommands(program: Command, ctx: CliContext): void {
  const locks = addGroup(program, 'locks', "list and remove a project's file locks");

  withLimitOption(withConnectionOptions(locks.command('list')))
    .summary("list a project's file locks, whoever holds them")
    .description(
      'Lists the locks of <project> (git lfs lock), oldest first: id, path, owner and since when. With --json, a ' +
        "JSON array of the server's lock objects.",
    )
    .argument('<project>')
    .option('--path <path>', 'only the lock on this path')
    .option('--owner <username>', 'only locks held by this user')
    .action(
      async (
        project: string,
        options: { path?: string; owner?: string; limit?: number },
        command: Command,
      ) => {
        const { admin, output } = adminSession(ctx, command);
        const list = await admin().listLocks(
          project,
          { path: options.path, owner: options.owner },
          options.limit,
        );
        output.result(list, (l) => formatTable(l, LOCK_COLUMNS, `${project} has no locks`));
      },
    );

  withConnectionOptions(locks.command('unlock'))
    .summary('remove a lock whoever holds it (needs --force)')
    .description(
      "Removes lock <id> (as locks list shows it) from <project> whoever holds it, as a maintainer's " +
        '`git lfs unlock --force` does; the server records it in the audit trail. --force is required, to say ' +
        "that you mean to remove someone else's lock. With --json, the server's answer ({lock}).",
    )
    .argument('<project>')
    .argument('<id>')
    .option('--force', "remove the lock even though it is someone else's")
    .action(async (project: string, id: string, options: { force?: boolean }, command: Command) => {
      if (options.force !== true) {
        command.error(
          "an admin unlock removes the lock whoever holds it: add --force if that's what you mean",
        );
      }
      const { admin, output } = adminSession(ctx, command);
      const answer = await admin().forceUnlock(project, id);
      output.result(
        answer,
        ({ lock }) => `Unlocked ${lock.path} in ${project} (lock ${lock.id}, held by ${lock.owner.name})`,
      );
    });
}
