import { describe, expect, it } from '@jest/globals';
import { eventually } from '@lfs-depot/testing';

import {
  consistencyProblems,
  localStoredSize,
  SCALE,
  useDeployment,
  userWithProject,
} from './helpers/deployment.js';
import { answer, basic, testObject, uploadObject } from './helpers/lfs-client.js';
import { tally, unexpected, withLoad, type Sample } from './helpers/load.js';
import { everyKindSucceeded, mixedLoad, succeeded } from './helpers/mixed-load.js';

const PROJECT = 'faults/database';

/** What a client may be told while the database is away: come back later, and when. */
const cleanlyRefused = (sample: Sample): boolean =>
  succeeded(sample) || (sample.result === 503 && sample.retryAfter !== undefined);

describe('PostgreSQL and Redis going away under load', () => {
  const deployment = useDeployment({ redis: true });
  let authorization: string;
  const present = [testObject(1000), testObject(2000), testObject(3000)];
  /** Every object whose PUT was answered 200: each must be linked, whatever happened after. */
  const stored = new Set<string>();

  const load = () =>
    mixedLoad({
      url: deployment().instances[0].url,
      project: PROJECT,
      authorization,
      adminToken: deployment().settings.adminToken,
      present,
      stored,
    });

  it('sets up a user, a project and three objects', async () => {
    const { admin, instances } = deployment();
    const user = await userWithProject(admin, 'loader', PROJECT);
    authorization = basic(user.username, user.token);
    for (const object of present) {
      expect((await uploadObject(instances[0].url, PROJECT, object, authorization)).put).toBe(200);
    }
  });

  it(
    'answers 503 with Retry-After while PostgreSQL restarts, and recovers by itself',
    async () => {
      const { postgres, instances } = deployment();
      for (let round = 0; round < 2 * SCALE; round += 1) {
        await withLoad(load(), async (running) => {
          await running.more(40 + round * 7);
          running.mark('down');
          await postgres.stop();
          // Cached sign-ins may still answer 200 for a while; the uploads need the database.
          await running.until(
            () => running.touching('down').some((sample) => sample.result === 503),
            'a 503',
          );
          await running.more(40);
          running.mark('restarted');
          await postgres.start();
          await running.until(() => everyKindSucceeded(running.within('restarted')), 'a 200 of every kind');
          running.mark('recovered');
          await running.more(80);
          const samples = await running.stop();
          // Requests that saw the outage may have been refused; the others must have succeeded.
          expect({ round, before: unexpected(running.within('before'), succeeded) }).toEqual({
            round,
            before: {},
          });
          expect({ round, down: unexpected(running.touching('down', 'restarted'), cleanlyRefused) }).toEqual({
            round,
            down: {},
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

      const health = await answer(`${instances[0].url}/-/readiness`, { method: 'GET' });
      expect(health.status).toBe(200);
      expect(await consistencyProblems(deployment(), localStoredSize(instances[0]))).toEqual([]);
      const linked = await deployment().query<{ oid: string }>(`SELECT oid FROM lfs_objects`);
      const linkedOids = new Set(linked.map((row) => row.oid));
      expect([...stored].filter((oid) => !linkedOids.has(oid))).toEqual([]);
    },
    300_000 * SCALE,
  );

  it(
    'answers every request while Redis goes away and comes back',
    async () => {
      const { redis, instances } = deployment();
      for (let round = 0; round < 2 * SCALE; round += 1) {
        const logBefore = instances[0].log().length;
        await withLoad(load(), async (running) => {
          await running.more(40);
          running.mark('away');
          await redis!.stop();
          // The API warns once a minute at most: only the first round can wait for its word.
          await eventually(
            () => round > 0 || instances[0].log().slice(logBefore).includes('Redis unavailable'),
            60_000,
          );
          await running.more(80);
          running.mark('back');
          await redis!.start();
          // Both of the API's connections (commands, and the subscriber) are back.
          await eventually(async () => (await redis!.otherClients()) >= 2, 60_000);
          await running.more(80);
          const samples = await running.stop();
          expect({ round, unexpected: unexpected(samples, succeeded) }).toEqual({ round, unexpected: {} });
        });
      }
    },
    300_000 * SCALE,
  );
});
