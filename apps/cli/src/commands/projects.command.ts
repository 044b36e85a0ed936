import type { ProjectDetailsView, ProjectSummaryView, ProjectView, Visibility } from '@lfs-depot/contracts';
import { formatBytes, VISIBILITIES } from '@lfs-depot/contracts';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';

import { adminSession, withConnectionOptions, withLimitOption } from '../admin-options.js';
import { describeBytes, parseSize } from '../bytes.js';
import type { CliContext } from '../cli.types.js';
import { isError } from '../cli.errors.js';
import { formatFields, formatTable } from '../output.js';
import { addGroup } from '../program.js';

interface VisibilityOptions {
  public?: boolean;
  private?: boolean;
  visibility?: Visibility;
}

interface QuotaOptions {
  /** A size, null for `--quota none`, false for `--no-quota`. */
  quota?: number | null | false;
}

const PROJECT_COLUMNS = [
  { heading: 'path', value: (p: ProjectSummaryView) => p.path },
  { heading: 'visibility', value: (p: ProjectSummaryView) => p.visibility },
  { heading: 'objects', value: (p: ProjectSummaryView) => String(p.lfs_objects_count) },
  { heading: 'size', value: (p: ProjectSummaryView) => formatBytes(p.lfs_objects_size) },
  {
    heading: 'quota',
    value: (p: ProjectSummaryView) => (p.quota_bytes === null ? 'none' : formatBytes(p.quota_bytes)),
  },
  { heading: 'used', value: (p: ProjectSummaryView) => describeUse(p.lfs_objects_size, p.quota_bytes) },
];

const SIZE_HELP = 'Sizes are bytes or a number with K, M, G or T (powers of 1024): 1024, 500M, 1.5G, 10G.';

/** `lfs-depot projects …` */
export function addProjectsCommands(program: Command, ctx: CliContext): void {
  const projects = addGroup(program, 'projects', 'create, show, update and delete projects');

  withVisibilityAndQuota(withConnectionOptions(projects.command('create')))
    .summary('create a project (the LFS namespace of one repository)')
    .description(
      'Creates a project. <path> is the repository path, e.g. group/sub/name; its LFS endpoint is then ' +
        '<server>/group/sub/name.git/info/lfs. Projects are private and without quota unless told otherwise.',
    )
    .argument('<path>')
    .addHelpText('after', `\n${SIZE_HELP}\n\nExample:\n  lfs-depot projects create games/engine --quota 10G`)
    .action(async (path: string, options: VisibilityOptions & QuotaOptions, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const visibility = readVisibility(options);
      const project = await admin().createProject({
        path,
        ...(visibility === undefined ? {} : { visibility }),
        ...(options.quota === undefined || options.quota === false ? {} : { quota_bytes: options.quota }),
      });
      output.result(project, (p) => `Created project ${p.path}\n${formatProject(p, '  ')}`);
    });

  withLimitOption(withConnectionOptions(projects.command('list')))
    .summary('list projects with their usage and quota')
    .description(
      'Lists projects in path order: path, visibility, LFS object count and size, quota and how much of it is ' +
        "used. With --json, a JSON array of the server's project objects (sizes in bytes).",
    )
    .option('--prefix <text>', 'only paths starting with this text, e.g. games/ for everything under games')
    .addOption(
      new Option('--visibility <visibility>', 'only projects of this visibility').choices(VISIBILITIES),
    )
    .action(
      async (options: { prefix?: string; visibility?: Visibility; limit?: number }, command: Command) => {
        const { admin, output } = adminSession(ctx, command);
        const list = await admin().listProjects(
          { prefix: options.prefix, visibility: options.visibility },
          options.limit,
        );
        output.result(list, (p) => formatTable(p, PROJECT_COLUMNS, 'no projects'));
      },
    );

  withConnectionOptions(projects.command('show'))
    .summary("show a project's settings")
    .description("Shows a project's id, visibility, quota, creation time and members.")
    .argument('<path>')
    .action(async (path: string, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const project = await admin().getProject(path);
      output.result(project, (p) => formatProject(p));
    });

  const update = withVisibilityAndQuota(withConnectionOptions(projects.command('update')))
    .summary("change a project's visibility or quota")
    .description('Changes the given settings of a project and leaves the others as they are.')
    .argument('<path>')
    .option('--no-quota', 'remove the quota')
    .addHelpText('after', `\n${SIZE_HELP}`);
  // --quota and --no-quota set the same value, which commander's .conflicts() cannot tell apart.
  const quotaFlags = new Set<string>();
  update.on('option:quota', () => quotaFlags.add('--quota'));
  update.on('option:no-quota', () => quotaFlags.add('--no-quota'));
  update.action(async (path: string, options: VisibilityOptions & QuotaOptions, command: Command) => {
    const visibility = readVisibility(options);
    if (quotaFlags.size > 1) {
      command.error('give either --quota or --no-quota, not both');
    }
    const quota = options.quota === false ? null : options.quota;
    if (visibility === undefined && quota === undefined) {
      command.error('nothing to update: give --visibility, --public, --private, --quota or --no-quota');
    }
    const { admin, output } = adminSession(ctx, command);
    const project = await admin().updateProject(path, {
      ...(visibility === undefined ? {} : { visibility }),
      ...(quota === undefined ? {} : { quota_bytes: quota }),
    });
    output.result(project, (p) => `Updated project ${p.path}\n${formatProject(p, '  ')}`);
  });

  withConnectionOptions(projects.command('delete'))
    .summary('delete a project')
    .description(
      'Deletes a project. Objects that other projects also link stay stored for them. With --json nothing ' +
        'is printed on success (the server answers 204 without a body).',
    )
    .argument('<path>')
    .action(async (path: string, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      await admin().deleteProject(path);
      output.result(undefined, () => `Deleted project ${path}`);
    });
}

function withVisibilityAndQuota(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--public',
        'anyone may download without credentials (same as --visibility public)',
      ).conflicts(['private', 'visibility']),
    )
    .addOption(
      new Option('--private', 'only members may read (same as --visibility private)').conflicts('visibility'),
    )
    .addOption(new Option('--visibility <visibility>', 'who may download').choices(VISIBILITIES))
    .addOption(
      new Option('--quota <size>', 'storage quota, e.g. 500M or 10G (none: no quota)').argParser(parseQuota),
    );
}

/** `15.0%`, or `-` without a quota. */
function describeUse(size: number, quota: number | null): string {
  if (quota === null) {
    return '-';
  }
  return quota === 0 ? (size === 0 ? '0%' : '100%') : `${((size / quota) * 100).toFixed(1)}%`;
}

function readVisibility(options: VisibilityOptions): Visibility | undefined {
  return options.public === true ? 'public' : options.private === true ? 'private' : options.visibility;
}

function parseQuota(text: string): number | null {
  if (text.toLowerCase() === 'none') {
    return null;
  }
  try {
    return parseSize(text);
  } catch (err) {
    throw new InvalidArgumentError(isError(err) ? err.message : String(err));
  }
}

/** The human rendering shared by create, show and update. */
function formatProject(project: ProjectView & Partial<ProjectDetailsView>, indent = ''): string {
  return formatFields(
    [
      ['path', project.path],
      ['id', project.id],
      ['visibility', project.visibility],
      ['quota', project.quota_bytes === null ? 'none' : describeBytes(project.quota_bytes)],
      ['created', project.created_at],
      [
        'members',
        project.members === undefined
          ? undefined
          : project.members.length === 0
            ? 'none'
            : project.members.map((m) => `${m.username} (${m.role})`).join(', '),
      ],
    ],
    indent,
  );
}
