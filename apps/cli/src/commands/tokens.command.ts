import type { PlatformTokenView, TokenView } from '@lfs-depot/contracts';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

import { adminSession, withConnectionOptions, withLimitOption } from '../admin-options.js';
import type { AdminClient } from '../admin.client.js';
import { CliError } from '../cli.errors.js';
import type { CliContext } from '../cli.types.js';
import { formatTable } from '../output.js';
import { addGroup } from '../program.js';

/** `lfs-depot tokens …` */
export function addTokensCommands(program: Command, ctx: CliContext): void {
  const tokens = addGroup(program, 'tokens', 'manage access tokens');

  withConnectionOptions(tokens.command('create'))
    .summary('create an access token for a user and print it (it is shown only once)')
    .description(
      'Creates a personal access token for <username>, labelled <name>, and prints the token alone on ' +
        'standard output so that TOKEN=$(lfs-depot tokens create …) captures it. The server keeps only a hash: ' +
        'this is the only time the token is shown. Use it as the password for HTTP Basic authentication.',
    )
    .argument('<username>')
    .argument('<name>')
    .option('--expires-at <date>', 'expiry as an ISO 8601 date or time, e.g. 2030-01-31', parseDate)
    .addHelpText(
      'after',
      '\nExample:\n  TOKEN=$(lfs-depot tokens create ci-bot deploy --expires-at 2030-01-31)',
    )
    .action(async (username: string, name: string, options: { expiresAt?: string }, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const created = await admin().createToken(username, {
        name,
        ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }),
      });
      output.result(created, (t) => t.token);
    });

  withConnectionOptions(tokens.command('create-platform'))
    .summary("create a platform token for a git host's hooks and SSH server and print it (shown only once)")
    .description(
      'Creates a platform token labelled <name> and prints it alone on standard output. It may only call ' +
        'push-check (the pre-receive hook) and lfs-authenticate (git-lfs-authenticate); every other admin route ' +
        'refuses it with 403. With --projects it is valid for those project paths only. The server keeps only a ' +
        'hash: this is the only time the token is shown.',
    )
    .argument('<name>')
    .option(
      '--projects <paths>',
      'comma-separated project paths the token is limited to (default: every project)',
      parseProjectList,
    )
    .addHelpText(
      'after',
      '\nExample:\n  HOOK_TOKEN=$(lfs-depot tokens create-platform gitlab-hooks --projects games/engine,games/art)',
    )
    .action(async (name: string, options: { projects?: string[] }, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const created = await admin().createPlatformToken({
        name,
        ...(options.projects === undefined ? {} : { projects: options.projects }),
      });
      output.result(created, (t) => t.token);
    });

  withLimitOption(withConnectionOptions(tokens.command('list-platform')))
    .summary('list platform tokens (never the tokens themselves)')
    .description(
      'Lists the platform tokens: id, name, the projects each is limited to, whether it still works and when it ' +
        "was created. With --json, a JSON array of the server's platform token objects.",
    )
    .action(async (options: { limit?: number }, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const list = await admin().listPlatformTokens(options.limit);
      output.result(list, (t) => formatTable(t, PLATFORM_TOKEN_COLUMNS, 'no platform tokens'));
    });

  withConnectionOptions(tokens.command('revoke-platform'))
    .summary('revoke a platform token, by the id that tokens list-platform shows')
    .description(
      'Revokes platform token <id>: from then on the hooks and SSH servers that hold it are refused (401). ' +
        'With --json nothing is printed on success.',
    )
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      await admin().revokePlatformToken(id);
      output.result(undefined, () => `Revoked platform token ${id}`);
    });

  withLimitOption(withConnectionOptions(tokens.command('list')))
    .summary("list a user's access tokens (never the tokens themselves)")
    .description(
      "Lists <username>'s access tokens: id, name, when each was created, expires and was last used, and " +
        "whether it still works. With --json, a JSON array of the server's token objects.",
    )
    .argument('<username>')
    .action(async (username: string, options: { limit?: number }, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const list = await admin().listTokens(username, options.limit);
      output.result(list, (t) => formatTable(t, TOKEN_COLUMNS, `${username} has no access tokens`));
    });

  withConnectionOptions(tokens.command('revoke'))
    .summary('revoke an access token, by the id that tokens list shows or by its name')
    .description(
      "Revokes one of <username>'s access tokens: the one whose id is <token>, else the one token still " +
        'active named <token> (several such are an error naming their ids). From then on it signs in nothing, ' +
        'and the transfer credentials minted from it stop working too. With --json nothing is printed on success.',
    )
    .argument('<username>')
    .argument('<token>', 'id or name')
    .action(async (username: string, token: string, _options: unknown, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const id = await findToken(admin(), username, token);
      await admin().revokeToken(username, id);
      output.result(undefined, () => `Revoked token ${id} of ${username}`);
    });
}

/** The id of `username`'s token `idOrName`: a token with that id, else the only active one of that name. */
async function findToken(admin: AdminClient, username: string, idOrName: string): Promise<string> {
  const list = await admin.listTokens(username);
  if (list.some((t) => t.id === idOrName)) {
    return idOrName;
  }
  const named = list.filter((t) => t.name === idOrName && tokenState(t) === 'active');
  const [only, ...more] = named;
  if (only === undefined) {
    throw new CliError(
      `${username} has no token with id ${idOrName} and no active token named '${idOrName}'`,
    );
  }
  if (more.length > 0) {
    throw new CliError(
      `${username} has ${named.length} active tokens named '${idOrName}' (ids ${named.map((t) => t.id).join(', ')}); ` +
        'revoke one by its id',
    );
  }
  return only.id;
}

const PLATFORM_TOKEN_COLUMNS = [
  { heading: 'id', value: (t: PlatformTokenView) => t.id },
  { heading: 'name', value: (t: PlatformTokenView) => t.name },
  { heading: 'state', value: (t: PlatformTokenView) => (t.revoked_at === null ? 'active' : 'revoked') },
  { heading: 'created', value: (t: PlatformTokenView) => t.created_at },
  {
    heading: 'projects',
    value: (t: PlatformTokenView) => (t.projects === null ? 'all' : t.projects.join(',')),
  },
];

const TOKEN_COLUMNS = [
  { heading: 'id', value: (t: TokenView) => t.id },
  { heading: 'name', value: (t: TokenView) => t.name },
  { heading: 'state', value: tokenState },
  { heading: 'created', value: (t: TokenView) => t.created_at },
  { heading: 'expires', value: (t: TokenView) => t.expires_at ?? 'never' },
  { heading: 'last used', value: (t: TokenView) => t.last_used_at ?? 'never' },
];

function tokenState(token: TokenView): string {
  if (token.revoked_at !== null) {
    return 'revoked';
  }
  return token.expires_at !== null && Date.parse(token.expires_at) <= Date.now() ? 'expired' : 'active';
}

function parseDate(text: string): string {
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new InvalidArgumentError(`'${text}' is not an ISO 8601 date`);
  }
  return new Date(time).toISOString();
}

function parseProjectList(text: string): string[] {
  const projects = text.split(',').map((project) => project.trim());
  if (projects.some((project) => project === '')) {
    throw new InvalidArgumentError(`'${text}' names an empty project path`);
  }
  return projects;
}
