import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

import { freePort } from '@lfs-depot/testing';

/** A redis-server of the test's own on a free loopback port, which the test may stop and start again. */
export interface TestRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL): connections drop at once, as when Redis crashes or its host goes away. */
  stop(): Promise<void>;
  /** Starts an empty server on the same port again. */
  start(): Promise<void>;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.includes('\r\n')) {
        socket.end();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received.startsWith('+PONG')));
  });
}

/** /usr/bin/redis-server without persistence, never the machine's shared 6379. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn(
      process.env.LFS_TEST_REDIS_SERVER ?? '/usr/bin/redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = started;
    const exited = new Promise<never>((_, reject) =>
      started.once('exit', (code) => reject(new Error(`redis-server exited (${code}) during startup`))),
    );
    exited.catch(() => undefined);
    const deadline = Date.now() + 30_000;
    while (!(await Promise.race([answersPing(port), exited]))) {
      if (Date.now() > deadline) {
        throw new Error(`redis-server on port ${port} did not answer PING within 30 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) {
      return;
    }
    await new Promise((resolve) => {
      running.once('exit', resolve);
      running.kill('SIGKILL');
    });
  };
  await start();
  return { url: `redis://127.0.0.1:${port}/0`, port, start, stop };
}
