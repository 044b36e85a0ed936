import type { StatisticsView } from '@lfs-depot/contracts';
import type { Command } from 'commander';

import { adminSession, withConnectionOptions } from '../admin-options.js';
import { describeBytes } from '../bytes.js';
import type { CliContext } from '../cli.types.js';
import { formatFields } from '../output.js';

/** `lfs-depot stats <project>` */
export function addStatsCommand(program: Command, ctx: CliContext): void {
  withConnectionOptions(program.command('stats'))
    .summary("show a project's LFS object count, stored size and quota use")
    .description(
      'Shows how many LFS objects <project> links, their total size and how much of its quota that uses. ' +
        'Objects shared with other projects count in full for each of them.',
    )
    .argument('<project>')
    .action(async (project: string, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const statistics = await admin().getStatistics(project);
      output.result(statistics, (s) => formatStatistics(project, s));
    });
}

function formatStatistics(project: string, s: StatisticsView): string {
  return formatFields([
    ['project', project],
    ['objects', String(s.lfs_objects_count)],
    ['size', describeBytes(s.lfs_objects_size)],
    ['quota', s.quota_bytes === null ? 'none' : `${describeBytes(s.quota_bytes)}, ${describeUse(s)} used`],
  ]);
}

function describeUse({ lfs_objects_size: size, quota_bytes: quota }: StatisticsView): string {
  if (quota === null || quota === 0) {
    return size === 0 ? '0%' : '100%';
  }
  return `${((size / quota) * 100).toFixed(1)}%`;
}
