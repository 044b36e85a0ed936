import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@lfs-depot/observability';
import { formatStorageMarker, LocalStorage } from '@lfs-depot/storage';
import { logCapture } from '@lfs-depot/testing';

import { ProxyServer } from '../../apps/proxy/src/proxy.server.js';
import { type ApiHarness, startApiHarness, TEST_INTERNAL_SECRET } from '../helpers/api-harness.js';

const OID = 'a'.repeat(64);

describe("a proxy whose STORAGE is not the API's", () => {
  let api: ApiHarness;
  let root: string;
  const proxies: ProxyServer[] = [];

  beforeAll(async () => {
    api = await startApiHarness();
    root = await mkdtemp(path.join(os.tmpdir(), 'proxy-storage-'));
  });

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await api.close();
    await rm(root, { recursive: true, force: true });
  });

  async function proxyOn(
    storage: LocalStorage,
  ): Promise<{ base: string; log: ReturnType<typeof logCapture> }> {
    const log = logCapture();
    const proxy = new ProxyServer({
      apiUrl: api.url,
      internalSecret: TEST_INTERNAL_SECRET,
      storage,
      logger: createLogger({ app: 'proxy', level: 'log', format: 'json', destination: log }),
    });
    proxies.push(proxy);
    const port = await proxy.listen(0, '127.0.0.1');
    return { base: `http://127.0.0.1:${port}/team/main.git/info/lfs/objects`, log };
  }

  it.each([
    ['has no marker', () => Promise.resolve(new LocalStorage(path.join(root, 'empty')))],
    [
      'has the marker of another storage id',
      async () => {
        const storage = new LocalStorage(path.join(root, 'other'));
        await storage.createMarker(formatStorageMarker('b'.repeat(32)));
        return storage;
      },
    ],
  ])(
    'refuses uploads and downloads with 503 STORAGE_MISMATCH when its STORAGE %s, logging an error',
    async (_, make) => {
      const storage = await make();
      const { base, log } = await proxyOn(storage);
      for (const [method, url] of [
        ['PUT', `${base}/${OID}/1`],
        ['GET', `${base}/${OID}`],
      ] as const) {
        const response = await fetch(url, { method, body: method === 'PUT' ? 'x' : undefined });
        expect(response.status).toBe(503);
        const body = (await response.json()) as { code: string; message: string };
        expect(body.code).toBe('STORAGE_MISMATCH');
        expect(body.message).toContain(`the API's storage id is ${api.storageId}`);
      }
      const errors = log.parsed().filter((line) => line.level === 'error');
      expect(errors).toHaveLength(1);
      expect(String(errors[0]?.msg)).toContain("The proxy's STORAGE is not the API's");
      // Nothing was written to the proxy's storage: no object, no marker.
      expect(await storage.stat(`aa/aa/${OID}`)).toBeUndefined();
    },
  );

  it("serves transfers as usual on the API's own storage", async () => {
    const { base, log } = await proxyOn(new LocalStorage((api.storage as LocalStorage).root));
    const response = await fetch(`${base}/${OID}`);
    // The API's own answer (no such project), not the proxy's refusal.
    expect(response.status).not.toBe(503);
    expect(((await response.json()) as { code: string }).code).not.toBe('STORAGE_MISMATCH');
    expect(log.parsed().filter((line) => line.level === 'error')).toEqual([]);
  });
});
