import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

import { afterEach, describe, expect, it } from '@jest/globals';

import { createS3Client } from './s3-client.js';
import { S3Storage } from './s3.storage.js';

const OID = 'a'.repeat(64);
const IDLE_MS = 300;
const TIMED_OUT = /socket timed out after 300 ms of inactivity/;

describe(createS3Client.name, () => {
  let hung: net.Server | undefined;
  const sockets = new Set<net.Socket>();

  afterEach(async () => {
    for (const socket of sockets) {
      socket.destroy();
    }
    await new Promise((resolve) => hung?.close(resolve));
  });

  /** An S3 endpoint that accepts connections, reads what it is sent and never answers. */
  async function hungEndpoint(): Promise<string> {
    hung = net.createServer((socket) => {
      sockets.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => hung?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
  }

  async function storageOnHungEndpoint(): Promise<S3Storage> {
    return new S3Storage({
      bucket: 'lfs',
      prefix: 'objects',
      region: 'us-east-1',
      endpoint: await hungEndpoint(),
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test-secret' },
      connectTimeoutMs: 1000,
      requestTimeoutMs: IDLE_MS,
    });
  }

  it('fails a stat on an endpoint that never answers instead of waiting for ever', async () => {
    const storage = await storageOnHungEndpoint();

    await expect(storage.stat(`${OID.slice(0, 2)}/${OID.slice(2, 4)}/${OID}`)).rejects.toThrow(TIMED_OUT);
  });

  it('fails a download on an endpoint that never answers', async () => {
    const storage = await storageOnHungEndpoint();

    await expect(storage.open(`${OID.slice(0, 2)}/${OID.slice(2, 4)}/${OID}`)).rejects.toThrow(TIMED_OUT);
  });

  it('fails an upload on an endpoint that never answers', async () => {
    const storage = await storageOnHungEndpoint();
    const bytes = Buffer.from('hello');
    const oid = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

    await expect(
      storage.put(`${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`, Readable.from([bytes]), {
        oid,
        size: bytes.length,
      }),
    ).rejects.toThrow(TIMED_OUT);
  });
});
