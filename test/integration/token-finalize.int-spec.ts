import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { INTERNAL_PATHS } from '@lfs-depot/contracts';
import { objectKey } from '@lfs-depot/storage';
import { bodyOf, expectedFor } from '@lfs-depot/testing';

import { TransferTokenService } from '../../apps/api/src/auth/transfer-token.service.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { signedInternalHeaders, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

const MAX_UPLOAD_SECONDS = 3600;

// The finalize of an upload the proxy let in on a transfer token's signature judges the token's expiry as of the
// start the proxy reports; that start is believed only MAX_UPLOAD_SECONDS back, so an old token links nothing
// whatever start is claimed.
describe('finalize of a token upload: how far back its start is believed', () => {
  let api: ApiHarness;
  let factory: TestFactory;
  let writer: { id: string; username: string };
  let project: { id: string; path: string };

  /** A transfer token for the writer in the project that expired `agoSeconds` ago (it lived an hour). */
  function tokenExpired(agoSeconds: number): string {
    const now = Date.now() - agoSeconds * 1000 - 3600 * 1000;
    const token = api.app.get(TransferTokenService).issue(
      {
        userId: writer.id,
        username: writer.username,
        admin: false,
        tokenProjectId: project.id,
        maxRole: 'write',
      },
      project,
      'write',
      3600,
      now,
    );
    return `Basic ${Buffer.from(`${writer.username}:${token}`).toString('base64')}`;
  }

  async function storedObject(): Promise<{ oid: string; size: number }> {
    const content = randomBytes(64);
    const object = expectedFor(content);
    await api.storage.put(objectKey(object.oid), bodyOf(content), object);
    return object;
  }

  async function finalize(
    object: { oid: string; size: number },
    authorization: string,
    startedAt: number,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const body = JSON.stringify({
      project: project.path,
      ...object,
      authorization,
      started_at: startedAt,
    });
    const response = await fetch(`${api.url}${INTERNAL_PATHS.finalizeUpload}`, {
      method: 'POST',
      headers: signedInternalHeaders(INTERNAL_PATHS.finalizeUpload, body),
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function linkCount(): Promise<number> {
    const rows = await api.dataSource.query<{ count: string }[]>(
      `SELECT count(*) AS count FROM lfs_objects_projects WHERE project_id = $1`,
      [project.id],
    );
    return Number(rows[0]?.count);
  }

  beforeAll(async () => {
    api = await startApiHarness({ MAX_UPLOAD_SECONDS: String(MAX_UPLOAD_SECONDS) });
    factory = TestFactory.forApi(api);
    writer = await factory.user();
    project = await factory.project({ members: { [writer.username]: 'write' } });
  });

  afterAll(async () => {
    await api.close();
  });

  it('links an upload that started before its token expired and outlived it by less than MAX_UPLOAD_SECONDS', async () => {
    const object = await storedObject();
    const answer = await finalize(
      object,
      tokenExpired(MAX_UPLOAD_SECONDS / 2),
      Date.now() - MAX_UPLOAD_SECONDS * 1000,
    );

    expect(answer).toEqual({ status: 200, body: { linked: true } });
    expect(await linkCount()).toBe(1);
  });

  it('rejects when the token expired longer than MAX_UPLOAD_SECONDS ago, whatever start the proxy claims', async () => {
    const object = await storedObject();
    const before = await linkCount();
    // A start before the token's expiry, but further back than any upload may take.
    const answer = await finalize(
      object,
      tokenExpired(MAX_UPLOAD_SECONDS * 2),
      Date.now() - MAX_UPLOAD_SECONDS * 4 * 1000,
    );

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringContaining('MAX_UPLOAD_SECONDS'),
    });
    expect(await linkCount()).toBe(before);
  });

  it('rejects a start that is missing or not a time with 422', async () => {
    const object = await storedObject();
    const answer = await finalize(object, tokenExpired(0), Number.NaN);

    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
