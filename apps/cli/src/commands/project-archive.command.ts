import { createReadStream, createWriteStream, fstatSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { ProjectImportReport } from '@lfs-depot/contracts';
import { formatBytes } from '@lfs-depot/contracts';
import type { Command } from 'commander';

import { connect, connectionOptions, withConnectionOptions } from '../admin-options.js';
import { ArchiveClient } from '../archive.client.js';
import { ArchiveProgress } from '../archive-progress.js';
import { CliError, ExitCode } from '../cli.errors.js';
import type { CliContext, TextSink } from '../cli.types.js';
import { LifecycleClient } from '../lifecycle.client.js';
import { formatFields, isTerminal, Output } from '../output.js';
import { addGroup } from '../program.js';

/** Standard output as a byte sink, waiting for 'drain' where the sink has it (process.stdout). */
function byteSink(sink: TextSink): Writable {
  const drains = sink as Partial<Pick<NodeJS.WritableStream, 'once'>>;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const ok = (sink as unknown as { write(bytes: Buffer): unknown }).write(chunk);
      if (ok === false && typeof drains.once === 'function') {
        drains.once('drain', () => callback());
      } else {
        callback();
      }
    },
  });
}

/** The archive's length when it is a file (--input, or standard input redirected from one), else null. */
async function inputSize(ctx: CliContext, input: string | undefined): Promise<number | null> {
  try {
    if (input !== undefined) {
      return (await stat(input)).size;
    }
    const fd = (ctx.io.stdin as { fd?: unknown }).fd;
    if (typeof fd === 'number') {
      const stdin = fstatSync(fd);
      return stdin.isFile() ? stdin.size : null;
    }
  } catch {
    // Not there (the read says why) or not a file: a bar without a total.
  }
  return null;
}

function describeImport(report: ProjectImportReport): string {
  const lines = [
    `${report.created ? 'Created and imported' : 'Imported into'} ${report.project} (job ${report.job_id})`,
    formatFields([
      ['listed', `${report.listed} (${formatBytes(report.listed_size)})`],
      ['linked', `${report.linked} (${formatBytes(report.linked_size)})`],
      ['already linked', String(report.already_linked)],
      ['refused', String(report.failed)],
      ['missing', String(report.missing)],
      [
        'project now',
        `${report.statistics.lfs_objects_count} objects, ${formatBytes(report.statistics.lfs_objects_size)}`,
      ],
    ]),
  ];
  for (const failure of report.failures) {
    lines.push(`refused ${failure.oid}: ${failure.reason}`);
  }
  if (report.failed > report.failures.length) {
    lines.push(`… and ${report.failed - report.failures.length} more refused`);
  }
  return lines.join('\n');
}

/** `lfs-depot projects export` and `projects import` */
export function addProjectArchiveCommands(program: Command, ctx: CliContext): void {
  const projects = addGroup(program, 'projects', 'create, show, update and delete projects');

  withConnectionOptions(projects.command('export'), { json: false })
    .summary("write a project's objects and settings as a tar, to move it to another server")
    .description(
      'Streams <project> as a tar archive to standard output (or --output): manifest.json with the project ' +
        'settings and the totals, then every object the project links, each checked against its SHA-256 on the ' +
        "way out. Import it on another server with 'lfs-depot projects import'. The export is a job while it " +
        "runs ('lfs-depot jobs list'), with a progress bar on a terminal; exit status 1 when it did not finish.",
    )
    .argument('<project>')
    .option('-o, --output <file>', 'write the archive to this file (replaced only once complete)')
    .addHelpText('after', '\nExample:\n  lfs-depot projects export games/engine > engine.tar')
    .action(async (project: string, options: { output?: string }, command: Command) => {
      if (options.output === undefined && isTerminal(ctx.io.stdout)) {
        throw new CliError('standard output is a terminal: redirect it to a file, or use --output <file>');
      }
      const connection = connect(ctx, command);
      const { archive, jobId } = await new ArchiveClient(connection).exportProject(project);
      const partial = options.output === undefined ? undefined : `${options.output}.partial`;
      const progress = isTerminal(ctx.io.stderr)
        ? new ArchiveProgress(ctx.io.stderr, 'export', null)
        : undefined;
      const sink = partial === undefined ? byteSink(ctx.io.stdout) : createWriteStream(partial);
      try {
        await (progress ? pipeline(archive, progress.counter(), sink) : pipeline(archive, sink));
        if (!archive.complete) {
          throw new Error('the answer ended early');
        }
      } catch (error) {
        progress?.stop();
        if (partial !== undefined) {
          await rm(partial, { force: true });
        }
        let why = error instanceof Error ? error.message : String(error);
        if (jobId !== undefined) {
          const job = await new LifecycleClient(connection).getJob(jobId).catch(() => undefined);
          if (job?.error) {
            why = job.error;
          }
        }
        throw new CliError(`export of ${project} failed${jobId ? ` (job ${jobId})` : ''}: ${why}`);
      }
      progress?.stop();
      if (partial !== undefined && options.output !== undefined) {
        await rename(partial, options.output);
      }
    });

  withConnectionOptions(projects.command('import'))
    .summary('read a project archive made by projects export into <project>')
    .description(
      'Reads a tar made by "lfs-depot projects export" from standard input (or --input) and links every object ' +
        "in it to <project>, creating the project with the archive's settings when it does not exist. Each " +
        "object's bytes are checked against its SHA-256 and size as they are stored; an object that does not " +
        'match is stored nowhere and named in the report. Objects count against the quota like uploads ' +
        '(--ignore-quota to link them all anyway). Importing the same archive again changes nothing. A progress ' +
        'bar on a terminal; exit status 1 when an object was refused or missing.',
    )
    .argument('<project>')
    .option('-i, --input <file>', 'read the archive from this file')
    .option('--ignore-quota', "link every object whatever the project's quota")
    .addHelpText('after', '\nExample:\n  lfs-depot projects import games/engine < engine.tar')
    .action(async (project: string, options: { input?: string; ignoreQuota?: boolean }, command: Command) => {
      const output = new Output(ctx.io.stdout, connectionOptions(command).json ?? false);
      const input =
        options.input === undefined ? Readable.from(ctx.io.stdin) : createReadStream(options.input);
      const progress =
        !output.json && isTerminal(ctx.io.stderr)
          ? new ArchiveProgress(ctx.io.stderr, 'import', await inputSize(ctx, options.input))
          : undefined;
      let body: Readable = input;
      if (progress) {
        const counter = progress.counter();
        input.on('error', (error: Error) => counter.destroy(error));
        body = input.pipe(counter);
      }
      let report: ProjectImportReport;
      try {
        report = await new ArchiveClient(connect(ctx, command)).importProject(
          project,
          body,
          options.ignoreQuota === true,
        );
      } finally {
        progress?.stop();
      }
      output.result(report, describeImport);
      if (report.failed > 0 || report.missing > 0) {
        ctx.exitCode = ExitCode.FAILED;
      }
    });
}
