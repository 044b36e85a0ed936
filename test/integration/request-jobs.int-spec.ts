import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { JobsRepository } from '../../apps/api/src/jobs/jobs.repository.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { startApiHarness } from '../helpers/api-harness.js';

describe('jobs that a request runs (project export and import)', () => {
  let api: ApiHarness;
  let jobs: JobsRepository;

  beforeAll(async () => {
    api = await startApiHarness();
    jobs = api.app.get(JobsRepository, { strict: false });
  });

  afterAll(async () => {
    await api.close();
  });

  it('fail, instead of being queued again, once the instance running their request stopped beating', async () => {
    const imported = await jobs.createRunningJob(
      'project-import',
      { project: 'team/game' },
      'gone:1:requests',
    );
    const collection = await jobs.createJob('gc', { dry_run: true });
    await api.dataSource.query(
      `UPDATE jobs SET state = 'running', owner = 'gone:1', heartbeat_at = now() - interval '1 hour' WHERE id = $1`,
      [collection.id],
    );
    await api.dataSource.query(`UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [
      imported.id,
    ]);

    expect(await jobs.requeueStaleJobs(30, 'this:instance')).toBe(2);

    expect(await jobs.findJob(imported.id)).toMatchObject({
      state: 'failed',
      error: 'The instance running this request stopped; run it again',
      attempts: 1,
    });
    expect((await jobs.findJob(imported.id))?.finished_at).not.toBeNull();
    expect(await jobs.findJob(collection.id)).toMatchObject({ state: 'queued', error: null });
  });

  it('are left alone while their heartbeat is fresh, and a runner never claims them', async () => {
    const exported = await jobs.createRunningJob(
      'project-export',
      { project: 'team/game' },
      'here:1:requests',
    );
    expect(await jobs.requeueStaleJobs(30, 'this:instance')).toBe(0);
    await api.dataSource.query(`UPDATE jobs SET state = 'queued' WHERE id = $1`, [exported.id]);
    expect(await jobs.claimJob('this:instance', ['gc'])).toMatchObject({ kind: 'gc' });
    expect(await jobs.claimJob('this:instance', ['gc'])).toBeUndefined();
    expect(await jobs.findJob(exported.id)).toMatchObject({ state: 'queued', kind: 'project-export' });
  });
});
