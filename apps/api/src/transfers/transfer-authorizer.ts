import { Injectable } from '@nestjs/common';
import type { Role } from '@lfs-depot/contracts';

import { BasicAuthStrategy } from '../auth/basic-auth.strategy.js';
import type { Principal, UserNote } from '../core/principal.js';
import { ProjectAccessService } from '../projects/project-access.service.js';
import type { ProjectAccess } from '../projects/project-access.service.js';

/** Checks the credentials a client sent on a transfer request (relayed by the proxy) against the project. */
@Injectable()
export class TransferAuthorizer {
  constructor(
    private readonly basic: BasicAuthStrategy,
    private readonly access: ProjectAccessService,
  ) {}

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
}
