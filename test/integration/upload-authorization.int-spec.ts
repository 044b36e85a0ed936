import { randomBytes } from 'node:crypto';
import { truncate } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { UploadAuthorization } from '@lfs-depot/contracts';
import { INTERNAL_PATHS } from '@lfs-depot/contracts';
import { type LocalStorage, objectKey } from '@lfs-depot/storage';
import { bodyOf, expectedFor } from '@lfs-depot/testing';

import type { ApiHarness } from '../helpers/api-harness.js';
import { signedInternalHeaders, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

// The API's authorizeUpload is the one place that decides whether an upload's bytes are already stored (the proxy
// then only verifies them): these are the cases it tells apart.

describe('upload authorization: alreadyStored', () => {
  let api: ApiHarness;
  let factory: TestFactory;
  let projectPath: string;
  let otherProjectId: string;
  const password = 'writer-password-123';
  let authorization: string;

  async function authorizeUpload(object: { oid: string; size: number }): Promise<UploadAuthorization> {
    const body = JSON.stringify({ project: projectPath, ...object, authorization });
    const response = await fetch(`${api.url}${INTERNAL_PATHS.authorizeUpload}`, {
      method: 'POST',
      headers: signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, body),
      body,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as UploadAuthorization;
  }

  /** Content whose object row another project links (as after its verified upload), bytes stored or not. */
  async function recordedElsewhere(options: { stored: boolean }): Promise<{ oid: string; size: number }> {
    const content = randomBytes(100);
    const expected = expectedFor(content);
    await factory.linkedObject(otherProjectId, expected);
    if (options.stored) {
      await api.storage.put(objectKey(expected.oid), bodyOf(content), expected);
    }
    return expected;
  }

  beforeAll(async () => {
    api = await startApiHarness();
    factory = TestFactory.forApi(api);
    const writer = await factory.user({ password });
    authorization = `Basic ${Buffer.from(`${writer.username}:${password}`).toString('base64')}`;
    projectPath = (await factory.project({ members: { [writer.username]: 'write' } })).path;
    otherProjectId = (await factory.project()).id;
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers true when the object is recorded and storage holds its bytes at that size', async () => {
    const object = await recordedElsewhere({ stored: true });

    expect(await authorizeUpload(object)).toMatchObject({
      alreadyStored: true,
      storageKey: objectKey(object.oid),
    });
  });

  it('answers false for an object nobody has uploaded', async () => {
    const object = expectedFor(randomBytes(100));

    expect(await authorizeUpload(object)).toMatchObject({
      alreadyStored: false,
      storageKey: objectKey(object.oid),
    });
  });

  it('answers false when the object is recorded but its bytes are gone, so they are written again', async () => {
    const object = await recordedElsewhere({ stored: false });

    expect(await authorizeUpload(object)).toMatchObject({
      alreadyStored: false,
      storageKey: objectKey(object.oid),
    });
  });

  it('answers false when the stored bytes are not of the recorded size', async () => {
    const object = await recordedElsewhere({ stored: true });
    const root = (api.storage as LocalStorage).root;
    await truncate(path.join(root, ...objectKey(object.oid).split('/')), object.size - 1);

    expect(await authorizeUpload(object)).toMatchObject({ alreadyStored: false });
  });

  it('answers false when storage holds bytes the database has no row for', async () => {
    const content = randomBytes(100);
    const object = expectedFor(content);
    await api.storage.put(objectKey(object.oid), bodyOf(content), object);

    expect(await authorizeUpload(object)).toMatchObject({ alreadyStored: false });
  });
});
