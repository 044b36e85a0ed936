import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';

import { AccessCache } from '../cache/access-cache.js';
import { SharedCache } from '../cache/shared-cache.js';
import { ApiSecrets } from '../core/api-secrets.js';
import { BOOTSTRAP_ADMIN } from '../core/principal.js';
import type { Principal } from '../core/principal.js';
import type { User } from '../users/user.entity.js';
import { UsersRepository } from '../users/users.repository.js';
import {
  adminThrottleKeys,
  LoginThrottle,
  passwordThrottleKeys,
  tokenThrottleKeys,
} from './login-throttle.js';
import { hashPassword, needsRehash, verifyPassword } from './password-hasher.js';
import { hashToken, PLATFORM_TOKEN_PREFIX, TOKEN_PREFIX } from './token-hash.js';
import { TRANSFER_TOKEN_PREFIX, TransferTokenService } from './transfer-token.service.js';
import type { TransferClaims } from './transfer-token.service.js';

let dummyHash: Promise<string> | undefined;

/** A hash of no one's password, checked against when the user does not exist. */
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword('no user has this password');
  return dummyHash;
}

/** What the password memory holds for a verified pair: the user, and which of their password hashes it matched. */
function verifiedValue(userId: string, passwordHash: string): string {
  return `${userId}:${createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22)}`;
}

/** How long a verified username/password pair is remembered, so git-lfs's per-request Basic auth costs one scrypt. */
const VERIFIED_PASSWORD_TTL_SECONDS = 60;

/** What could make an access token stop working, as remembered in the AccessCache. */
interface TokenState {
  userId: string;
  revoked: boolean;
  /** Epoch milliseconds, or null for a token that never expires. */
  expiresAt: number | null;
}

/** An access token as remembered in the AccessCache: who it signs in, and what could make it stop working. */
interface KnownToken extends Omit<TokenState, 'userId'> {
  principal: Principal;
}

function usable(token: Omit<TokenState, 'userId'>, now = Date.now()): boolean {
  return !token.revoked && (token.expiresAt === null || token.expiresAt > now);
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  /** Password checks in flight, by client and keyed credentials. */
  private readonly passwordChecks = new Map<string, Promise<Principal | undefined>>();
  private readonly adminTokenDigest: Buffer;

  constructor(
    private readonly users: UsersRepository,
    private readonly cache: SharedCache,
    private readonly accessCache: AccessCache,
    private readonly secrets: ApiSecrets,
    private readonly transferTokens: TransferTokenService,
    private readonly throttle: LoginThrottle,
  ) {
    this.adminTokenDigest = createHash('sha256').update(secrets.adminToken).digest();
  }

  /**
   * Authenticates HTTP Basic credentials (the verify callback of BasicAuthStrategy): the secret may be the user's password or one of their access tokens.
   * Returns undefined for anything that does not check out, without saying which part was wrong. Password
   * attempts are throttled per `client` (address and username); tokens are too long to guess.
   */
  async authenticateBasic(username: string, secret: string, client?: string): Promise<Principal | undefined> {
    if (!username || !secret) {
      return undefined;
    }
    if (secret.startsWith(TRANSFER_TOKEN_PREFIX)) {
      return this.authenticateTransferToken(username, secret);
    }
    if (secret.startsWith(TOKEN_PREFIX)) {
      const check = async (): Promise<Principal | undefined> => {
        const principal = await this.authenticateToken(secret);
        return principal?.username === username ? principal : undefined;
      };
      return client === undefined
        ? check()
        : this.throttle.attempt(tokenThrottleKeys(client, username), check, { reserve: false });
    }
    if (client === undefined) {
      return this.authenticatePassword(username, secret);
    }
    // Identical sign-ins at once (a CI farm's parallel clones) share one check and one throttle decision: one
    // scrypt, and at most one failure counted for a repeated wrong password.
    const keyed = this.passwordKey(username, secret);
    const shared = `${client}\0${keyed}`;
    let pending = this.passwordChecks.get(shared);
    if (!pending) {
      pending = this.throttle
        .attempt(
          passwordThrottleKeys(client, username),
          () => this.authenticatePassword(username, secret, keyed),
          { reserve: true },
        )
        .finally(() => this.passwordChecks.delete(shared));
      this.passwordChecks.set(shared, pending);
    }
    const principal = await pending;
    return principal && { ...principal };
  }

  /**
   * A transfer token is signed, but the user behind it is looked up again: a deleted or renamed user's tokens stop
   * working at once, and the admin flag comes from the database, not from the token.
   */
  async authenticateTransferToken(
    username: string,
    token: string,
    /**
     * When the use began (ms): a transfer started before its token or the token's parent expired completes, so the
     * finalize of an upload judges expiry as of the upload's start. Revocation and membership are judged as of now.
     */
    startedAt = Date.now(),
  ): Promise<Principal | undefined> {
    const claims = this.transferTokens.verify(token, startedAt);
    return claims && this.principalOfTransferClaims(claims, username, startedAt);
  }

  /**
   * Who verified transfer-token claims (a token's, or a download grant's credential, whose signature the caller has
   * checked) stand for now: undefined when the user is gone or renamed (`username`, when the client named one), or the
   * parent credential was revoked or expired as of `startedAt`.
   */
  async principalOfTransferClaims(
    claims: TransferClaims,
    username: string | undefined,
    startedAt = Date.now(),
  ): Promise<Principal | undefined> {
    const user = await this.accessCache.load(`user:${claims.userId}`, () => this.userById(claims.userId));
    if (!user || (username !== undefined && user.username !== username)) {
      return undefined;
    }
    // The parent token's revocation empties the AccessCache on every instance, so this stops the transfer token too.
    if (claims.parentTokenId !== undefined) {
      const parentId = claims.parentTokenId;
      const parent = await this.accessCache.load(`token-id:${parentId}`, () => this.tokenState(parentId));
      if (!parent || parent.userId !== claims.userId || !usable(parent, startedAt)) {
        return undefined;
      }
    }
    // Likewise for the platform token that had it minted: its revocation empties the AccessCache too.
    if (claims.parentPlatformTokenId !== undefined) {
      const parentId = claims.parentPlatformTokenId;
      const parent = await this.accessCache.load(`platform-id:${parentId}`, () =>
        this.users.findPlatformTokenById(parentId),
      );
      if (!parent || parent.revokedAt !== null) {
        return undefined;
      }
    }
    // Membership is still checked on use; the token only narrows what the user may do, never widens it.
    return {
      userId: user.id,
      username: user.username,
      admin: user.admin,
      tokenProjectId: claims.projectId,
      maxRole: claims.role,
      credentialExpiresAt: claims.expiresAt,
      ...(claims.parentTokenId === undefined ? {} : { credentialTokenId: claims.parentTokenId }),
      ...(claims.parentPlatformTokenId === undefined
        ? {}
        : { credentialPlatformTokenId: claims.parentPlatformTokenId }),
    };
  }

  /** Authenticates a bare access token (Bearer). */
  async authenticateToken(token: string): Promise<Principal | undefined> {
    const tokenHash = hashToken(token);
    const known = await this.accessCache.load(`token:${tokenHash}`, () => this.lookUpToken(tokenHash));
    if (!known || !usable(known)) {
      return undefined;
    }
    return { ...known.principal };
  }

  private async lookUpToken(tokenHash: string): Promise<KnownToken | undefined> {
    const found = await this.users.findTokenByHash(tokenHash);
    if (!found) {
      return undefined;
    }
    const { token: row, user } = found;
    const known: KnownToken = {
      principal: {
        userId: user.id,
        username: user.username,
        admin: user.admin && row.projectId === null,
        tokenProjectId: row.projectId,
        maxRole: null,
        credentialTokenId: row.id,
        ...(row.expiresAt ? { credentialExpiresAt: Math.floor(row.expiresAt.getTime() / 1000) } : {}),
      },
      revoked: row.revokedAt !== null,
      expiresAt: row.expiresAt?.getTime() ?? null,
    };
    // Looked up at most once per AccessCache lifetime: skip even that write while the recorded last use is recent.
    if (usable(known) && (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000)) {
      await this.users.touchToken(row.id);
    }
    return known;
  }

  private async tokenState(id: string): Promise<TokenState | undefined> {
    const row = await this.users.findTokenById(id);
    return row
      ? { userId: row.userId, revoked: row.revokedAt !== null, expiresAt: row.expiresAt?.getTime() ?? null }
      : undefined;
  }

  private async userById(id: string): Promise<User | undefined> {
    return (await this.users.findUserById(id)) ?? undefined;
  }

  /**
   * Keyed with API_SECRET's password-cache key: whoever can read the cache (or holds the proxy's INTERNAL_SECRET)
   * still can't test password guesses against it.
   */
  private passwordKey(username: string, password: string): string {
    return createHmac('sha256', this.secrets.passwordCacheKey)
      .update(`${username}\0${password}`)
      .digest('hex');
  }

  private async authenticatePassword(
    username: string,
    password: string,
    keyed = this.passwordKey(username, password),
  ): Promise<Principal | undefined> {
    const cacheKey = `auth:pw:${keyed}`;
    const cachedUserId = await this.cache.get(cacheKey);
    const user = await this.accessCache.load(
      `username:${username}`,
      async () => (await this.users.findUserByUsername(username)) ?? undefined,
    );
    if (!user?.passwordHash) {
      // Same cost as a real check, so response times don't tell which usernames exist.
      await verifyPassword(password, await dummyPasswordHash());
      return undefined;
    }
    // The user comes from the AccessCache, which forgets deleted users and changed passwords at once; the key
    // includes the password, and the value names the hash it was verified against, so a new hash is checked anew.
    if (cachedUserId !== verifiedValue(user.id, user.passwordHash)) {
      if (!(await verifyPassword(password, user.passwordHash))) {
        return undefined;
      }
      const hash = needsRehash(user.passwordHash)
        ? await this.rehashPassword(user, user.passwordHash, password)
        : user.passwordHash;
      await this.cache.set(cacheKey, verifiedValue(user.id, hash), VERIFIED_PASSWORD_TTL_SECONDS);
    }
    return {
      userId: user.id,
      username: user.username,
      admin: user.admin,
      tokenProjectId: null,
      maxRole: null,
    };
  }

  /**
   * A hash made with earlier scrypt costs is replaced by one at today's, now that the password is known to be right:
   * one more scrypt, once per such user. A failure only leaves the old hash, which keeps working. Returns the hash
   * the user has now.
   */
  private async rehashPassword(user: User, stale: string, password: string): Promise<string> {
    try {
      const fresh = await hashPassword(password);
      return (await this.users.rehashPassword(user.id, stale, fresh)) ? fresh : stale;
    } catch (error) {
      this.logger.warn(`Could not store a new password hash for ${user.username}: ${String(error)}`);
      return stale;
    }
  }

  /**
   * Authenticates an admin API bearer token: the bootstrap token or an admin user's unrestricted token. Failures are
   * throttled per `client` when it is given; a success costs nothing.
   */
  async authenticateAdmin(bearer: string, client?: string): Promise<Principal | undefined> {
    if (client === undefined) {
      return this.checkAdminToken(bearer);
    }
    // Before the throttle: the bootstrap token costs no lookup and cannot be guessed, so guesses from the address of
    // the backend that holds it must not lock that backend out. Tokens that cost a lookup still wait.
    if (this.isBootstrapAdminToken(bearer)) {
      return BOOTSTRAP_ADMIN;
    }
    // Not reserved: a right token is checked in microseconds, and a platform backend's parallel calls must not wait.
    return this.throttle.attempt(adminThrottleKeys(client), () => this.checkAdminToken(bearer), {
      reserve: false,
    });
  }

  private isBootstrapAdminToken(bearer: string): boolean {
    // Digests of equal length compared in constant time: neither the content nor the length of the token leaks.
    return timingSafeEqual(createHash('sha256').update(bearer).digest(), this.adminTokenDigest);
  }

  private async checkAdminToken(bearer: string): Promise<Principal | undefined> {
    if (this.isBootstrapAdminToken(bearer)) {
      return BOOTSTRAP_ADMIN;
    }
    if (bearer.startsWith(PLATFORM_TOKEN_PREFIX)) {
      return this.authenticatePlatformToken(bearer);
    }
    const principal = await this.authenticateToken(bearer);
    return principal?.admin && principal.tokenProjectId === null ? principal : undefined;
  }

  /** A platform token signs in no user: AdminGuard lets it through on platform routes only. */
  private async authenticatePlatformToken(bearer: string): Promise<Principal | undefined> {
    const tokenHash = hashToken(bearer);
    const row = await this.accessCache.load(`platform:${tokenHash}`, () =>
      this.users.findPlatformTokenByHash(tokenHash),
    );
    if (!row || row.revokedAt !== null) {
      return undefined;
    }
    return {
      userId: '0',
      username: `platform:${row.name}`,
      admin: false,
      tokenProjectId: null,
      maxRole: null,
      platform: { tokenId: row.id, name: row.name, projectPaths: row.projectPaths },
    };
  }
}
