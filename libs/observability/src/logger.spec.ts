import { describe, expect, it } from '@jest/globals';
import { logCapture } from '@lfs-depot/testing';

import { createLogger, flatLineLogger, pinoLevel, resolveLogFormat } from './logger.js';

describe('createLogger', () => {
  it('writes JSON lines with time, level and app when the destination is no terminal', () => {
    const out = logCapture();
    createLogger({ app: 'api', level: 'log', destination: out }).info({ route: 'lfs_batch' }, 'hello');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', app: 'api', route: 'lfs_batch', msg: 'hello' });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('writes one readable line without colours on a terminal, and JSON there when told to', () => {
    const terminal = logCapture({ isTTY: true });
    createLogger({ app: 'proxy', level: 'log', destination: terminal }).info(
      { status: 200 },
      'GET lfs_download 200',
    );
    const text = terminal.text();
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toContain('INFO');
    expect(text).toContain('GET lfs_download 200');
    expect(text).toContain('"status":200');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/\u001b\[/);

    const forced = logCapture({ isTTY: true });
    createLogger({ app: 'proxy', level: 'log', format: 'json', destination: forced }).info('x');
    expect(JSON.parse(forced.text())).toMatchObject({ msg: 'x', app: 'proxy' });
  });

  it('writes pretty lines to a pipe when told to', () => {
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
    expect(resolveLogFormat(undefined, false)).toBe('json');
    expect(resolveLogFormat(undefined, true)).toBe('pretty');
  });

  it('honours the level: warn drops info lines, debug keeps debug ones', () => {
    const out = logCapture();
    const logger = createLogger({ app: 'api', level: 'warn', destination: out });
    logger.info('dropped');
    logger.warn('kept');
    expect(out.text()).not.toContain('dropped');
    expect(out.text()).toContain('kept');
    expect(pinoLevel('log')).toBe('info');
    expect(
      createLogger({ app: 'api', level: 'debug', destination: logCapture() }).isLevelEnabled('debug'),
    ).toBe(true);
  });

  it('redacts credentials by field name and keeps only what explains an error', () => {
    const out = logCapture();
    const error = Object.assign(new Error('boom'), { code: 'E_X', parameters: ['hash-of-something'] });
    createLogger({ app: 'api', level: 'log', destination: out }).error(
      {
        headers: { authorization: 'Basic c2VjcmV0' },
        password: 'hunter2',
        nested: { token: 't0k' },
        err: error,
      },
      'failed',
    );
    const text = out.text();
    for (const secret of ['c2VjcmV0', 'hunter2', 't0k', 'hash-of-something']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({ err: { type: 'Error', message: 'boom', code: 'E_X' } });
  });

  it('flat lines keep their top-level redaction, the app, the level and what explains an error', () => {
    const out = logCapture();
    const logger = createLogger({ app: 'proxy', level: 'warn', destination: out });
    const flat = flatLineLogger(logger);
    expect(flatLineLogger(logger)).toBe(flat);
    expect(flat.isLevelEnabled('info')).toBe(false);
    const error = Object.assign(new Error('boom'), { token: 'err-t0k', parameters: ['param-secret'] });
    flat.warn(
      {
        authorization: 'Basic c2VjcmV0',
        password: 'hunter2',
        token: 't0k',
        grant: 'g-r-a-n-t',
        secret: 's3',
        err: error,
      },
      'flat',
    );
    const text = out.text();
    for (const secret of ['c2VjcmV0', 'hunter2', 't0k', 'g-r-a-n-t', 's3', 'param-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({ app: 'proxy', token: '[redacted]', err: { message: 'boom' } });
  });
});
