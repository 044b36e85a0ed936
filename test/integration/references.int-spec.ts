import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, TEST_ADMIN_TOKEN, startApiHarness } from '../helpers/api-harness.js';
import { randomOid, TestFactory } from '../helpers/factories.js';
import { request } from '../helpers/transfer-stack.js';

const referencesUrl = (base: string, project: string): string =>
  `${base}/api/v1/projects/${encodeURIComponent(project)}/references`;

/** PUTs an NDJSON body (a string, or pieces sent chunked) with the given token. */
async function putReferences(
  api: ApiHarness,
  project: string,
  body: string | Buffer[],
  token = TEST_ADMIN_TOKEN,
  contentType = 'application/x-ndjson',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await request(referencesUrl(api.url, project), {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    ...(typeof body === 'string' ? { body } : { pieces: body }),
  });
  return { status: answer.status, body: JSON.parse(answer.body) as Record<string, unknown> };
}

const line = (oid: string, size: number): string => `${JSON.stringify({ oid, size })}\n`;

describe('PUT /api/v1/projects/{path}/references', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let factory: TestFactory;

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
  });

  afterAll(async () => {
    await api.close();
  });

  it('replaces the snapshot and answers referenced, linked-but-unreferenced and referenced-but-missing', async () => {
    const project = await factory.project({ path: 'refs/counts' });
    const kept = await factory.linkedObject(project.id, { size: 10 });
    const dropped = await factory.linkedObject(project.id, { size: 20 });
    const missing = randomOid();
    const first = await putReferences(
      api,
      'refs/counts',
      // Duplicates count once; blank lines and extra fields are fine.
      line(kept.oid, 10) + '\n' + line(kept.oid, 10) + `{"oid":"${missing}","size":5,"path":"a.bin"}\n`,
    );
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      taken_at: expect.stringMatching(/^\d{4}-/),
      referenced: 2,
      linked_unreferenced: 1,
      linked_unreferenced_size: dropped.size,
      referenced_missing: 1,
    });
    // A second PUT replaces, it does not add.
    const second = await putReferences(api, 'refs/counts', line(dropped.oid, 20));
    expect(second.body).toMatchObject({ referenced: 1, linked_unreferenced: 1, referenced_missing: 0 });
    const read = await admin.call('GET', `/projects/${encodeURIComponent('refs/counts')}/references`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(second.body);
  });

  it('streams a large body in constant memory (200,000 lines, sent chunked)', async () => {
    await factory.project({ path: 'refs/large' });
    const pieces: Buffer[] = [];
    for (let batch = 0; batch < 200; batch += 1) {
      let chunk = '';
      for (let i = 0; i < 1000; i += 1) {
        chunk += line(randomOid(), batch * 1000 + i);
      }
      pieces.push(Buffer.from(chunk));
    }
    const answer = await putReferences(api, 'refs/large', pieces);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ referenced: 200_000, referenced_missing: 200_000 });
  });

  it('refuses a bad line with 422 naming it, and keeps the old snapshot', async () => {
    const project = await factory.project({ path: 'refs/bad' });
    const object = await factory.linkedObject(project.id);
    expect((await putReferences(api, 'refs/bad', line(object.oid, object.size))).status).toBe(200);
    const bad = await putReferences(api, 'refs/bad', line(randomOid(), 1) + '{"oid":"nothex","size":1}\n');
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('Line 2') });
    const notJson = await putReferences(api, 'refs/bad', 'not json\n');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ code: 'MALFORMED_JSON', message: 'Line 1 is not valid JSON' });
    const read = await admin.call('GET', `/projects/${encodeURIComponent('refs/bad')}/references`);
    expect(read.body).toMatchObject({ referenced: 1, linked_unreferenced: 0 });
  });

  it('refuses a line over 1 KiB with 413, and another content type with 415', async () => {
    await factory.project({ path: 'refs/limits' });
    const long = await putReferences(api, 'refs/limits', `{"oid":"${'a'.repeat(2000)}"}\n`);
    expect(long.status).toBe(413);
    expect(long.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const json = await putReferences(api, 'refs/limits', '[]', TEST_ADMIN_TOKEN, 'application/json');
    expect(json.status).toBe(415);
  });

  it('answers 401 without a token and 404 for an unknown project', async () => {
    expect((await putReferences(api, 'refs/limits', '', 'wrong-token-0123456789')).status).toBe(401);
    expect((await putReferences(api, 'refs/none', '')).status).toBe(404);
  });

  it('may be called with a platform token, for its projects only', async () => {
    await factory.project({ path: 'refs/platform' });
    await factory.project({ path: 'refs/elsewhere' });
    const created = await admin.ok('POST', '/platform-tokens', { name: 'sync', projects: ['refs/platform'] });
    const token = created?.token as string;
    expect((await putReferences(api, 'refs/platform', line(randomOid(), 1), token)).status).toBe(200);
    expect((await putReferences(api, 'refs/elsewhere', line(randomOid(), 1), token)).status).toBe(403);
  });
});
