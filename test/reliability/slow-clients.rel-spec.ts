import net from 'node:net';

import { describe, expect, it } from '@jest/globals';
import { eventually } from '@lfs-depot/testing';

import { SCALE, useDeployment, userWithProject } from './helpers/deployment.js';
import { basic, batch, isAnswer, send, testObject, uploadObject } from './helpers/lfs-client.js';

/** Issue 13 item 2: this many slow clients connected at once must not take health or readiness down. */
const SLOW_CLIENTS = 500;

/**
 * A client that sends the head of a request promising a big body, then a byte now and then: the slowloris that
 * exhausted the proxy's forwarding pool. Resolves once its head is sent.
 */
function slowClient(port: number, head: string, sockets: net.Socket[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => undefined); // the proxy may cut us off: that is its right
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      socket.write(head, () => resolve());
      const trickle = setInterval(() => {
        if (socket.destroyed) {
          clearInterval(trickle);
        } else {
          socket.write('[');
        }
      }, 1000);
      trickle.unref();
      socket.on('close', () => clearInterval(trickle));
    });
    socket.on('close', () => resolve());
  });
}

// Issue 13 item 2: without the proxy's in-flight bounds and body timeouts /-/health hangs here.
describe('slow clients', () => {
  const deployment = useDeployment();

  it('leave health, readiness and other clients answered while 500 of them trickle their bodies', async () => {
    const { admin, instances } = deployment();
    const instance = instances[0];
    const port = Number(new URL(instance.url).port);
    const user = await userWithProject(admin, 'patient', 'slow/project');
    const authorization = basic(user.username, user.token);
    const sockets: net.Socket[] = [];
    try {
      const heads = [
        // Anonymous forwarded requests promising a megabyte each, as in the issue.
        'POST /slow/project.git/info/lfs/objects/batch HTTP/1.1\r\nHost: x\r\n' +
          'Content-Type: application/vnd.git-lfs+json\r\nAccept: application/vnd.git-lfs+json\r\n' +
          'Content-Length: 1000000\r\n\r\n{',
        'POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n',
        // Headers that never end.
        'GET /-/health HTTP/1.1\r\nHost: x\r\nX-Slow: ',
      ];
      await Promise.all(
        Array.from({ length: SLOW_CLIENTS * SCALE }, (_, i) =>
          slowClient(port, heads[i % heads.length], sockets),
        ),
      );

      for (let i = 0; i < 10; i += 1) {
        for (const route of ['/-/health', '/-/readiness']) {
          const outcome = await send(`${instance.url}${route}`, { method: 'GET', timeoutMs: 15_000 });
          expect({ route, status: isAnswer(outcome) ? outcome.status : outcome.error }).toEqual({
            route,
            status: 200,
          });
        }
        // A well-behaved client is served, or told at once to come back (the in-flight limit is full).
        const outcome = await batch(
          instance.url,
          'slow/project',
          'download',
          [testObject(10)],
          authorization,
          15_000,
        );
        const status = isAnswer(outcome) ? outcome.status : outcome.error;
        expect([200, 503]).toContain(status);
        if (status === 503 && isAnswer(outcome)) {
          expect(outcome.headers['retry-after']).toBeDefined();
        }
      }
    } finally {
      sockets.forEach((socket) => socket.destroy());
    }
    // Once they are gone, everything works as before.
    await eventually(async () => {
      const outcome = await batch(instance.url, 'slow/project', 'download', [testObject(10)], authorization);
      return isAnswer(outcome) && outcome.status === 200;
    }, 60_000);
    expect(await uploadObject(instance.url, 'slow/project', testObject(5000), authorization)).toEqual({
      put: 200,
      verify: 200,
    });
    expect([instance.isRunning('api'), instance.isRunning('proxy')]).toEqual([true, true]);
  }, 300_000);
});
