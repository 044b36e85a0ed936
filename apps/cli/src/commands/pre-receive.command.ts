import { CliError } from '../cli.errors.js';
import { defineCommand } from '../command.js';
import { resolveConnection } from '../connection.js';
import { PlatformClient } from '../platform.client.js';
import { runPreReceive } from '../pre-receive/pre-receive.hook.js';
import { readAll } from '../stdin.js';

/** `lfs-depot pre-receive`: the git hook that enforces LFS locks and refuses pointers to objects never uploaded. */
export const preReceiveCommand = defineCommand({
  name: 'pre-receive',
  summary: 'git pre-receive hook: refuse pushes that touch locked files or lack LFS objects',
  usage: 'lfs-depot pre-receive [--project <path>] [--user <name>]',
  description:
    "Run by git as a bare repository's pre-receive hook: reads '<old> <new> <ref>' lines on standard input,\n" +
    'lists with git the paths the pushed commits change and the LFS pointers they add, and asks the server.\n' +
    'The push is refused (exit 1) when it changes a path locked by someone else or references an LFS object\n' +
    'the project does not have; the message names each path with its lock owner and each missing object.\n' +
    'When the server cannot be reached the push is refused too, unless LFS_DEPOT_FAIL_OPEN=1.',
  positionals: [],
  options: {
    project: { type: 'string', value: 'path', help: 'project path (default: $LFS_DEPOT_PROJECT)' },
    user: {
      type: 'string',
      value: 'name',
      help: 'pushing user (default: $LFS_DEPOT_USER, else $REMOTE_USER)',
    },
    url: { type: 'string', value: 'url', help: 'server base URL (default: $LFS_DEPOT_URL)' },
    token: { type: 'string', value: 'token', help: 'admin or service token (default: $LFS_DEPOT_TOKEN)' },
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  },
  epilog:
    'Install it in a bare repository:\n' +
    "  printf '#!/bin/sh\\nexec /opt/lfs-depot/bin/lfs-depot pre-receive\\n' > hooks/pre-receive\n" +
    '  chmod +x hooks/pre-receive\n' +
    'with LFS_DEPOT_URL, LFS_DEPOT_TOKEN and LFS_DEPOT_PROJECT in the environment of the git server.',
  async run({ values, ctx }) {
    const env = ctx.env;
    const project = values.project ?? nonEmpty(env['LFS_DEPOT_PROJECT']);
    if (project === undefined) {
      throw new CliError('push refused: LFS_DEPOT_PROJECT is not set (the LFS project of this repository)');
    }
    const username = values.user ?? nonEmpty(env['LFS_DEPOT_USER']) ?? nonEmpty(env['REMOTE_USER']);
    if (username === undefined) {
      throw new CliError('push refused: the pushing user is unknown; set LFS_DEPOT_USER (or REMOTE_USER)');
    }
    const connection = resolveConnection({
      env,
      cwd: ctx.cwd,
      url: values.url ?? ctx.globals.url,
      token: values.token ?? ctx.globals.token,
    });
    return runPreReceive({
      updates: await readAll(ctx.io.stdin),
      project: project.replace(/^\/+|\/+$/g, '').replace(/\.git$/, ''),
      username,
      git: { cwd: ctx.cwd, env },
      client: new PlatformClient(connection),
      failOpen: env['LFS_DEPOT_FAIL_OPEN'] === '1',
      stderr: ctx.io.stderr,
    });
  },
});

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
