import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import {
  consistencyProblems,
  localStoredSize,
  SCALE,
  seededRandom,
  useDeployment,
  userWithProject,
} from './helpers/deployment.js';
import { fuzzRequest, type FuzzRequest, type FuzzTargets } from './helpers/http-arbitraries.js';
import {
  answer,
  basic,
  batch,
  batchObjects,
  HangError,
  isAnswer,
  send,
  testObject,
  uploadObject,
} from './helpers/lfs-client.js';

const PROJECT = 'fuzz/repo';
/** Requests sent at once in each run of the property. */
const CONCURRENCY = 8;
/** A request with no answer by then is a hang. */
const ANSWER_WITHIN_MS = 20_000;

/** Quota exceeded is the one documented 5xx a generated request may legitimately get (507, README). */
const acceptable = (status: number): boolean => status < 500 || status === 507;

describe('generated requests to the batch, locks, admin and transfer routes', () => {
  const deployment = useDeployment({ env: { TRUSTED_PROXY_HOPS: '1' } });

  it(
    'answer every one without a 5xx or a hang, and leave the server healthy',
    async () => {
      const { admin, instances, settings } = deployment();
      const instance = instances[0];
      const user = await userWithProject(admin, 'fuzzer', PROJECT);
      const userAuthorization = basic(user.username, user.token);
      const stored = testObject(4096);
      expect(await uploadObject(instance.url, PROJECT, stored, userAuthorization)).toEqual({
        put: 200,
        verify: 200,
      });
      // A transfer token from a real upload action, so that generated transfers get past authentication.
      const pending = testObject(100);
      const [action] = batchObjects(
        await batch(instance.url, PROJECT, 'upload', [pending], userAuthorization),
      );
      const targets: FuzzTargets = {
        project: PROJECT,
        stored: { oid: stored.oid, size: stored.size },
        userAuthorization,
        adminToken: settings.adminToken,
        transferHeader: action.actions!.upload!.header ?? {},
      };

      let sent = 0;
      const statusCounts: Record<number, number> = {};
      const { seed } = seededRandom('fuzzing');
      await fc.assert(
        fc.asyncProperty(
          fc.array(fuzzRequest(targets), { minLength: CONCURRENCY, maxLength: CONCURRENCY }),
          async (requests: FuzzRequest[]) => {
            const outcomes = await Promise.all(
              requests.map(async (request) => {
                sent += 1;
                try {
                  return await send(`${instance.url}${request.path}`, {
                    method: request.method,
                    headers: request.headers,
                    body: request.body,
                    timeoutMs: ANSWER_WITHIN_MS,
                  });
                } catch (error) {
                  if (error instanceof HangError) {
                    return { hang: error.message };
                  }
                  throw error;
                }
              }),
            );
            outcomes.forEach((outcome, index) => {
              const request = requests[index];
              if ('hang' in outcome) {
                throw new Error(`hang: ${JSON.stringify(request)}`);
              }
              if (!isAnswer(outcome)) {
                throw new Error(`no answer (${outcome.error}): ${JSON.stringify(request)}`);
              }
              statusCounts[outcome.status] = (statusCounts[outcome.status] ?? 0) + 1;
              if (!acceptable(outcome.status)) {
                throw new Error(
                  `${outcome.status} ${outcome.body.slice(0, 300)} for ${JSON.stringify(request)}`,
                );
              }
            });
          },
        ),
        { numRuns: 300 * SCALE, seed, endOnFailure: false, interruptAfterTimeLimit: 400_000 * SCALE },
      );
      console.log(`fuzzing: ${sent} requests, statuses ${JSON.stringify(statusCounts)}`);
      expect(sent).toBeGreaterThanOrEqual(1000);

      // Healthy after: both processes alive, ready, and an ordinary upload and download still work.
      expect([instance.isRunning('api'), instance.isRunning('proxy')]).toEqual([true, true]);
      expect((await answer(`${instance.url}/-/readiness`, { method: 'GET' })).status).toBe(200);
      const after = testObject(2048);
      const afterProject = 'fuzz/after';
      const afterUser = await userWithProject(admin, 'after-fuzz', afterProject);
      const afterAuthorization = basic(afterUser.username, afterUser.token);
      expect(await uploadObject(instance.url, afterProject, after, afterAuthorization)).toEqual({
        put: 200,
        verify: 200,
      });
      const [download] = batchObjects(
        await batch(instance.url, afterProject, 'download', [after], afterAuthorization),
      );
      const fetched = await answer(download.actions!.download!.href, {
        method: 'GET',
        headers: download.actions!.download!.header ?? {},
      });
      expect(fetched.status).toBe(200);
      expect(Buffer.from(fetched.body, 'latin1').length).toBeGreaterThan(0);
      expect(await consistencyProblems(deployment(), localStoredSize(instance))).toEqual([]);
    },
    600_000 * SCALE,
  );
});
