import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { closedPortUrl, FakeAdminServer } from '../test/fake-admin.server.js';
import { AdminClient, ApiError, ConnectionError } from './admin.client.js';

describe(AdminClient.name, () => {
  let server: FakeAdminServer;
  let client: AdminClient;

  beforeAll(async () => {
    server = await FakeAdminServer.start();
    client = new AdminClient({ baseUrl: server.url, token: 'tok' }, 500);
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  async function failure(call: Promise<unknown>): Promise<unknown> {
    try {
      await call;
    } catch (err) {
      return err;
    }
    throw new Error('expected the call to fail');
  }

  describe('getStatistics', () => {
    it('returns the parsed body of a 200', async () => {
      const body = { lfs_objects_count: 2, lfs_objects_size: 10, quota_bytes: null };
      server.reply('GET', '/api/v1/projects/a%2Fb/statistics', { status: 200, body });

      await expect(client.getStatistics('a/b')).resolves.toEqual(body);
      expect(server.requests[0]).toMatchObject({ authorization: 'Bearer tok', contentType: undefined });
    });

    it('rejects with the message, status, code and request id of an error body', async () => {
      server.reply('GET', '/api/v1/projects/x/statistics', {
        status: 403,
        body: { message: 'admin only', request_id: 'req-9', code: 'FORBIDDEN' },
      });

      const err = await failure(client.getStatistics('x'));

      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({
        message: 'admin only',
        status: 403,
        code: 'FORBIDDEN',
        requestId: 'req-9',
      });
    });

    it('rejects with all validation messages joined when the server sends a list', async () => {
      server.reply('POST', '/api/v1/projects', {
        status: 422,
        body: { message: ['path must not be empty', 'quota_bytes must be positive'], request_id: 'r' },
      });

      const err = await failure(client.createProject({ path: '' }));

      expect(err).toMatchObject({
        message: 'path must not be empty; quota_bytes must be positive',
        status: 422,
      });
    });

    it('rejects with the status text when the error body is not JSON', async () => {
      server.reply('GET', '/api/v1/projects/x/statistics', { status: 502, raw: '<html>bad gateway</html>' });

      await expect(client.getStatistics('x')).rejects.toMatchObject({ message: 'Bad Gateway', status: 502 });
    });

    it('rejects a 200 that is not JSON, hinting at a wrong URL', async () => {
      server.reply('GET', '/api/v1/projects/x/statistics', { status: 200, raw: '<html>welcome</html>' });

      await expect(client.getStatistics('x')).rejects.toMatchObject({
        message: 'the server answered with something that is not JSON; is LFS_DEPOT_URL right?',
        status: 200,
      });
    });

    it('rejects a redirect instead of following it with the token', async () => {
      server.reply('GET', '/api/v1/projects/x/statistics', {
        status: 301,
        headers: { location: 'https://elsewhere.example/api/v1/projects/x/statistics' },
      });

      await expect(client.getStatistics('x')).rejects.toMatchObject({
        message:
          'the server redirected to https://elsewhere.example/api/v1/projects/x/statistics; ' +
          'set LFS_DEPOT_URL to the address it should be',
        status: 301,
      });
      expect(server.requests).toHaveLength(1);
    });

    it('rejects with a ConnectionError when nothing listens', async () => {
      const url = await closedPortUrl();

      const err = await failure(new AdminClient({ baseUrl: url, token: 't' }).getStatistics('x'));

      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).toMatchObject({ url, reason: `connect ECONNREFUSED ${url.slice('http://'.length)}` });
    });

    it('rejects with a ConnectionError when the server does not answer in time', async () => {
      server.reply('GET', '/api/v1/projects/x/statistics', { status: 200, hang: true });

      const err = await failure(client.getStatistics('x'));

      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).toMatchObject({ message: `cannot reach ${server.url} (no answer within 1s)` });
    });
  });

  describe('deleteProject', () => {
    it('resolves on 204 without reading a body', async () => {
      server.reply('DELETE', '/api/v1/projects/a%2Fb', { status: 204 });

      await expect(client.deleteProject('a/b')).resolves.toBeUndefined();
    });
  });

  describe('setMember', () => {
    it('encodes project and username as separate segments and sends the role', async () => {
      const body = { project: 'g/p', username: 'd.o/e', role: 'maintainer' };
      server.reply('PUT', '/api/v1/projects/g%2Fp/members/d.o%2Fe', { status: 200, body });

      await expect(client.setMember('g/p', 'd.o/e', 'maintainer')).resolves.toEqual(body);
      expect(server.requests[0]).toMatchObject({
        contentType: 'application/json',
        body: { role: 'maintainer' },
      });
    });
  });
});
