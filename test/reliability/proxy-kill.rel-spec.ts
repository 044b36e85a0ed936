import { stat } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from '@jest/globals';

import {
  SCALE,
  seededRandom,
  storedObjectFiles,
  transferTables,
  useDeployment,
  userWithProject,
} from './helpers/deployment.js';
import {
  answer,
  basic,
  batchObjects,
  batch,
  isAnswer,
  send,
  testObject,
  uploadObject,
} from './helpers/lfs-client.js';

const MiB = 1024 * 1024;
const PROJECT = 'crash/uploads';

describe('kill -9 of the proxy in the middle of 64 MiB uploads', () => {
  const deployment = useDeployment();

  it(
    'links nothing, keeps no partial object, leaves statistics alone, and a retry succeeds',
    async () => {
      const { admin, instances } = deployment();
      const instance = instances[0];
      const user = await userWithProject(admin, 'crasher', PROJECT);
      const authorization = basic(user.username, user.token);
      const random = seededRandom('proxy kill');
      const rounds = 10 * SCALE;

      for (let round = 0; round < rounds; round += 1) {
        const object = testObject(64 * MiB);
        // Any point short of the whole body: the proxy cannot have verified it, so nothing may come of it.
        const killAt = Math.floor(random.next() * object.size);
        const context = `round ${round}, killed after ${killAt} bytes (seed ${random.seed})`;
        const tablesBefore = await transferTables(deployment());
        const filesBefore = await storedObjectFiles(instance);

        const [result] = batchObjects(await batch(instance.url, PROJECT, 'upload', [object], authorization));
        const upload = result?.actions?.upload;
        expect(upload).toBeDefined();
        let killed: Promise<void> | undefined;
        const outcome = await send(upload!.href, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream', ...upload!.header },
          body: object.data,
          timeoutMs: 120_000,
          onProgress: (written) => {
            if (!killed && written >= killAt) {
              killed = instance.kill('proxy');
              return killed;
            }
            return undefined;
          },
        });
        if (!killed) {
          killed = instance.kill('proxy'); // killAt in the last MiB: the whole body was handed to the socket
        }
        await killed;
        expect({ context, answered: isAnswer(outcome) && outcome.status < 300 }).toEqual({
          context,
          answered: false,
        });

        // The API, which never saw the body, must show nothing of it.
        expect({ context, tables: await transferTables(deployment()) }).toEqual({
          context,
          tables: tablesBefore,
        });
        expect({ context, files: await storedObjectFiles(instance) }).toEqual({
          context,
          files: filesBefore,
        });

        await instance.startApp('proxy');
        const [again] = batchObjects(await batch(instance.url, PROJECT, 'download', [object], authorization));
        expect({ context, error: again?.error?.code }).toEqual({ context, error: 404 });

        expect({ context, ...(await uploadObject(instance.url, PROJECT, object, authorization)) }).toEqual({
          context,
          put: 200,
          verify: 200,
        });
        const stored = await storedObjectFiles(instance);
        const file = path.join(object.oid.slice(0, 2), object.oid.slice(2, 4), object.oid);
        expect(stored).toEqual([...filesBefore, file].sort());
        expect((await stat(path.join(instance.dataDir, 'objects', file))).size).toBe(object.size);
        const statistics = await answer(
          `${instance.url}/api/v1/projects/${encodeURIComponent(PROJECT)}/statistics`,
          {
            method: 'GET',
            headers: { authorization: `Bearer ${deployment().settings.adminToken}` },
          },
        );
        expect(JSON.parse(statistics.body)).toMatchObject({
          lfs_objects_count: round + 1,
          lfs_objects_size: (round + 1) * 64 * MiB,
        });
      }
    },
    300_000 * SCALE,
  );
});
