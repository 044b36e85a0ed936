import { Injectable } from '@nestjs/common';
import { parseBasicAuthorization, parseTransferToken, TRANSFER_TOKEN_PREFIX } from '@lfs-depot/auth';
import type { Role } from '@lfs-depot/contracts';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { AuthService } from '../auth/auth.service.js';
import { BasicAuthStrategy } from '../auth/basic-auth.strategy.js';
import { TransferTokenService } from '../auth/transfer-token.service.js';
import type { Principal, UserNote } from '../core/principal.js';
import { ProjectAccessService } from '../projects/project-access.service.js';
import type { ProjectAccess } from '../projects/project-access.service.js';

/** Checks the credentials a client sent on a transfer request (relayed by the proxy) against the project. */
@Injectable()
export class TransferAuthorizer {
  constructor(
    private readonly basic: BasicAuthStrategy,
    private readonly auth: AuthService,
    private readonly access: ProjectAccessService,
    private readonly transferTokens: TransferTokenService,
  ) {}

  /**
   * For a download made with a download grant: the grant is checked as the proxy checks it (its path from this object,
   * this API's signature over the project and the credential it carries), its credential as a transfer token's claims
   * are (the user, the parent credential's revocation), and the user's read access to the project as of now. Undefined
   * when the grant proves nothing for this object (malformed, expired, an older format): the caller then goes by the
   * request's Authorization, as for a download without a grant.
   */
  async authorizeGrant(
    grant: string,
    oid: string,
    projectPath: string,
    noteUser?: UserNote,
  ): Promise<(ProjectAccess & { principal?: Principal }) | undefined> {
    const claims = this.transferTokens.verifyDownloadGrant(grant, oid, projectPath);
    if (!claims) {
      return undefined;
    }
    const principal = await this.auth.principalOfTransferClaims(claims, undefined);
    if (!principal) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'The credentials of this download grant are no longer valid (revoked, or its user changed): fetch again',
      );
    }
    noteUser?.(principal.username);
    return { ...(await this.access.requireAccess(principal, projectPath, 'read')), principal };
  }

  /**
   * `client` is the requester's address (and keys the password throttle); undefined when unknown. `noteUser` learns
   * who signed in as soon as they did, also when access is then refused.
   */
  async authorize(
    authorization: string | undefined,
    client: string | undefined,
    projectPath: string,
    needed: Role,
    noteUser?: UserNote,
  ): Promise<ProjectAccess & { principal?: Principal }> {
    const principal = authorization ? await this.basic.authenticate(authorization, client) : undefined;
    if (principal) {
      noteUser?.(principal.username);
    }
    return { ...(await this.access.requireAccess(principal, projectPath, needed)), principal };
  }

  /**
   * For the finalize of an upload the proxy let in on a transfer token's signature: the token is checked again in
   * full, its expiry as of `startedAt` (an upload that outlives its token completes; the caller bounds how far back
   * that may be), revocation, the user and their
   * membership as of now. Anything else than a transfer token is refused: the proxy grants nothing else by itself.
   */
  async authorizeStartedUpload(
    authorization: string,
    projectPath: string,
    startedAt: number,
    noteUser?: UserNote,
  ): Promise<ProjectAccess & { principal?: Principal }> {
    const credentials = parseBasicAuthorization(authorization);
    const isTransferToken = credentials?.password.startsWith(TRANSFER_TOKEN_PREFIX) === true;
    // Only for the message: the claims are not believed before authenticateTransferToken checks the token's MAC.
    const claimedExpiry = isTransferToken
      ? parseTransferToken(credentials.password, 0)?.claims.expiresAt
      : undefined;
    if (claimedExpiry !== undefined && claimedExpiry * 1000 <= startedAt) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'The transfer token of this upload expired before the upload started, or longer than MAX_UPLOAD_SECONDS before it ended; nothing was linked: run the push again',
      );
    }
    const principal =
      credentials && isTransferToken
        ? await this.auth.authenticateTransferToken(credentials.username, credentials.password, startedAt)
        : undefined;
    if (!principal) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'The transfer token of this upload is no longer valid (revoked, or its user or project changed); nothing was linked: run the push again',
      );
    }
    noteUser?.(principal.username);
    return { ...(await this.access.requireAccess(principal, projectPath, 'write')), principal };
  }
}
