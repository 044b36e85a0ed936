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
  /** How many clients other than the asking one are connected (0 while the server is down). */
  otherClients(): Promise<number>;
}

/** Sends one inline command on a fresh connection and resolves its whole answer ('' when there is none). */
function command(port: number, line: string, complete: (received: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (complete(received)) {
        socket.end();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(complete(received) ? received : ''));
  });
}

async function answersPing(port: number): Promise<boolean> {
  return (await command(port, 'PING', (received) => received.includes('\r\n'))).startsWith('+PONG');
}

/** A RESP bulk string (`$<length>\r\n<bytes>\r\n`) received whole. */
function wholeBulkString(received: string): boolean {
  const header = /^\$(\d+)\r\n/.exec(received);
  return header !== null && Buffer.byteLength(received) >= header[0].length + Number(header[1]) + 2;
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
  const otherClients = async (): Promise<number> => {
    const list = await command(port, 'CLIENT LIST', wholeBulkString);
    const lines = list
      .split('\r\n')
      .slice(1)
      .join('\n')
      .split('\n')
      .filter((line) => line.startsWith('id='));
    return Math.max(0, lines.length - 1);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}/0`, port, start, stop, otherClients };
}
