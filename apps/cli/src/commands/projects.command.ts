import type { ProjectDetailsView, ProjectView, Visibility } from '@lfs-depot/contracts';
import { VISIBILITIES } from '@lfs-depot/contracts';

import { defineAdminCommand } from '../admin-command.js';
import { describeBytes, parseSize } from '../bytes.js';
import { isError } from '../cli.errors.js';
import { defineGroup } from '../command.js';
import { formatFields } from '../output.js';

const VISIBILITY_OPTIONS = {
  public: { type: 'boolean', help: 'anyone may download without credentials (same as --visibility public)' },
  private: { type: 'boolean', help: 'only members may read (same as --visibility private)' },
  visibility: { type: 'string', value: 'private|public', help: 'who may download' },
} as const;

const QUOTA_OPTION = {
  quota: {
    type: 'string',
    value: 'size',
    help: 'storage quota, e.g. 500M or 10G (none: no quota)',
  },
} as const;

const SIZE_HELP = 'Sizes are bytes or a number with K, M, G or T (powers of 1024): 1024, 500M, 1.5G, 10G.';

const projectsCreate = defineAdminCommand({
  name: 'projects create',
  summary: 'create a project (the LFS namespace of one repository)',
  usage: 'lfs-depot projects create <path> [--public | --visibility private|public] [--quota <size>]',
  description:
    'Creates a project. <path> is the repository path, e.g. group/sub/name; its LFS endpoint is then\n' +
    '<server>/group/sub/name.git/info/lfs. Projects are private and without quota unless told otherwise.',
  positionals: ['path'],
  options: { ...VISIBILITY_OPTIONS, ...QUOTA_OPTION },
  epilog: `${SIZE_HELP}\n\nExample:\n  lfs-depot projects create games/engine --quota 10G`,
  async run({ args, values, admin, output, usageError }) {
    const visibility = readVisibility(values, usageError);
    const quota = values.quota === undefined ? undefined : readQuota(values.quota, usageError);
    const project = await admin().createProject({
      path: args.path,
      ...(visibility === undefined ? {} : { visibility }),
      ...(quota === undefined ? {} : { quota_bytes: quota }),
    });
    output.result(project, (p) => `Created project ${p.path}\n${formatProject(p, '  ')}`);
  },
});

const projectsShow = defineAdminCommand({
  name: 'projects show',
  summary: "show a project's settings",
  usage: 'lfs-depot projects show <path>',
  description: "Shows a project's id, visibility, quota and creation time.",
  positionals: ['path'],
  options: {},
  async run({ args, admin, output }) {
    const project = await admin().getProject(args.path);
    output.result(project, (p) => formatProject(p));
  },
});

const projectsUpdate = defineAdminCommand({
  name: 'projects update',
  summary: "change a project's visibility or quota",
  usage:
    'lfs-depot projects update <path> [--public | --private | --visibility private|public] [--quota <size> | --no-quota]',
  description: 'Changes the given settings of a project and leaves the others as they are.',
  positionals: ['path'],
  options: {
    ...VISIBILITY_OPTIONS,
    ...QUOTA_OPTION,
    'no-quota': { type: 'boolean', help: 'remove the quota' },
  },
  epilog: SIZE_HELP,
  async run({ args, values, admin, output, usageError }) {
    const visibility = readVisibility(values, usageError);
    if (values.quota !== undefined && values['no-quota'] === true) {
      usageError('give either --quota or --no-quota, not both');
    }
    const quota =
      values['no-quota'] === true
        ? null
        : values.quota === undefined
          ? undefined
          : readQuota(values.quota, usageError);
    if (visibility === undefined && quota === undefined) {
      usageError('nothing to update: give --visibility, --public, --private, --quota or --no-quota');
    }
    const project = await admin().updateProject(args.path, {
      ...(visibility === undefined ? {} : { visibility }),
      ...(quota === undefined ? {} : { quota_bytes: quota }),
    });
    output.result(project, (p) => `Updated project ${p.path}\n${formatProject(p, '  ')}`);
  },
});

const projectsDelete = defineAdminCommand({
  name: 'projects delete',
  summary: 'delete a project',
  usage: 'lfs-depot projects delete <path>',
  description:
    'Deletes a project. Objects that other projects also link stay stored for them. With --json nothing\n' +
    'is printed on success (the server answers 204 without a body).',
  positionals: ['path'],
  options: {},
  async run({ args, admin, output }) {
    await admin().deleteProject(args.path);
    output.result(undefined, () => `Deleted project ${args.path}`);
  },
});

/** `lfs-depot projects …` */
export const projectsCommand = defineGroup('projects', 'create, show, update and delete projects', [
  projectsCreate,
  projectsShow,
  projectsUpdate,
  projectsDelete,
]);

function readVisibility(
  values: { public?: boolean; private?: boolean; visibility?: string },
  usageError: (message: string) => never,
): Visibility | undefined {
  const chosen = new Set<string>();
  if (values.public === true) {
    chosen.add('public');
  }
  if (values.private === true) {
    chosen.add('private');
  }
  if (values.visibility !== undefined) {
    chosen.add(values.visibility);
  }
  if (chosen.size > 1) {
    usageError(`conflicting visibility: ${[...chosen].join(' and ')}`);
  }
  const [visibility] = chosen;
  if (visibility === undefined) {
    return undefined;
  }
  const known = VISIBILITIES.find((v) => v === visibility);
  if (known === undefined) {
    usageError(`--visibility must be private or public, not '${visibility}'`);
  }
  return known;
}

function readQuota(text: string, usageError: (message: string) => never): number | null {
  if (text.toLowerCase() === 'none') {
    return null;
  }
  try {
    return parseSize(text);
  } catch (err) {
    return usageError(`--quota: ${isError(err) ? err.message : String(err)}`);
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
