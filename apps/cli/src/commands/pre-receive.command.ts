import type { Command } from 'commander';

import { connect, withConnectionOptions } from '../admin-options.js';
import { CliError } from '../cli.errors.js';
import type { CliContext } from '../cli.types.js';
import { PlatformClient } from '../platform.client.js';
import { runPreReceive } from '../pre-receive/pre-receive.hook.js';
import { readAll } from '../stdin.js';

/** `lfs-depot pre-receive`: the git hook that enforces LFS locks and refuses pointers to objects never uploaded. */
export function addPreReceiveCommand(program: Command, ctx: CliContext): void {
  withConnectionOptions(program.command('pre-receive'), { json: false })
    .summary('git pre-receive hook: refuse pushes that touch locked files or lack LFS objects')
    .description(
      "Run by git as a bare repository's pre-receive hook: reads '<old> <new> <ref>' lines on standard input, " +
        'lists with git the paths the pushed commits change and the LFS pointers they add, and asks the server. ' +
        'The push is refused (exit 1) when it changes a path locked by someone else or references an LFS object ' +
        'the project does not have; the message names each path with its lock owner and each missing object. ' +
        'When the server cannot be reached the push is refused too, unless LFS_DEPOT_FAIL_OPEN=1.',
    )
    .option('--project <path>', 'project path (default: $LFS_DEPOT_PROJECT)')
    .option('--user <name>', 'pushing user (default: $LFS_DEPOT_USER, else $REMOTE_USER)')
    .addHelpText(
      'after',
      '\nInstall it in a bare repository:\n' +
        "  printf '#!/bin/sh\\nexec /opt/lfs-depot/bin/lfs-depot pre-receive\\n' > hooks/pre-receive\n" +
        '  chmod +x hooks/pre-receive\n' +
        'with LFS_DEPOT_URL, LFS_DEPOT_TOKEN and LFS_DEPOT_PROJECT in the environment of the git server.',
    )
    .action(async (options: { project?: string; user?: string }, command: Command) => {
      const env = ctx.env;
      const project = options.project ?? nonEmpty(env['LFS_DEPOT_PROJECT']);
      if (project === undefined) {
        throw new CliError('push refused: LFS_DEPOT_PROJECT is not set (the LFS project of this repository)');
      }
      const username = options.user ?? nonEmpty(env['LFS_DEPOT_USER']) ?? nonEmpty(env['REMOTE_USER']);
      if (username === undefined) {
        throw new CliError('push refused: the pushing user is unknown; set LFS_DEPOT_USER (or REMOTE_USER)');
      }
      ctx.exitCode = await runPreReceive({
        updates: await readAll(ctx.io.stdin),
        project: project.replace(/^\/+|\/+$/g, '').replace(/\.git$/, ''),
        username,
        git: { cwd: ctx.cwd, env },
        client: new PlatformClient(connect(ctx, command)),
        failOpen: env['LFS_DEPOT_FAIL_OPEN'] === '1',
        stderr: ctx.io.stderr,
      });
    });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
