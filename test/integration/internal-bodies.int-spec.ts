import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { UploadAuthorization } from '@lfs-depot/contracts';
import { INTERNAL_PATHS } from '@lfs-depot/contracts';
import { objectKey } from '@lfs-depot/storage';
import { anyJson, bodyOf, expectedFor, plausibleOrAnyJson, shapedJson } from '@lfs-depot/testing';
import fc from 'fast-check';

import type { ApiHarness } from '../helpers/api-harness.js';
import { signedInternalHeaders, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

/**
 * Property: whatever body the proxy signs for the internal fast path (finalize, download authorize), the API answers
 * a 4xx JSON error or a valid answer, never a 5xx: a malformed body is the caller's fault, and a 500 would tell the
 * proxy (and its client) that the API is broken.
 */
describe('internal fast path bodies', () => {
  let api: ApiHarness;
  let project: string;
  let authorization: string;
  let ticket: string;
  let stored: { oid: string; size: number };

  async function post(path: string, body: string): Promise<{ status: number; type: string; text: string }> {
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: signedInternalHeaders(path, body),
      body,
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  }

  beforeAll(async () => {
    api = await startApiHarness();
    const factory = TestFactory.forApi(api);
    const password = 'fuzz-internal-password';
    const writer = await factory.user({ password });
    authorization = `Basic ${Buffer.from(`${writer.username}:${password}`).toString('base64')}`;
    project = (await factory.project({ members: { [writer.username]: 'write' } })).path;
    const content = randomBytes(48);
    stored = expectedFor(content);
    const body = JSON.stringify({ project, ...stored, authorization });
    const authorized = await fetch(`${api.url}${INTERNAL_PATHS.authorizeUpload}`, {
      method: 'POST',
      headers: signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, body),
      body,
    });
    expect(authorized.status).toBe(200);
    ({ ticket } = (await authorized.json()) as UploadAuthorization);
    await api.storage.put(objectKey(stored.oid), bodyOf(content), stored);
  });

  afterAll(async () => {
    await api.close();
  });

  const either = (plausible: () => fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
    plausibleOrAnyJson(plausible(), 3);
  /** A body: JSON shaped like the route's (fields plausible, absent or anything), any JSON, or not JSON at all. */
  const bodies = (fields: () => Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 8, arbitrary: shapedJson(fields()).map((value) => JSON.stringify(value)) },
      { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value) ?? 'null') },
      { weight: 1, arbitrary: fc.string() },
    );
  const common = (): Record<string, fc.Arbitrary<unknown>> => ({
    project: either(() => fc.constantFrom(project, 'no/such-project', '')),
    oid: either(() => fc.constantFrom(stored.oid, 'a'.repeat(64), 'not-an-oid')),
    size: either(() => fc.constantFrom(stored.size, 0, -1, 2 ** 53)),
    authorization: either(() => fc.constantFrom(authorization, 'Basic bm9ib2R5Ong=', 'Bearer x', '')),
    client: either(() => fc.constantFrom('127.0.0.1', '')),
  });

  /** Checks one answer: never 5xx, always JSON, and a 200 in the route's shape. */
  function expectAnswer(
    answer: { status: number; type: string; text: string },
    valid: (body: Record<string, unknown>) => boolean,
  ): void {
    // The answer itself in the failure message, not only its status.
    expect(answer.status < 500 ? 'not 5xx' : `${answer.status} ${answer.text}`).toBe('not 5xx');
    expect(answer.type).toMatch(/json/);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    if (answer.status === 200) {
      expect(valid(body)).toBe(true);
    } else {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(body).toEqual(
        expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
      );
    }
  }

  it('answers any finalize body with a 4xx JSON error or {linked}', async () => {
    const finalize = bodies(() => ({
      ...common(),
      ticket: either(() => fc.constantFrom(ticket, 'forged', '')),
      started_at: either(() => fc.constantFrom(Date.now(), 0, -1)),
    }));
    await fc.assert(
      fc.asyncProperty(finalize, async (body) => {
        expectAnswer(
          await post(INTERNAL_PATHS.finalizeUpload, body),
          (answer) => typeof answer.linked === 'boolean',
        );
      }),
      { numRuns: 150 },
    );
  });

  it('answers any download authorize body with a 4xx JSON error or {storageKey, size}', async () => {
    await fc.assert(
      fc.asyncProperty(bodies(common), async (body) => {
        expectAnswer(
          await post(INTERNAL_PATHS.authorizeDownload, body),
          (answer) => typeof answer.storageKey === 'string' && typeof answer.size === 'number',
        );
      }),
      { numRuns: 150 },
    );
  });

  it('answers any download check body with a 4xx JSON error or {links_changed_at}', async () => {
    await fc.assert(
      fc.asyncProperty(bodies(common), async (body) => {
        expectAnswer(
          await post(INTERNAL_PATHS.checkDownloads, body),
          (answer) => typeof answer.links_changed_at === 'number',
        );
      }),
      { numRuns: 100 },
    );
  });

  it.each([
    ['null', 'null'],
    ['a string', '"x"'],
    ['a number', '5'],
    ['an array', '[]'],
    ['not JSON', 'not json'],
  ])('answers each fast-path call with a body of %s with a 4xx, never a 500', async (_, body) => {
    for (const path of [
      INTERNAL_PATHS.finalizeUpload,
      INTERNAL_PATHS.authorizeDownload,
      INTERNAL_PATHS.checkDownloads,
    ]) {
      const answer = await post(path, body);
      expect({ path, client_error: answer.status >= 400 && answer.status < 500 }).toEqual({
        path,
        client_error: true,
      });
      expect(JSON.parse(answer.text)).toEqual(expect.objectContaining({ code: expect.any(String) }));
    }
  });
});
