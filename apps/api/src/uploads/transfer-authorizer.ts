import { Injectable } from '@nestjs/common';
import { parseBasicAuthorization } from '@lfs-depot/auth';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { AuthService } from '../auth/auth.service.js';
import type { Principal } from '../auth/principal.js';
import type { ProjectAccess } from '../projects/project-access.service.js';
import { ProjectAccessService } from '../projects/project-access.service.js';
import type { Role } from '../projects/project-member.entity.js';

/** Checks the credentials a client sent on a transfer request (relayed by the proxy) against the project. */
@Injectable()
export class TransferAuthorizer {
  constructor(
    private readonly auth: AuthService,
    private readonly access: ProjectAccessService,
  ) {}

  /** `client` is the requester's address (and keys the password throttle); undefined when unknown. */
  async authorize(
    authorization: string | undefined,
    client: string | undefined,
    projectPath: string,
    needed: Role,
  ): Promise<ProjectAccess & { principal?: Principal }> {
    let principal: Principal | undefined;
    if (authorization) {
      const credentials = parseBasicAuthorization(authorization);
      principal =
        credentials &&
        (await this.auth.authenticateBasic(credentials.username, credentials.password, client));
      if (!principal) {
        throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid username, password or token');
      }
    }
    return { ...(await this.access.requireAccess(principal, projectPath, needed)), principal };
  }
}
