import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Config } from '@lfs-depot/config';

import { JobRunner } from '../../apps/api/src/jobs/job-runner.js';
import { JobsRepository } from '../../apps/api/src/jobs/jobs.repository.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { startApiHarness } from '../helpers/api-harness.js';

/**
 * What a starting API does with the jobs another process left running: the restart half of README "Jobs". The
 * harness's own runner is the other instance here; each test starts a second JobRunner, with no handlers, so that it
 * only requeues and never runs what it finds.
 */
describe(`${JobRunner.name} at start`, () => {
  let api: ApiHarness;
  let jobs: JobsRepository;
  const started: JobRunner[] = [];

  beforeAll(async () => {
    api = await startApiHarness();
    jobs = api.app.get(JobsRepository, { strict: false });
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((runner) => runner.onApplicationShutdown()));
  });

  afterAll(async () => {
    await api.close();
  });

  /** A gc job another instance is running and beat for a moment ago. */
  async function freshlyBeatingJob(): Promise<string> {
    const [row] = await api.dataSource.query<{ id: string }[]>(
      `INSERT INTO jobs (kind, params, state, owner, heartbeat_at, attempts, started_at)
       VALUES ('gc', '{"project":null,"dry_run":true}', 'running', 'other-host:1:alive', now(), 1, now())
       RETURNING id`,
    );
    return row.id;
  }

  async function startRunner(database: Config['database']): Promise<void> {
    const runner = new JobRunner(jobs, { ...api.config, database });
    started.push(runner);
    await runner.onApplicationBootstrap();
  }

  const state = async (id: string): Promise<string | undefined> => (await jobs.findJob(id))?.state;

  it('on the embedded database queues a running job again at once: no other instance can be running it', async () => {
    const id = await freshlyBeatingJob();
    await startRunner({ kind: 'embedded', dataDir: api.dataDir });
    expect(await jobs.findJob(id)).toMatchObject({ state: 'queued', attempts: 1 });
  });

  it('on a shared PostgreSQL leaves a job whose heartbeat is fresh to the instance running it', async () => {
    const id = await freshlyBeatingJob();
    await startRunner(api.config.database);
    expect(await state(id)).toBe('running');
  });
});
