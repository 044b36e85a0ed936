import type { Role } from '@lfs-depot/contracts';
import { ROLES } from '@lfs-depot/contracts';
import type { Command } from 'commander';
import { Argument } from 'commander';

import { adminSession, withConnectionOptions } from '../admin-options.js';
import type { CliContext } from '../cli.types.js';
import { addGroup } from '../program.js';

/** `lfs-depot members …` */
export function addMembersCommands(program: Command, ctx: CliContext): void {
  const members = addGroup(program, 'members', 'manage who may use a project');

  withConnectionOptions(members.command('set'))
    .summary('add a user to a project or change their role')
    .description(
      'Gives <username> a role in <project>: read (download), write (also upload and lock) or maintainer ' +
        "(also remove other users' locks). Setting a role again replaces the previous one.",
    )
    .argument('<project>')
    .argument('<username>')
    .addArgument(new Argument('<role>').choices(ROLES))
    .action(async (project: string, username: string, role: Role, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const membership = await admin().setMember(project, username, role);
      output.result(membership, (m) => `${m.username} now has role ${m.role} in ${m.project}`);
    });

  withConnectionOptions(members.command('remove'))
    .summary('remove a user from a project')
    .description('Removes <username> from <project>. With --json nothing is printed on success.')
    .argument('<project>')
    .argument('<username>')
    .action(async (project: string, username: string, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      await admin().removeMember(project, username);
      output.result(undefined, () => `Removed ${username} from ${project}`);
    });
}
