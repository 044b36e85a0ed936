import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import type { ApiAnswer } from '../api-client/api.client.js';
import { relayAnswer } from './relay.js';

describe(relayAnswer.name, () => {
  let server: http.Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function relayed(answer: ApiAnswer): Promise<Response> {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => relayAnswer(req, res, answer, 'request-1'));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  }

  it('passes on the API Retry-After with its status and body', async () => {
    const body = JSON.stringify({ code: 'SERVICE_UNAVAILABLE', message: 'database away', request_id: 'r' });
    const response = await relayed({ status: 503, contentType: 'application/json', body, retryAfter: '5' });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('content-type')).toBe(LFS_MEDIA_TYPE);
    expect(await response.text()).toBe(body);
  });

  it('adds no Retry-After when the API sent none', async () => {
    const response = await relayed({ status: 403, contentType: 'application/json', body: '{}' });
    expect(response.status).toBe(403);
    expect(response.headers.get('retry-after')).toBeNull();
  });
});
