import type { KeyObject } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import type { TransferClaims } from '@lfs-depot/auth';
import {
  DownloadGrantChecker,
  encodeTransferToken,
  hasValidTransferMac,
  parseTransferToken,
  transferVerifyingKey,
} from '@lfs-depot/auth';
import type { Role } from '@lfs-depot/contracts';

import { ApiSecrets } from '../core/api-secrets.js';
import type { Principal } from '../core/principal.js';

export type { TransferClaims } from '@lfs-depot/auth';
export { TRANSFER_TOKEN_PREFIX } from '@lfs-depot/auth';

/** The project a token is for: its id is in the claims, its path only in what the signature binds. */
export interface TransferProject {
  id: string;
  path: string;
}

/** Minted tokens remembered for reuse; each entry is one short string, and the oldest go first. */
const MINTED_CACHE_ENTRIES = 10_000;

/**
 * Stateless, signed, project-scoped credentials for batch actions. They are checked when a transfer starts, so an
 * upload that outlives its token still completes; expiry only bounds when a transfer may begin.
 *
 * The API checks a token by its HMAC (microseconds); the proxy by its Ed25519 signature, made with a key derived from
 * API_SECRET whose public half is all the proxy learns. Signing costs about 20 HMACs, so batch answers reuse a token
 * minted for the same user, project, role and parent while it has most of its lifetime left.
 */
@Injectable()
export class TransferTokenService {
  private readonly minted = new Map<string, { token: string; expiresAt: number }>();
  private readonly grants = new DownloadGrantChecker();
  private readonly verifyingKey: KeyObject;

  constructor(private readonly secrets: ApiSecrets) {
    this.verifyingKey = transferVerifyingKey(secrets.transferPublicKey);
  }

  issue(
    principal: Principal,
    project: TransferProject,
    role: Role,
    ttlSeconds: number,
    now = Date.now(),
  ): string {
    return this.mint(principal, project, role, this.expiryFor(principal, ttlSeconds, now));
  }

  /**
   * A token as issue() makes it, or one minted for the same caller, project and role moments ago that lives at least
   * nine tenths of `ttlSeconds` more: repeated batches of one push then cost no signature. `expiresAt` (unix seconds)
   * is the token's own, for the actions' `expires_in`.
   */
  issueReusable(
    principal: Principal,
    project: TransferProject,
    role: Role,
    ttlSeconds: number,
    now = Date.now(),
  ): { token: string; expiresAt: number } {
    const wanted = this.expiryFor(principal, ttlSeconds, now);
    const key = [
      principal.userId,
      principal.username,
      project.id,
      project.path,
      role,
      principal.credentialTokenId ?? '',
      principal.credentialPlatformTokenId ?? '',
      principal.credentialExpiresAt ?? '',
    ].join('\n');
    const known = this.minted.get(key);
    if (known && known.expiresAt >= wanted - Math.floor(ttlSeconds / 10) && known.expiresAt * 1000 > now) {
      return known;
    }
    const fresh = { token: this.mint(principal, project, role, wanted), expiresAt: wanted };
    this.minted.delete(key);
    this.minted.set(key, fresh);
    if (this.minted.size > MINTED_CACHE_ENTRIES) {
      const oldest = this.minted.keys().next().value;
      if (oldest !== undefined) {
        this.minted.delete(oldest);
      }
    }
    return fresh;
  }

  /** The claims of a transfer token, or undefined when forged, expired, malformed or not one of ours. */
  verify(token: string, now = Date.now()): TransferClaims | undefined {
    const parsed = parseTransferToken(token, now);
    return parsed && hasValidTransferMac(parsed, this.secrets.transferTokenKey) ? parsed.claims : undefined;
  }

  /**
   * The credential of a download grant (@lfs-depot/auth download-grant) whose path leads from `oid` to a root this API
   * signed for `projectPath`, unexpired at `now`: the claims of the transfer token it stands for. Undefined otherwise
   * (malformed, expired, another object, project or key, or an older format).
   */
  verifyDownloadGrant(
    grant: string,
    oid: string,
    projectPath: string,
    now = Date.now(),
  ): TransferClaims | undefined {
    const check = this.grants.check(grant, oid, projectPath, this.verifyingKey, now);
    return check.valid ? check.claims : undefined;
  }

  private expiryFor(principal: Principal, ttlSeconds: number, now: number): number {
    const wanted = Math.floor(now / 1000) + ttlSeconds;
    // A token presented to get this one bounds it: transfer tokens can't be renewed into lasting access.
    return Math.min(wanted, principal.credentialExpiresAt ?? wanted);
  }

  private mint(principal: Principal, project: TransferProject, role: Role, expiresAt: number): string {
    return encodeTransferToken(
      {
        userId: principal.userId,
        projectId: project.id,
        role,
        expiresAt,
        ...(principal.credentialTokenId !== undefined
          ? { parentTokenId: principal.credentialTokenId }
          : principal.credentialPlatformTokenId !== undefined
            ? { parentPlatformTokenId: principal.credentialPlatformTokenId }
            : {}),
      },
      { username: principal.username, projectPath: project.path },
      { macKey: this.secrets.transferTokenKey, signingKey: this.secrets.transferSigningKey },
    );
  }
}
