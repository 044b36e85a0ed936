import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { generateToken, PLATFORM_TOKEN_PREFIX } from '../auth/token-hash.js';
import type { PlatformTokenRow } from '../users/users.repository.js';
import { UsersRepository } from '../users/users.repository.js';

export interface PlatformTokenView {
  id: string;
  name: string;
  /** Project paths it is limited to; null for every project. */
  projects: string[] | null;
  created_at: string;
  revoked_at: string | null;
}

export interface CreatedPlatformTokenView extends PlatformTokenView {
  /** Shown once; only its hash is stored. */
  token: string;
}

function toView(row: PlatformTokenRow): PlatformTokenView {
  return {
    id: row.id,
    name: row.name,
    projects: row.projectPaths,
    created_at: row.createdAt.toISOString(),
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

@Injectable()
export class PlatformTokensAdminService {
  constructor(private readonly users: UsersRepository) {}

  async create(input: { name: string; projects?: string[] }): Promise<CreatedPlatformTokenView> {
    const { token, tokenHash } = generateToken(PLATFORM_TOKEN_PREFIX);
    const projectPaths = input.projects ? [...new Set(input.projects)] : null;
    const row = await this.users.createPlatformToken({ name: input.name, tokenHash, projectPaths });
    return { ...toView(row), token };
  }

  async list(): Promise<PlatformTokenView[]> {
    return (await this.users.listPlatformTokens()).map(toView);
  }

  async revoke(id: string): Promise<void> {
    if (!/^\d{1,18}$/.test(id) || !(await this.users.revokePlatformToken(id))) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `There is no platform token ${id}`);
    }
  }
}
