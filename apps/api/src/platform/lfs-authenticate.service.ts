import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import type { LfsAuthenticateView, Role } from '@lfs-depot/contracts';

import { TransferTokenService } from '../auth/transfer-token.service.js';
import { CONFIG } from '../core/api-runtime.js';
import type { Principal } from '../core/principal.js';
import { ProjectAccessService } from '../projects/project-access.service.js';
import { UsersRepository } from '../users/users.repository.js';
import type { LfsOperation } from './lfs-authenticate.dto.js';

/**
 * Mints what an SSH server's `git-lfs-authenticate <project> <operation>` prints: the project's LFS endpoint and a
 * short-lived credential for the user the SSH server authenticated. The credential is a signed transfer token
 * bound to the project and capped at read for downloads (the user's own role for uploads); membership is checked
 * again on every use, so it never grants more than the user holds when it is used.
 */
@Injectable()
export class LfsAuthenticateService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly users: UsersRepository,
    private readonly access: ProjectAccessService,
    private readonly transferTokens: TransferTokenService,
  ) {}

  /**
   * `caller` is who asked (a platform token, or an admin): a platform token becomes the credential's parent, so that
   * revoking it stops what it handed out.
   */
  async authenticate(
    projectPath: string,
    input: { username: string; operation: LfsOperation },
    caller?: Principal,
    now = Date.now(),
  ): Promise<LfsAuthenticateView> {
    const user = await this.users.findUserByUsername(input.username);
    if (!user) {
      throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${input.username}' not found`);
    }
    const principal: Principal = {
      userId: user.id,
      username: user.username,
      admin: user.admin,
      tokenProjectId: null,
      maxRole: null,
      ...(caller?.platform ? { credentialPlatformTokenId: caller.platform.tokenId } : {}),
    };
    const needed: Role = input.operation === 'upload' ? 'write' : 'read';
    const { project, role } = await this.access.requireAccess(principal, projectPath, needed);
    const cap: Role = input.operation === 'download' ? 'read' : (role ?? needed);
    const ttl = this.config.limits.actionTtlSeconds;
    const token = this.transferTokens.issue(principal, project, cap, ttl, now);
    return {
      href: `${this.config.http.publicUrl}/${project.path}.git/info/lfs`,
      header: { Authorization: `Basic ${Buffer.from(`${user.username}:${token}`).toString('base64')}` },
      expires_in: ttl,
      expires_at: new Date(Math.floor(now / 1000) * 1000 + ttl * 1000).toISOString(),
    };
  }
}
