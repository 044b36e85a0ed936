import net from 'node:net';

import { describe, expect, it } from '@jest/globals';
import { DOCUMENTATION_URL, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { ProxyServer } from '../../apps/proxy/src/proxy.server.js';
import { TEST_INTERNAL_SECRET } from '../helpers/api-harness.js';
import { alice, basic, json, request, testObject, useTransferStack } from '../helpers/transfer-stack.js';

// Malformed object requests through the proxy get JSON errors, never a 500, and an unreachable API a 503.
// Raw HTTP against the whole stack (proxy in front of the API, local disk).
describe('object transfers through the proxy (local disk storage)', () => {
  const t = useTransferStack([{ path: 'team/main' }]);

  describe('malformed requests through the proxy', () => {
    it('forwards a PUT with a bad oid to the API and answers a JSON 404', async () => {
      const answer = await request(t().lfs('team/main', 'objects/not-an-oid/10'), {
        method: 'PUT',
        headers: { authorization: basic(alice.username, alice.password) },
        body: '0123456789',
      });
      expect(answer.status).toBe(404);
      expect(json(answer)).toMatchObject({ request_id: expect.any(String) });
    });

    it('answers a batch with broken JSON with 400 JSON', async () => {
      const answer = await request(t().lfs('team/main', 'objects/batch'), {
        method: 'POST',
        headers: {
          accept: LFS_MEDIA_TYPE,
          'content-type': LFS_MEDIA_TYPE,
          authorization: basic(alice.username, alice.password),
        },
        body: '{"operation": "upload", "objects": [',
      });
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'MALFORMED_JSON' });
    });

    it('answers 503 JSON on transfer routes while the API is unreachable, as the API answers SERVICE_UNAVAILABLE', async () => {
      const closed = await new Promise<number>((resolve) => {
        const server = net.createServer();
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address() as net.AddressInfo;
          server.close(() => resolve(port));
        });
      });
      const orphan = new ProxyServer({
        apiUrl: `http://127.0.0.1:${closed}`,
        internalSecret: TEST_INTERNAL_SECRET,
        storage: t().stack.api.storage,
      });
      const port = await orphan.listen(0, '127.0.0.1');
      try {
        const object = testObject(10);
        const base = `http://127.0.0.1:${port}/team/main.git/info/lfs`;
        for (const [method, url] of [
          ['PUT', `${base}/objects/${object.oid}/${object.size}`],
          ['GET', `${base}/objects/${object.oid}`],
          ['POST', `${base}/objects/batch`],
        ] as const) {
          const answer = await request(url, { method, body: method === 'GET' ? undefined : object.data });
          expect({ method, status: answer.status }).toEqual({ method, status: 503 });
          expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
          expect({ method, retryAfter: answer.headers['retry-after'] }).toEqual({ method, retryAfter: '2' });
          expect(json(answer)).toMatchObject({
            code: 'SERVICE_UNAVAILABLE',
            message: expect.stringContaining('API is not reachable'),
            documentation_url: DOCUMENTATION_URL,
          });
        }
        expect(await t().tempFiles()).toEqual([]);
      } finally {
        await orphan.close();
      }
    });

    it('never answers 500 to odd object requests', async () => {
      const oid = 'b'.repeat(64);
      const auth = { authorization: basic(alice.username, alice.password) };
      const cases: [string, string, Record<string, string>][] = [
        ['PUT', t().lfs('team/main', `objects/${oid}/99999999999999999`), auth],
        ['PUT', t().lfs('team/main', `objects/${oid}/9999999999999999`), auth],
        ['PUT', t().lfs('no/such-project', `objects/${oid}/1`), auth],
        ['GET', t().lfs('team/main', `objects/${oid}`), auth],
        ['GET', t().lfs('team/main', `objects/${oid}/12`), auth],
        ['GET', `${t().stack.url}/%E0%A4%A.git/info/lfs/objects/${oid}`, auth],
        ['PUT', t().lfs('team/main', `objects/${oid}/1`), { authorization: 'Basic !!!' }],
      ];
      for (const [method, url, headers] of cases) {
        const answer = await request(url, { method, headers, body: method === 'PUT' ? 'x' : undefined });
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
      }
    });
  });
});
