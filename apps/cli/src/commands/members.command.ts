import { ROLES } from '@lfs-depot/contracts';

import { defineAdminCommand } from '../admin-command.js';
import { defineGroup } from '../command.js';

const membersSet = defineAdminCommand({
  name: 'members set',
  summary: 'add a user to a project or change their role',
  usage: 'lfs-depot members set <project> <username> <read|write|maintainer>',
  description:
    'Gives <username> a role in <project>: read (download), write (also upload and lock) or maintainer\n' +
    "(also remove other users' locks). Setting a role again replaces the previous one.",
  positionals: ['project', 'username', 'role'],
  options: {},
  async run({ args, admin, output, usageError }) {
    const role = ROLES.find((r) => r === args.role);
    if (role === undefined) {
      return usageError(`role must be read, write or maintainer, not '${args.role}'`);
    }
    const membership = await admin().setMember(args.project, args.username, role);
    output.result(membership, (m) => `${m.username} now has role ${m.role} in ${m.project}`);
  },
});

const membersRemove = defineAdminCommand({
  name: 'members remove',
  summary: 'remove a user from a project',
  usage: 'lfs-depot members remove <project> <username>',
  description: 'Removes <username> from <project>. With --json nothing is printed on success.',
  positionals: ['project', 'username'],
  options: {},
  async run({ args, admin, output }) {
    await admin().removeMember(args.project, args.username);
    output.result(undefined, () => `Removed ${args.username} from ${args.project}`);
  },
});

/** `lfs-depot members …` */
export const membersCommand = defineGroup('members', 'manage who may use a project', [
  membersSet,
  membersRemove,
]);
