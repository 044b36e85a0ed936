import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

import { describe, expect, it } from '@jest/globals';
import { logCapture } from '@lfs-depot/testing';

import { createLogger } from './logger.js';
import { RequestLog, requestRecordOf } from './request-log.js';
import type { RequestRecord } from './request-log.js';

describe(RequestLog.name, () => {
  describe('begin', () => {
    it('returns the record the request then carries, and whose user the access line names', async () => {
      expect.assertions(3);
      const out = logCapture();
      const log = new RequestLog({
        logger: createLogger({ app: 'api', level: 'log', destination: out }),
        clientOf: () => '192.0.2.1',
      });
      let carried: RequestRecord | undefined;
      let begun: RequestRecord | undefined;
      let logged: Promise<unknown> = Promise.resolve();
      const server = http.createServer((req, res) => {
        begun = log.begin(req, res, 'req-1');
        // Registered after begin's own listener, so it runs once the line is written.
        logged = once(res, 'close');
        // Later, in a handler that has only the request, after an await: no async context needed.
        void Promise.resolve().then(() => {
          carried = requestRecordOf(req);
          if (carried) {
            carried.user = 'alice';
          }
          res.end('ok');
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const { port } = server.address() as AddressInfo;
        await (await fetch(`http://127.0.0.1:${port}/group/p.git/info/lfs/objects/batch`)).text();
        await logged;
      } finally {
        server.close();
      }
      expect(carried).toBe(begun);
      expect(out.parsed()).toEqual([
        expect.objectContaining({ request_id: 'req-1', user: 'alice', project: 'group/p', status: 200 }),
      ]);
      expect(requestRecordOf(new http.IncomingMessage(new net.Socket()))).toBeUndefined();
    });
  });
});
