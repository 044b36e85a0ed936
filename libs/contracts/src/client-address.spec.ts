import type { IncomingMessage } from 'node:http';

import { describe, expect, it } from '@jest/globals';

import { clientAddress } from './client-address.js';

const request = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  }) as unknown as IncomingMessage;

describe(clientAddress.name, () => {
  it('returns the socket peer when no load balancer is trusted, whatever the client claims', () => {
    expect(clientAddress(request('10.0.0.5', '1.2.3.4'), 0)).toBe('10.0.0.5');
  });

  it('returns the entry appended by each trusted hop, never one the client wrote', () => {
    expect(clientAddress(request('10.0.0.1', 'spoofed, 198.51.100.7'), 1)).toBe('198.51.100.7');
    expect(clientAddress(request('10.0.0.1', 'spoofed, 198.51.100.7, 10.0.0.2'), 2)).toBe('198.51.100.7');
  });

  it('falls back to the peer when a trusted hop sent no header', () => {
    expect(clientAddress(request('10.0.0.1'), 1)).toBe('10.0.0.1');
  });
});
