import { access, readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from '@jest/globals';

const root = process.cwd();

/** `Key=value` lines of a systemd unit, by key (the last one wins, as in systemd). */
async function unitSettings(file: string): Promise<Record<string, string>> {
  const text = await readFile(path.join(root, file), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^(\w+)=(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, key, value]) => [key, value]),
  );
}

describe('deploy/', () => {
  it('has a systemd unit that starts scripts/start.mjs and lets it stop the proxy, then the API', async () => {
    const unit = await unitSettings('deploy/lfs-depot.service');
    const [node, script] = (unit.ExecStart ?? '').split(' ');

    expect(node).toMatch(/\/node$/);
    await expect(access(path.join(root, script ?? 'missing'))).resolves.toBeUndefined();
    // start.mjs gives the proxy 15 s and the API 20 s after SIGTERM; systemd must not kill them sooner.
    expect(unit).toMatchObject({
      KillMode: 'mixed',
      KillSignal: 'SIGTERM',
      ReadWritePaths: '/var/lib/lfs-depot',
    });
    expect(Number(unit.TimeoutStopSec)).toBeGreaterThanOrEqual(35);
    expect(unit.Environment).toContain('DATA_DIR=/var/lib/lfs-depot');
  });

  it('has an nginx server block with what README says large transfers need', async () => {
    const conf = await readFile(path.join(root, 'deploy/nginx-lfs-depot.conf'), 'utf8');
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');

    for (const directive of [
      'client_max_body_size 0;',
      'proxy_request_buffering off;',
      'proxy_buffering off;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    ]) {
      expect({ directive, present: conf.includes(directive) }).toEqual({ directive, present: true });
    }
    for (const timeout of [
      'client_body_timeout',
      'send_timeout',
      'proxy_send_timeout',
      'proxy_read_timeout',
    ]) {
      expect({ timeout, set: new RegExp(`^\\s*${timeout}\\s+\\d+s;$`, 'm').test(conf) }).toEqual({
        timeout,
        set: true,
      });
      expect(readme).toContain(`\`${timeout}\``);
    }
    expect(conf).toMatch(/^\s*server 127\.0\.0\.1:8080;$/m);
    expect(conf).toContain('TRUSTED_PROXY_HOPS=1');
  });
});
