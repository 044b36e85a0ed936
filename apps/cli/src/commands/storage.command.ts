import type { JobView, StorageMigrationReport } from '@lfs-depot/contracts';
import { formatBytes } from '@lfs-depot/contracts';
import type { Command } from 'commander';

import { connect, connectionOptions, withConnectionOptions } from '../admin-options.js';
import { parseSize } from '../bytes.js';
import { CliError, ExitCode } from '../cli.errors.js';
import { followJobUntilEnded } from '../follow-job.js';
import type { CliContext } from '../cli.types.js';
import { formatFields, isTerminal, Output } from '../output.js';
import { addGroup, usageError } from '../program.js';
import { MigrationProgressBar } from '../storage/migration-progress.js';
import { StorageClient } from '../storage/storage.client.js';

export function describeMigration(report: StorageMigrationReport): string {
  const lines = [
    formatFields([
      ['from', report.from],
      ['to', report.to],
      ['objects', `${report.objects} (${formatBytes(report.bytes)})`],
      ['copied', `${report.copied} (${formatBytes(report.copied_bytes)}), each verified`],
      ['already there', String(report.already_migrated)],
      ['purged meanwhile', String(report.purged)],
      ['missing', String(report.missing)],
      ['corrupt', String(report.corrupt)],
      ['failed', String(report.failed)],
      ['remaining', String(report.remaining)],
    ]),
  ];
  for (const problem of report.problems) {
    lines.push(
      `${problem.reason} ${problem.oid} (${problem.size} bytes)${problem.message ? `: ${problem.message}` : ''}`,
    );
  }
  lines.push(
    report.remaining === 0
      ? 'Nothing left on the fallback: STORAGE_FALLBACK can be removed (restart every instance without it).'
      : `${report.remaining} object(s) are not on the new backend; run the migration again once they are fixed (failed ones are retried).`,
  );
  return lines.join('\n');
}

/** `lfs-depot storage migrate` */
export function addStorageCommands(program: Command, ctx: CliContext): void {
  const storage = addGroup(program, 'storage', 'move objects between storage backends');
  withConnectionOptions(storage.command('migrate'))
    .summary('copy every object from STORAGE_FALLBACK to STORAGE')
    .description(
      'Queues a migration on the server and follows it (a progress bar on a terminal): every object the database ' +
        'records is copied from the old backend (STORAGE_FALLBACK) to the new one (STORAGE), its SHA-256 and size ' +
        'verified as it is written; objects already there are skipped, so running it again resumes. The old ' +
        "backend's copies are kept. Exit status 0 when nothing is left (remove STORAGE_FALLBACK then), 1 when " +
        'objects remain or the job failed.',
    )
    .option('--concurrency <n>', 'objects copied at once (1 to 32)', '4')
    .option('--max-rate <size>', 'most bytes read per second, e.g. 50M (default: no limit)')
    .action(async (options: { concurrency: string; maxRate?: string }, command: Command) => {
      const concurrency = Number(options.concurrency);
      if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 32) {
        throw usageError(command, '--concurrency must be an integer from 1 to 32');
      }
      let maxRate: number | undefined;
      if (options.maxRate !== undefined) {
        try {
          maxRate = parseSize(options.maxRate);
        } catch (error) {
          throw usageError(command, `--max-rate: ${(error as Error).message}`);
        }
        if (maxRate < 1) {
          throw usageError(command, '--max-rate must be at least 1 byte per second');
        }
      }
      const output = new Output(ctx.io.stdout, connectionOptions(command).json ?? false);
      const client = new StorageClient(connect(ctx, command));
      const started = await client.startMigration({
        concurrency,
        ...(maxRate === undefined ? {} : { max_bytes_per_second: maxRate }),
      });
      const bar =
        !output.json && isTerminal(ctx.io.stderr) ? new MigrationProgressBar(ctx.io.stderr) : undefined;
      let job: JobView;
      try {
        job = await followJobUntilEnded(
          (id) => client.getJob(id),
          started,
          (current) => bar?.update(current.progress, current.state),
        );
      } finally {
        bar?.stop();
      }
      if (job.state !== 'succeeded') {
        if (output.json) {
          output.result(job, (j) => JSON.stringify(j));
        }
        throw new CliError(`storage-migrate job ${job.id} ${job.state}${job.error ? `: ${job.error}` : ''}`);
      }
      const report = job.result as unknown as StorageMigrationReport;
      output.result(report, describeMigration);
      if (report.remaining > 0) {
        ctx.exitCode = ExitCode.FAILED;
      }
    });
}
