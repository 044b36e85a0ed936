import type { MemberView, Role } from '@lfs-depot/contracts';
import { ROLES } from '@lfs-depot/contracts';
import type { Command } from 'commander';
import { Argument, Option } from 'commander';

import { adminSession, withConnectionOptions, withLimitOption } from '../admin-options.js';
import type { CliContext } from '../cli.types.js';
import { formatTable } from '../output.js';
import { addGroup } from '../program.js';

const MEMBER_COLUMNS = [
  { heading: 'username', value: (m: MemberView) => m.username },
  { heading: 'role', value: (m: MemberView) => m.role },
];

/** `lfs-depot members …` */
export function addMembersCommands(program: Command, ctx: CliContext): void {
  const members = addGroup(program, 'members', 'manage who may use a project');

  withLimitOption(withConnectionOptions(members.command('list')))
    .summary("list a project's members and their roles")
    .description(
      "Lists <project>'s members in username order with their role. With --json, a JSON array of the server's " +
        'member objects ({username, role}).',
    )
    .argument('<project>')
    .addOption(new Option('--role <role>', 'only members with this role').choices(ROLES))
    .action(async (project: string, options: { role?: Role; limit?: number }, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const list = await admin().listMembers(project, { role: options.role }, options.limit);
      output.result(list, (m) => formatTable(m, MEMBER_COLUMNS, `${project} has no members`));
    });

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
