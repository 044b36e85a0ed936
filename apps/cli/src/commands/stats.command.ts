import type { StatisticsView } from '@lfs-depot/contracts';

import { defineAdminCommand } from '../admin-command.js';
import { describeBytes } from '../bytes.js';
import { formatFields } from '../output.js';

/** `lfs-depot stats <project>` */
export const statsCommand = defineAdminCommand({
  name: 'stats',
  summary: "show a project's LFS object count, stored size and quota use",
  usage: 'lfs-depot stats <project>',
  description:
    'Shows how many LFS objects <project> links, their total size and how much of its quota that uses.\n' +
    'Objects shared with other projects count in full for each of them.',
  positionals: ['project'],
  options: {},
  async run({ args, admin, output }) {
    const statistics = await admin().getStatistics(args.project);
    output.result(statistics, (s) => formatStatistics(args.project, s));
  },
});

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
