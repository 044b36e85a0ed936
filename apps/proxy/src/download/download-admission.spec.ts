import { describe, expect, it } from '@jest/globals';

import { InFlightLimiter } from '../http/in-flight-limiter.js';
import { admitDownload, downloaderOf, ipv6Block64 } from './download-admission.js';

describe(downloaderOf.name, () => {
  it('counts a user by name, whatever address they come from', () => {
    expect(downloaderOf('alice', '10.0.0.1')).toBe('user alice');
    expect(downloaderOf('alice', undefined)).toBe('user alice');
  });

  it('counts an anonymous reader by IPv4 address, and by the /64 of an IPv6 one', () => {
    expect(downloaderOf(undefined, '10.0.0.1')).toBe('address 10.0.0.1');
    expect(downloaderOf(undefined, '2001:db8:1:2:aaaa::1')).toBe('address 2001:db8:1:2::/64');
    expect(downloaderOf(undefined, '2001:0db8:0001:0002:ffff:0:0:9')).toBe('address 2001:db8:1:2::/64');
    expect(downloaderOf(undefined, undefined)).toBe('address ');
  });
});

describe(ipv6Block64.name, () => {
  it.each([
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1::', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['fe80::1:2:3:4', 'fe80:0:0:0::/64'],
    ['2001:db8:a:b:c:d:e:f', '2001:db8:a:b::/64'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ])('takes %s to %s', (address, block) => {
    expect(ipv6Block64(address)).toBe(block);
  });
});

describe(admitDownload.name, () => {
  it('lets downloads in up to the per-user limit, then refuses with 429 TOO_MANY_DOWNLOADS', () => {
    const downloads = new InFlightLimiter({ total: 10, perClient: 2 });
    const first = admitDownload(downloads, 'user alice');
    admitDownload(downloads, 'user alice');

    expect(admitDownload(downloads, 'user alice')).toEqual({
      refused: {
        code: 'TOO_MANY_DOWNLOADS',
        message: expect.stringMatching(/^You have 2 downloads in progress already/),
        reason: 'the user has MAX_DOWNLOADS_PER_USER downloads in progress',
      },
    });
    if (!('release' in first)) {
      throw new Error('the first download was refused');
    }
    first.release();
    expect(admitDownload(downloads, 'user alice')).toEqual({ release: expect.any(Function) });
  });

  it('refuses with 503 SERVICE_UNAVAILABLE when the proxy is at its total, whoever asks', () => {
    const downloads = new InFlightLimiter({ total: 2, perClient: 5 });
    admitDownload(downloads, 'user alice');
    admitDownload(downloads, 'user bob');

    expect(admitDownload(downloads, 'user carol')).toEqual({
      refused: {
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringMatching(/^This server is sending 2 downloads already/),
        reason: 'the proxy has MAX_DOWNLOADS_IN_FLIGHT downloads in progress',
      },
    });
  });
});
