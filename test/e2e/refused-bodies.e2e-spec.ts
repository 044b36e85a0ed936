import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { adminClient } from '../helpers/api-harness.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';
import { request } from '../helpers/transfer-stack.js';

// The API refuses a body unread (413 over the route's limit) and closes its connection: the proxy relays that answer,
// never a 503 of its own because its connection to the API went away while it was still sending the body.
describe('bodies the API refuses unread, through the proxy', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
    await adminClient(stack.url).createProject('team/public', 'public');
  });

  afterAll(async () => {
    await stack.close();
  });

  it('relays the 413 of a batch body over the limit, every time, whether the client waits for 100 Continue or not', async () => {
    // 4 MiB: over the batch limit (256 KiB) and over what the API reads through to keep a connection (1 MiB).
    const body = Buffer.alloc(4 * 1024 * 1024, ' ');
    const answers = [];
    for (let round = 0; round < 20; round++) {
      answers.push(
        await request(`${stack.url}/team/public.git/info/lfs/objects/batch`, {
          method: 'POST',
          headers: {
            accept: LFS_MEDIA_TYPE,
            'content-type': LFS_MEDIA_TYPE,
            'content-length': body.length,
            ...(round % 2 === 1 && { expect: '100-continue' }),
          },
          body,
        }).catch((error: unknown) => ({ status: 0, body: String(error) })),
      );
    }

    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 413));
    for (const answer of answers) {
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    }
  });
});
