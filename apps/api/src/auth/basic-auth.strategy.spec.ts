import { describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import { UNUSABLE_BASIC_AUTHORIZATIONS } from '@lfs-depot/testing';

import type { Principal } from '../core/principal.js';
import type { AuthService } from './auth.service.js';
import { BasicAuthStrategy } from './basic-auth.strategy.js';

interface Call {
  username: string;
  secret: string;
  client: string | undefined;
}

/** The one AuthService method the strategy calls, answering from a fixed table of username and secret. */
class FakeAuth implements Pick<AuthService, 'authenticateBasic'> {
  readonly calls: Call[] = [];

  constructor(
    private readonly accounts: Record<string, string>,
    private readonly failure?: Error,
  ) {}

  authenticateBasic(username: string, secret: string, client?: string): Promise<Principal | undefined> {
    this.calls.push({ username, secret, client });
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    return Promise.resolve(
      this.accounts[username] === secret
        ? { userId: '7', username, admin: false, tokenProjectId: null, maxRole: null }
        : undefined,
    );
  }
}

function strategy(auth: FakeAuth): BasicAuthStrategy {
  return new BasicAuthStrategy(auth as unknown as AuthService);
}

const unauthenticated = new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid username, password or token');

describe(BasicAuthStrategy.name, () => {
  it('signs in through the verify callback, with the client address', async () => {
    const auth = new FakeAuth({ alice: 'correct horse' });

    const principal = await strategy(auth).authenticate(
      formatBasicAuthorization('alice', 'correct horse'),
      '203.0.113.9',
    );

    expect(principal).toEqual({
      userId: '7',
      username: 'alice',
      admin: false,
      tokenProjectId: null,
      maxRole: null,
    });
    expect(auth.calls).toEqual([{ username: 'alice', secret: 'correct horse', client: '203.0.113.9' }]);
  });

  it('passes on a password holding colons whole (RFC 7617)', async () => {
    const auth = new FakeAuth({ alice: 'a:b::c:' });

    await expect(
      strategy(auth).authenticate(formatBasicAuthorization('alice', 'a:b::c:'), undefined),
    ).resolves.toMatchObject({ username: 'alice' });
    expect(auth.calls).toEqual([{ username: 'alice', secret: 'a:b::c:', client: undefined }]);
  });

  it('passes on a password that starts with a colon (RFC 7617: only the user-id cannot hold one)', async () => {
    const auth = new FakeAuth({ alice: ':correct horse' });

    await expect(
      strategy(auth).authenticate(formatBasicAuthorization('alice', ':correct horse'), undefined),
    ).resolves.toMatchObject({ username: 'alice' });
    expect(auth.calls).toEqual([{ username: 'alice', secret: ':correct horse', client: undefined }]);
  });

  it('answers UNAUTHENTICATED to credentials that do not check out', async () => {
    const auth = new FakeAuth({ alice: 'correct horse' });

    await expect(
      strategy(auth).authenticate(formatBasicAuthorization('alice', 'wrong'), undefined),
    ).rejects.toEqual(unauthenticated);
    expect(auth.calls).toHaveLength(1);
  });

  it.each(UNUSABLE_BASIC_AUTHORIZATIONS)(
    'answers UNAUTHENTICATED to %s without asking AuthService',
    async (_case, authorization) => {
      const auth = new FakeAuth({ alice: 'correct horse' });

      await expect(strategy(auth).authenticate(authorization, undefined)).rejects.toEqual(unauthenticated);
      expect(auth.calls).toEqual([]);
    },
  );

  it('passes on what AuthService throws (throttling, an unreachable database) unchanged', async () => {
    const throttled = new DomainError(ErrorCode.RATE_LIMITED, 'Too many failed sign-ins');
    const auth = new FakeAuth({}, throttled);

    await expect(
      strategy(auth).authenticate(formatBasicAuthorization('alice', 'guess'), '203.0.113.9'),
    ).rejects.toBe(throttled);
  });

  it('keeps each instance to its own AuthService, as two APIs in one process need', async () => {
    const first = new FakeAuth({ alice: 'first' });
    const second = new FakeAuth({ alice: 'second' });
    const firstStrategy = strategy(first);
    strategy(second);

    await expect(
      firstStrategy.authenticate(formatBasicAuthorization('alice', 'first'), undefined),
    ).resolves.toMatchObject({ username: 'alice' });
    expect([first.calls.length, second.calls.length]).toEqual([1, 0]);
  });
});
