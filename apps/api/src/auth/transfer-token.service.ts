import { Injectable } from '@nestjs/common';
import { openSealedPayload, sealPayload } from '@lfs-depot/auth';

import type { Role } from '../projects/project-member.entity.js';
import { ApiSecrets } from './api-secrets.js';
import type { Principal } from './principal.js';

/** Prefix of the short-lived credentials we put in batch actions. */
export const TRANSFER_TOKEN_PREFIX = 'lfsx_';

interface TransferClaims {
  /** Kind tag: the same key also seals upload tickets, which must never pass for a transfer token. */
  t: 'xfer';
  u: string;
  n: string;
  a: boolean;
  p: string;
  r: Role;
  /** Expiry, unix seconds. */
  e: number;
}

/**
 * Stateless, signed, project-scoped credentials for batch actions. They are checked when a transfer starts, so an
 * upload that outlives its token still completes; expiry only bounds when a transfer may begin.
 */
@Injectable()
export class TransferTokenService {
  constructor(private readonly secrets: ApiSecrets) {}

  issue(principal: Principal, projectId: string, role: Role, ttlSeconds: number, now = Date.now()): string {
    const wanted = Math.floor(now / 1000) + ttlSeconds;
    const claims: TransferClaims = {
      t: 'xfer',
      u: principal.userId,
      n: principal.username,
      a: principal.admin,
      p: projectId,
      r: role,
      // A token presented to get this one bounds it: transfer tokens can't be renewed into lasting access.
      e: Math.min(wanted, principal.credentialExpiresAt ?? wanted),
    };
    return `${TRANSFER_TOKEN_PREFIX}${sealPayload(this.secrets.internalSecret, claims)}`;
  }

  /** The principal a transfer token stands for, or undefined when forged, expired or not one of ours. */
  verify(token: string, now = Date.now()): Principal | undefined {
    if (!token.startsWith(TRANSFER_TOKEN_PREFIX)) {
      return undefined;
    }
    const claims = openSealedPayload<TransferClaims>(
      this.secrets.internalSecret,
      token.slice(TRANSFER_TOKEN_PREFIX.length),
    );
    if (!claims || claims.t !== 'xfer' || typeof claims.e !== 'number' || claims.e * 1000 <= now) {
      return undefined;
    }
    // Membership is still checked on use; the token only narrows what the user may do, never widens it.
    return {
      userId: claims.u,
      username: claims.n,
      admin: claims.a === true,
      tokenProjectId: claims.p,
      maxRole: claims.r,
      credentialExpiresAt: claims.e,
    };
  }
}
