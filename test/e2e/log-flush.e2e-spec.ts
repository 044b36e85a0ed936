import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@lfs-depot/testing';

// The suite always runs from the repository root (scripts/run-tests.mjs sets cwd), after a build.
const proxyMain = path.join(process.cwd(), 'dist/apps/proxy/src/main.js');

describe('buffered log lines', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-log-flush-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes the access line of the last request and the lines of a SIGTERM shutdown to a pipe', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [proxyMain], {
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        API_URL: `http://127.0.0.1:${await freePort()}`,
        INTERNAL_SECRET: randomBytes(32).toString('base64'),
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!output.includes('lfs-depot listening')) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`the proxy did not start; output:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const answer = await fetch(`http://127.0.0.1:${port}/internal/uploads/finalize`, { method: 'POST' });
    expect(answer.status).toBe(404);
    const { request_id: requestId } = (await answer.json()) as { request_id: string };
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.request_id === requestId)).toHaveLength(1);
    // Logged in the turn that calls process.exit: only the flush on exit writes it.
    expect(lines.at(-1)).toMatchObject({ app: 'proxy', msg: 'Proxy stopped' });
    expect(lines.map((line) => line.msg)).toContain(
      'SIGTERM: shutting down (transfers under way get 10 seconds)',
    );
  });
});
