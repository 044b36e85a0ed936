import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ERROR_CODES, ErrorCode, isLfsPath } from '@lfs-depot/contracts';

import { writeErrorResponse } from '../../apps/api/src/http/error-response.js';
import { sendJsonError } from '../../apps/proxy/src/http/json-error.js';

const REQUEST_ID = 'same-request-0001';
const LFS_PATH = '/games/engine.git/info/lfs/objects/batch';
const ADMIN_PATH = '/api/v1/users';

/**
 * One server that answers `/{api|proxy}/{code}{path}` with that app's error writer, so the two can be compared on
 * the wire: the same code must reach a client with the same status, headers and body whichever app answers it.
 */
function startWriters(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const [, app = '', code = '', ...rest] = (req.url ?? '').split('/');
    const urlPath = `/${rest.join('/')}`;
    const errorCode = code as ErrorCode;
    if (app === 'api') {
      writeErrorResponse(res, urlPath, REQUEST_ID, { code: errorCode, message: `${code} happened` });
    } else {
      sendJsonError(res, errorCode, `${code} happened`, REQUEST_ID, isLfsPath(urlPath));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Seen {
  status: number;
  headers: Record<string, string | null>;
  body: unknown;
}

async function answerOf(base: string, app: 'api' | 'proxy', code: ErrorCode, path: string): Promise<Seen> {
  const response = await fetch(`${base}/${app}/${code}${path}`);
  const names = ['content-type', 'lfs-authenticate', 'www-authenticate', 'retry-after'];
  return {
    status: response.status,
    headers: Object.fromEntries(names.map((name) => [name, response.headers.get(name)])),
    body: await response.json(),
  };
}

describe('error answers of the API and the proxy', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = await startWriters();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  describe.each([
    ['an LFS route', LFS_PATH],
    ['the admin API', ADMIN_PATH],
  ])('on %s', (_, path) => {
    it.each(ERROR_CODES.map((code) => [code]))('are the same for %s', async (code) => {
      const fromApi = await answerOf(base, 'api', code, path);
      const fromProxy = await answerOf(base, 'proxy', code, path);
      expect(fromProxy).toEqual(fromApi);
      expect(fromApi.body).toMatchObject({ code, message: `${code} happened`, request_id: REQUEST_ID });
    });
  });

  it('carry documentation_url and the Git LFS media type on LFS routes only', async () => {
    for (const app of ['api', 'proxy'] as const) {
      const lfs = await answerOf(base, app, ErrorCode.OBJECT_NOT_FOUND, LFS_PATH);
      expect(lfs.headers['content-type']).toBe('application/vnd.git-lfs+json; charset=utf-8');
      expect(lfs.body).toHaveProperty('documentation_url');
      const admin = await answerOf(base, app, ErrorCode.USER_NOT_FOUND, ADMIN_PATH);
      expect(admin.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(admin.body).not.toHaveProperty('documentation_url');
    }
  });

  it('answer SERVICE_UNAVAILABLE with 503 from either app', async () => {
    for (const app of ['api', 'proxy'] as const) {
      expect((await answerOf(base, app, ErrorCode.SERVICE_UNAVAILABLE, LFS_PATH)).status).toBe(503);
    }
  });
});
