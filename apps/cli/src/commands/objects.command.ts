import type { ProjectObjectView } from '@lfs-depot/contracts';
import { formatBytes } from '@lfs-depot/contracts';
import type { Command } from 'commander';

import { adminSession, withConnectionOptions, withLimitOption } from '../admin-options.js';
import type { CliContext } from '../cli.types.js';
import { formatTable } from '../output.js';
import { addGroup } from '../program.js';

const OBJECT_COLUMNS = [
  { heading: 'oid', value: (o: ProjectObjectView) => o.oid },
  { heading: 'size', value: (o: ProjectObjectView) => formatBytes(o.size) },
  { heading: 'linked', value: (o: ProjectObjectView) => o.created_at },
];

/** `lfs-depot objects …` */
export function addObjectsCommands(program: Command, ctx: CliContext): void {
  const objects = addGroup(program, 'objects', "list a project's LFS objects");

  withLimitOption(withConnectionOptions(objects.command('list')))
    .summary('list the LFS objects a project links')
    .description(
      'Lists the LFS objects <project> links, in oid order: oid, size and when the project linked it. With ' +
        "--json, a JSON array of the server's objects ({oid, size, created_at}, size in bytes).",
    )
    .argument('<project>')
    .action(async (project: string, options: { limit?: number }, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const list = await admin().listObjects(project, options.limit);
      output.result(list, (o) => formatTable(o, OBJECT_COLUMNS, `${project} links no LFS objects`));
    });
}
