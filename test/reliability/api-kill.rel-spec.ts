import { describe, expect, it } from '@jest/globals';

import {
  consistencyProblems,
  localStoredSize,
  SCALE,
  useDeployment,
  userWithProject,
} from './helpers/deployment.js';
import { basic, testObject, uploadObject } from './helpers/lfs-client.js';
import { tally, unexpected, withLoad, type Sample } from './helpers/load.js';
import { everyKindSucceeded, mixedLoad, succeeded } from './helpers/mixed-load.js';

const PROJECT = 'faults/api';

/** "Within seconds": a request the dead API cannot answer must get its 5xx before this, or it counts as a hang. */
const ANSWER_WITHIN_MS = 15_000;

/** A 5xx that says "try again", from the proxy when the API is gone; never 500 (a bug) nor a dropped connection. */
const cleanServerError = (sample: Sample): boolean =>
  succeeded(sample) || sample.result === 502 || sample.result === 503 || sample.result === 504;

describe('kill -9 of the API under load', () => {
  const deployment = useDeployment();
  const present = [testObject(1000), testObject(2000)];
  const stored = new Set<string>();
  let authorization: string;

  it('sets up a user, a project and two objects', async () => {
    const { admin, instances } = deployment();
    const user = await userWithProject(admin, 'loader', PROJECT);
    authorization = basic(user.username, user.token);
    for (const object of present) {
      expect((await uploadObject(instances[0].url, PROJECT, object, authorization)).put).toBe(200);
    }
  });

  it(
    'answers a clean 5xx at once, and after a restart serves again with nothing half-linked',
    async () => {
      const instance = deployment().instances[0];
      for (let round = 0; round < 3 * SCALE; round += 1) {
        const load = mixedLoad({
          url: instance.url,
          project: PROJECT,
          authorization,
          adminToken: deployment().settings.adminToken,
          present,
          stored,
          timeoutMs: ANSWER_WITHIN_MS,
        });
        await withLoad(load, async (running) => {
          await running.more(40 + round * 7);
          running.mark('killed');
          await instance.kill('api');
          await running.until(
            () => running.touching('killed').some((sample) => sample.result !== 200),
            'a 5xx',
          );
          await running.more(40);
          running.mark('restarted');
          await instance.startApp('api');
          await running.until(() => everyKindSucceeded(running.within('restarted')), 'a 200 of every kind');
          running.mark('recovered');
          await running.more(80);
          const samples = await running.stop();
          expect({ round, before: unexpected(running.within('before'), succeeded) }).toEqual({
            round,
            before: {},
          });
          expect({
            round,
            killed: unexpected(running.touching('killed', 'restarted'), cleanServerError),
          }).toEqual({
            round,
            killed: {},
          });
          expect({
            round,
            recovered: unexpected(
              samples.filter((sample) => sample.phase === 'recovered'),
              succeeded,
            ),
            all: tally(samples),
          }).toEqual({ round, recovered: {}, all: tally(samples) });
        });
      }

      expect(await consistencyProblems(deployment(), localStoredSize(instance))).toEqual([]);
      const linked = new Set(
        (
          await deployment().query<{ oid: string }>(
            `SELECT o.oid FROM lfs_objects o JOIN lfs_objects_projects l ON l.lfs_object_id = o.id`,
          )
        ).map((row) => row.oid),
      );
      expect([...stored].filter((oid) => !linked.has(oid))).toEqual([]);
    },
    300_000 * SCALE,
  );
});
