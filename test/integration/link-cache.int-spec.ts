import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';
import { eventually, oidOf } from '@lfs-depot/testing';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, describeWithSecondInstance, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

const LFS = 'application/vnd.git-lfs+json';
const PROJECT = 'links/repo';

interface ObjectAnswer {
  oid: string;
  actions?: { download?: unknown };
  error?: { code: number };
}

/** A download batch as the git-lfs client sends it; what each object got: 'download', or the error code. */
async function download(api: ApiHarness, auth: string, oids: string[]): Promise<(string | number)[]> {
  const response = await fetch(`${api.url}/${PROJECT}.git/info/lfs/objects/batch`, {
    method: 'POST',
    headers: { accept: LFS, 'content-type': LFS, authorization: auth },
    body: JSON.stringify({ operation: 'download', objects: oids.map((oid) => ({ oid, size: 10 })) }),
  });
  expect(response.status).toBe(200);
  const { objects } = (await response.json()) as { objects: ObjectAnswer[] };
  return objects.map((object) => (object.actions?.download ? 'download' : (object.error?.code ?? 0)));
}

// The LinkCache spares repeated batches their one statement; these prove it never outlives an unlink.
describe('remembered object links follow every unlink at once', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let auth: string;
  let factory: TestFactory;
  let projectId: string;

  /** Links new objects to the project as a finished upload does; returns their oids. */
  async function linked(...names: string[]): Promise<string[]> {
    const oids = names.map((name) => oidOf(`links-${name}`));
    for (const oid of oids) {
      await factory.linkedObject(projectId, { oid, size: 10 });
    }
    return oids;
  }

  const unlink = (oid: string): Promise<unknown> =>
    admin.call('DELETE', `/projects/${encodeURIComponent(PROJECT)}/objects/${oid}`);

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
    projectId = (await factory.project({ path: PROJECT })).id;
    await admin.createUser('puller', 'puller-password');
    await admin.setMember(PROJECT, 'puller', 'read');
    const token = (await admin.createToken('puller', 'ci')).body?.token as string;
    auth = formatBasicAuthorization('puller', token);
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers a repeated batch of linked objects without a statement, and shows a new link at once', async () => {
    const [a, b] = await linked('a', 'b');
    const fresh = oidOf('links-fresh');
    await download(api, auth, [a]); // the access lookups are remembered from here on
    expect(await api.queries.during(() => download(api, auth, [a, b]))).toBe(1);
    let answers: (string | number)[] = [];
    expect(await api.queries.during(async () => (answers = await download(api, auth, [a, b])))).toBe(0);
    expect(answers).toEqual(['download', 'download']);

    expect(await download(api, auth, [a, fresh])).toEqual(['download', 404]);
    await linked('fresh');
    expect(await download(api, auth, [a, fresh])).toEqual(['download', 'download']);
  });

  it('answers 410 for an object on the very next batch after it was deleted', async () => {
    const [c, d] = await linked('c', 'd');
    expect(await download(api, auth, [c, d])).toEqual(['download', 'download']);
    expect(await download(api, auth, [c, d])).toEqual(['download', 'download']); // remembered
    await unlink(c);
    // Deleted on purpose through the admin API: 410 rather than 404, until it is uploaded again.
    expect(await download(api, auth, [c, d])).toEqual([410, 'download']);
  });

  describeWithSecondInstance(
    () => api,
    (second) => {
      it('an unlink made through one instance reaches the memo of the other', async () => {
        const [e] = await linked('e');
        expect(await download(second(), auth, [e])).toEqual(['download']);
        expect(await second().queries.during(() => download(second(), auth, [e]))).toBe(0); // remembered there
        await unlink(e);
        await eventually(async () => (await download(second(), auth, [e]))[0] === 410).catch(() => undefined);
        expect(await download(second(), auth, [e])).toEqual([410]);
      });
    },
  );
});
