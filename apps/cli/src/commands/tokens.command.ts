import { defineAdminCommand } from '../admin-command.js';
import { defineGroup } from '../command.js';

const tokensCreate = defineAdminCommand({
  name: 'tokens create',
  summary: 'create an access token for a user and print it (it is shown only once)',
  usage: 'lfs-depot tokens create <username> <name> [--expires-at <date>]',
  description:
    'Creates a personal access token for <username>, labelled <name>, and prints the token alone on\n' +
    'standard output so that TOKEN=$(lfs-depot tokens create …) captures it. The server keeps only a hash:\n' +
    'this is the only time the token is shown. Use it as the password for HTTP Basic authentication.',
  positionals: ['username', 'name'],
  options: {
    'expires-at': {
      type: 'string',
      value: 'date',
      help: 'expiry as an ISO 8601 date or time, e.g. 2030-01-31',
    },
  },
  epilog: 'Example:\n  TOKEN=$(lfs-depot tokens create ci-bot deploy --expires-at 2030-01-31)',
  async run({ args, values, admin, output, usageError }) {
    let expiresAt: string | undefined;
    if (values['expires-at'] !== undefined) {
      const time = Date.parse(values['expires-at']);
      if (Number.isNaN(time)) {
        usageError(`--expires-at: '${values['expires-at']}' is not an ISO 8601 date`);
      }
      expiresAt = new Date(time).toISOString();
    }
    const created = await admin().createToken(args.username, {
      name: args.name,
      ...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
    });
    output.result(created, (t) => t.token);
  },
});

const tokensCreatePlatform = defineAdminCommand({
  name: 'tokens create-platform',
  summary: "create a platform token for a git host's hooks and SSH server and print it (shown only once)",
  usage: 'lfs-depot tokens create-platform <name> [--projects <path,path,…>]',
  description:
    'Creates a platform token labelled <name> and prints it alone on standard output. It may only call\n' +
    'push-check (the pre-receive hook) and lfs-authenticate (git-lfs-authenticate); every other admin route\n' +
    'refuses it with 403. With --projects it is valid for those project paths only. The server keeps only a\n' +
    'hash: this is the only time the token is shown.',
  positionals: ['name'],
  options: {
    projects: {
      type: 'string',
      value: 'paths',
      help: 'comma-separated project paths the token is limited to (default: every project)',
    },
  },
  epilog:
    'Example:\n  HOOK_TOKEN=$(lfs-depot tokens create-platform gitlab-hooks --projects games/engine,games/art)',
  async run({ args, values, admin, output, usageError }) {
    let projects: string[] | undefined;
    if (values.projects !== undefined) {
      projects = values.projects.split(',').map((project) => project.trim());
      if (projects.some((project) => project === '')) {
        usageError(`--projects: '${values.projects}' names an empty project path`);
      }
    }
    const created = await admin().createPlatformToken({
      name: args.name,
      ...(projects === undefined ? {} : { projects }),
    });
    output.result(created, (t) => t.token);
  },
});

/** `lfs-depot tokens …` */
export const tokensCommand = defineGroup('tokens', 'manage access tokens', [
  tokensCreate,
  tokensCreatePlatform,
]);
