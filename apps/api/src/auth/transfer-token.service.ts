import { createHmac, timingSafeEqual } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import type { Role } from '@lfs-depot/contracts';

import { ApiSecrets } from '../core/api-secrets.js';
import type { Principal } from '../core/principal.js';

/** Prefix of the short-lived credentials we put in batch actions. */
export const TRANSFER_TOKEN_PREFIX = 'lfsx_';

/** What a transfer token vouches for; who the user is today is looked up again on every use. */
export interface TransferClaims {
  userId: string;
  projectId: string;
  role: Role;
  /** Unix seconds. */
  expiresAt: number;
  /** The access token it was minted from (checked again on every use); undefined for password sign-ins. */
  parentTokenId?: string;
  /** The platform token that minted it through lfs-authenticate (checked again on every use). */
  parentPlatformTokenId?: string;
}

/**
 * Version 2 added the parent access token's id, version 3 a platform token as the other kind of parent (`p` before its
 * id). Earlier versions, which could not name theirs, are refused.
 */
const FORMAT_VERSION = 3;
const ROLE_CODES: Record<Role, number> = { read: 1, write: 2, maintainer: 3 };
const ROLES_BY_CODE: Record<number, Role | undefined> = { 1: 'read', 2: 'write', 3: 'maintainer' };
/** 128 bits: plenty against forgery within a token's lifetime, and half the length of a full SHA-256. */
const MAC_BYTES = 16;
/** Their key is API_SECRET's transfer-token key, which no one else uses; the context says what the MAC is for anyway. */
const MAC_CONTEXT = 'lfs-depot transfer token v1\n';

/**
 * Stateless, signed, project-scoped credentials for batch actions. They are checked when a transfer starts, so an
 * upload that outlives its token still completes; expiry only bounds when a transfer may begin.
 *
 * Every action of a batch answer carries one, so they are packed small: version, expiry and role in six
 * bytes, then the two ids (three with the parent token's), then a truncated HMAC — about 45 characters where sealed
 * JSON took 160.
 */
@Injectable()
export class TransferTokenService {
  constructor(private readonly secrets: ApiSecrets) {}

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.secrets.transferTokenKey)
      .update(MAC_CONTEXT)
      .update(payload)
      .digest()
      .subarray(0, MAC_BYTES);
  }

  issue(principal: Principal, projectId: string, role: Role, ttlSeconds: number, now = Date.now()): string {
    const wanted = Math.floor(now / 1000) + ttlSeconds;
    // A token presented to get this one bounds it: transfer tokens can't be renewed into lasting access.
    const expiresAt = Math.min(wanted, principal.credentialExpiresAt ?? wanted);
    const header = Buffer.alloc(6);
    header.writeUInt8(FORMAT_VERSION, 0);
    header.writeUInt32BE(expiresAt, 1);
    header.writeUInt8(ROLE_CODES[role], 5);
    const parent =
      principal.credentialTokenId !== undefined
        ? `.${principal.credentialTokenId}`
        : principal.credentialPlatformTokenId !== undefined
          ? `.p${principal.credentialPlatformTokenId}`
          : '';
    const ids = `${principal.userId}.${projectId}${parent}`;
    const payload = Buffer.concat([header, Buffer.from(ids, 'latin1')]);
    return `${TRANSFER_TOKEN_PREFIX}${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  /** The claims of a transfer token, or undefined when forged, expired, malformed or not one of ours. */
  verify(token: string, now = Date.now()): TransferClaims | undefined {
    if (!token.startsWith(TRANSFER_TOKEN_PREFIX) || token.length > 200) {
      return undefined;
    }
    const [encodedPayload, encodedMac, extra] = token.slice(TRANSFER_TOKEN_PREFIX.length).split('.');
    if (!encodedPayload || !encodedMac || extra !== undefined) {
      return undefined;
    }
    const payload = Buffer.from(encodedPayload, 'base64url');
    const given = Buffer.from(encodedMac, 'base64url');
    if (payload.length < 9 || given.length !== MAC_BYTES || !timingSafeEqual(given, this.mac(payload))) {
      return undefined;
    }
    const expiresAt = payload.readUInt32BE(1);
    const role = ROLES_BY_CODE[payload.readUInt8(5)];
    const match = /^(\d{1,19})\.(\d{1,19})(?:\.(p?)(\d{1,19}))?$/.exec(
      payload.subarray(6).toString('latin1'),
    );
    if (
      payload.readUInt8(0) !== FORMAT_VERSION ||
      !role ||
      !match?.[1] ||
      !match[2] ||
      expiresAt * 1000 <= now
    ) {
      return undefined;
    }
    const claims: TransferClaims = { userId: match[1], projectId: match[2], role, expiresAt };
    if (match[4] && match[3] === 'p') {
      claims.parentPlatformTokenId = match[4];
    } else if (match[4]) {
      claims.parentTokenId = match[4];
    }
    return claims;
  }
}
