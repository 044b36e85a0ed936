import type { GcReport, JobView, ObjectDeletionView, ScrubProblem, ScrubReport } from '@lfs-depot/contracts';
import { formatBytes } from '@lfs-depot/contracts';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';

import { connect, connectionOptions, withConnectionOptions } from '../admin-options.js';
import { CliError, ExitCode } from '../cli.errors.js';
import { followJobUntilEnded } from '../follow-job.js';
import type { CliContext } from '../cli.types.js';
import { LifecycleClient } from '../lifecycle.client.js';
import { formatFields, formatTable, isTerminal, Output } from '../output.js';
import { addGroup, usageError } from '../program.js';
import { reachablePointers } from '../references/reachable-pointers.js';

function session(ctx: CliContext, command: Command): { client: () => LifecycleClient; output: Output } {
  let client: LifecycleClient | undefined;
  return {
    client: () => (client ??= new LifecycleClient(connect(ctx, command))),
    output: new Output(ctx.io.stdout, connectionOptions(command).json ?? false),
  };
}

function describeJob(job: JobView): string {
  const progress = job.progress
    ? `${job.progress.phase} ${job.progress.done}${job.progress.total === null ? '' : `/${job.progress.total}`}`
    : undefined;
  return formatFields([
    ['id', job.id],
    ['kind', job.kind],
    ['state', job.state],
    ['progress', progress],
    ['attempts', String(job.attempts)],
    ['created', job.created_at],
    ['started', job.started_at ?? undefined],
    ['finished', job.finished_at ?? undefined],
    ['error', job.error ?? undefined],
    ['result', job.result ? JSON.stringify(job.result) : undefined],
  ]);
}

function describeGc(report: GcReport): string {
  const verb = report.dry_run ? 'would be ' : '';
  return [
    `${report.dry_run ? 'Dry run: ' : ''}${report.projects_examined} project(s) with a reference snapshot examined`,
    `${report.unlinked} unreferenced link(s) ${verb}removed (${formatBytes(report.unlinked_size)} of statistics)`,
    `${report.purged} object(s) ${verb}purged from storage (${formatBytes(report.purged_size)} reclaimed)`,
  ].join('\n');
}

/** Total problems of a scrub report, every kind. */
const scrubProblems = (report: ScrubReport): number =>
  Object.values(report.counts).reduce((sum, count) => sum + count, 0);

const REPAIR_WORDS: Record<NonNullable<ScrubProblem['repair']>, string> = {
  marked: 'marked damaged',
  moved: 'marked damaged, moved aside',
  removed: 'removed',
};

function describeScrub(report: ScrubReport): string {
  const total = scrubProblems(report);
  const scope = [
    report.project === null ? 'every object' : `the objects of ${report.project}`,
    report.sample < 1 ? `sample ${report.sample}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [
    `${report.checked} object(s) re-hashed (${formatBytes(report.checked_size)}; ${scope})${report.damaged > 0 ? `, ${report.damaged} already marked damaged` : ''}`,
    total === 0
      ? 'No problems found'
      : `${total} problem(s): ${report.counts.missing} missing, ${report.counts.corrupt} corrupt, ${report.counts.orphan} without a row, ${report.counts.temp} upload leftover(s)`,
  ];
  if (report.problems.length > 0) {
    lines.push(
      '',
      formatTable(
        report.problems,
        [
          { heading: 'problem', value: (p: ScrubProblem) => p.kind },
          { heading: 'oid', value: (p: ScrubProblem) => p.oid ?? '-' },
          { heading: 'size', value: (p: ScrubProblem) => String(p.size) },
          { heading: 'repair', value: (p: ScrubProblem) => (p.repair ? REPAIR_WORDS[p.repair] : '-') },
          { heading: 'key', value: (p: ScrubProblem) => p.moved_to ?? p.key },
        ],
        '',
      ),
    );
    if (report.problems_truncated) {
      lines.push(`(only the first ${report.problems.length} are listed)`);
    }
  }
  if (total > 0 && !report.repair) {
    lines.push('', 'Run it again with --repair to have clients upload missing and corrupt objects again.');
  }
  return lines.join('\n');
}

/** Follows a job until it ends, with a progress bar on a terminal; the job as it ended. */
async function followJob(
  ctx: CliContext,
  client: LifecycleClient,
  job: JobView,
  bar: boolean,
): Promise<JobView> {
  const progress = bar
    ? new SingleBar({
        stream: ctx.io.stderr as NodeJS.WritableStream,
        format: '{phase} [{bar}] {value}/{total}',
        hideCursor: true,
        clearOnComplete: true,
      })
    : undefined;
  progress?.start(1, 0, { phase: 'queued' });
  try {
    return await followJobUntilEnded(
      (id) => client.getJob(id),
      job,
      (current) => {
        if (progress && current.progress) {
          const total = current.progress.total ?? Math.max(current.progress.done, 1);
          progress.setTotal(Math.max(total, 1));
          progress.update(current.progress.done, { phase: current.progress.phase });
        }
      },
    );
  } finally {
    progress?.stop();
  }
}

/** `lfs-depot references sync`, `gc`, `scrub`, `objects delete`, `jobs …` */
export function addLifecycleCommands(program: Command, ctx: CliContext): void {
  const references = addGroup(
    program,
    'references',
    "tell the server which LFS objects a repository's refs reach",
  );
  withConnectionOptions(references.command('sync'))
    .summary('send the LFS pointers reachable from all refs of a repository')
    .description(
      'Computes every Git LFS pointer reachable from any ref of the repository (every branch, tag and other ref, ' +
        "every commit; without a checkout, streaming) and replaces <project>'s reference snapshot with it. " +
        'Garbage collection keeps what the snapshot references. Run it from a post-receive hook or cron.',
    )
    .argument('<project>')
    .option('--git-dir <dir>', 'the repository, bare or working (default: the current directory)')
    .action(async (project: string, options: { gitDir?: string }, command: Command) => {
      const { client, output } = session(ctx, command);
      const api = client();
      const cwd = options.gitDir ?? ctx.cwd;
      async function* lines(): AsyncGenerator<string> {
        for await (const pointer of reachablePointers({ cwd, env: { ...ctx.env, GIT_DIR: undefined } })) {
          yield `${JSON.stringify({ oid: pointer.oid, size: pointer.size })}\n`;
        }
      }
      const view = await api.putReferences(project, lines());
      output.result(view, (v) =>
        formatFields([
          ['referenced', String(v.referenced)],
          ['linked, unreferenced', `${v.linked_unreferenced} (${formatBytes(v.linked_unreferenced_size)})`],
          ['referenced, missing', String(v.referenced_missing)],
          ['taken at', v.taken_at],
        ]),
      );
    });

  withConnectionOptions(program.command('gc'))
    .summary('collect garbage: unlink unreferenced objects, purge unlinked bytes')
    .description(
      'Queues a garbage collection on the server and follows it (a progress bar on a terminal): phase 1 unlinks ' +
        "links that no ref of a project's reference snapshot reaches (older than it by GC_LINK_GRACE), phase 2 " +
        'deletes the bytes of objects no project has linked for GC_PURGE_GRACE. With --project, both phases keep to ' +
        'that project: its links, and the bytes it was the last to link. Exit status 1 when it failed or was ' +
        'cancelled.',
    )
    .option('--project <path>', 'only this project: its unreferenced links, and the bytes only it linked')
    .option('--dry-run', 'count what would be done, change nothing')
    .action(async (options: { project?: string; dryRun?: boolean }, command: Command) => {
      const { client, output } = session(ctx, command);
      const api = client();
      const started = await api.startGc({
        ...(options.project === undefined ? {} : { project: options.project }),
        dry_run: options.dryRun === true,
      });
      const job = await followJob(ctx, api, started, !output.json && isTerminal(ctx.io.stderr));
      if (job.state !== 'succeeded') {
        if (output.json) {
          output.result(job, describeJob);
        }
        throw new CliError(`gc job ${job.id} ${job.state}${job.error ? `: ${job.error}` : ''}`);
      }
      output.result(job.result as unknown as GcReport, describeGc);
    });

  withConnectionOptions(program.command('scrub'))
    .summary('re-hash stored objects; find missing, corrupt and stray bytes')
    .description(
      'Queues a scrub on the server and follows it (a progress bar on a terminal): every stored object (or a random ' +
        'sample, or those of one project) is read back and its SHA-256 and size checked; storage is listed for ' +
        'bytes without a row and for what dead uploads left. With --repair, missing and corrupt objects are marked ' +
        'damaged (the next push uploads them again, downloads get an error instead of bad bytes), corrupt bytes ' +
        'are moved under quarantine/ and upload leftovers removed. Exit status 0 when clean, 1 when it found ' +
        'problems (or failed).',
    )
    .option('--sample <fraction>', 'check a random fraction of the objects, 0 < fraction <= 1')
    .option('--project <path>', 'only the objects this project links (storage is not listed)')
    .option(
      '--repair',
      'mark missing and corrupt objects damaged, move corrupt bytes aside, remove leftovers',
    )
    .option('--rate <bytes-per-second>', 'read at most this many bytes per second from storage')
    .action(
      async (
        options: { sample?: string; project?: string; repair?: boolean; rate?: string },
        command: Command,
      ) => {
        const sample = options.sample === undefined ? undefined : Number(options.sample);
        if (sample !== undefined && !(sample > 0 && sample <= 1)) {
          throw usageError(command, '--sample must be a number greater than 0 and at most 1');
        }
        const rate = options.rate === undefined ? undefined : Number(options.rate);
        if (rate !== undefined && !(Number.isSafeInteger(rate) && rate > 0)) {
          throw usageError(command, '--rate must be a positive whole number of bytes per second');
        }
        const { client, output } = session(ctx, command);
        const api = client();
        const started = await api.startScrub({
          ...(sample === undefined ? {} : { sample }),
          ...(options.project === undefined ? {} : { project: options.project }),
          ...(rate === undefined ? {} : { rate_bytes_per_second: rate }),
          repair: options.repair === true,
        });
        const job = await followJob(ctx, api, started, !output.json && isTerminal(ctx.io.stderr));
        if (job.state !== 'succeeded') {
          if (output.json) {
            output.result(job, describeJob);
          }
          throw new CliError(`scrub job ${job.id} ${job.state}${job.error ? `: ${job.error}` : ''}`);
        }
        const report = job.result as unknown as ScrubReport;
        output.result(report, describeScrub);
        if (scrubProblems(report) > 0) {
          ctx.exitCode = ExitCode.FAILED;
        }
      },
    );

  const objects = addGroup(program, 'objects', "list a project's LFS objects");
  withConnectionOptions(objects.command('delete'))
    .summary('delete an LFS object from a project (or every project), bytes included')
    .description(
      'Deletes the object from <project> at once (batch downloads then answer 410 until it is uploaded again) ' +
        'and purges its bytes when no project links it any more. With --everywhere (admin only): from every ' +
        'project, and give only the oid.',
    )
    .argument('<project-or-oid>')
    .argument('[oid]')
    .option('--everywhere', 'from every project that links it')
    .action(
      async (
        first: string,
        second: string | undefined,
        options: { everywhere?: boolean },
        command: Command,
      ) => {
        if (options.everywhere ? second !== undefined : second === undefined) {
          throw usageError(
            command,
            options.everywhere ? 'with --everywhere, give only the oid' : 'give the project and the oid',
          );
        }
        const { client, output } = session(ctx, command);
        const view: ObjectDeletionView = options.everywhere
          ? await client().deleteObjectEverywhere(first)
          : await client().deleteObject(first, second as string);
        output.result(view, (v) =>
          formatFields([
            ['oid', v.oid],
            ['unlinked from', v.unlinked_from.join(', ') || '(no project)'],
            ['purged', v.purged ? `yes (${formatBytes(v.purged_size)})` : 'no (still linked elsewhere)'],
          ]),
        );
      },
    );

  const jobs = addGroup(program, 'jobs', 'follow the long operations the server runs (gc, scrub)');
  withConnectionOptions(jobs.command('list'))
    .summary('list the latest jobs, newest first')
    .action(async (_options: unknown, command: Command) => {
      const { client, output } = session(ctx, command);
      const page = await client().listJobs();
      output.result(page.jobs, (list) =>
        formatTable(
          list,
          [
            { heading: 'id', value: (j: JobView) => j.id },
            { heading: 'kind', value: (j: JobView) => j.kind },
            { heading: 'state', value: (j: JobView) => j.state },
            { heading: 'created', value: (j: JobView) => j.created_at },
            { heading: 'phase', value: (j: JobView) => j.progress?.phase ?? '' },
          ],
          'No jobs',
        ),
      );
    });
  withConnectionOptions(jobs.command('show'))
    .summary("show a job's state, progress and result")
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, output } = session(ctx, command);
      output.result(await client().getJob(id), describeJob);
    });
  withConnectionOptions(jobs.command('cancel'))
    .summary('cancel a queued job, or stop a running one')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, output } = session(ctx, command);
      output.result(await client().cancelJob(id), describeJob);
    });
}
