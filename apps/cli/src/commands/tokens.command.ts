import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

import { adminSession, withConnectionOptions } from '../admin-options.js';
import type { CliContext } from '../cli.types.js';
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
