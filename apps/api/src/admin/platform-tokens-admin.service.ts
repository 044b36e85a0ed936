import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_LIMIT, DomainError, ErrorCode } from '@lfs-depot/contracts';
import type {
  CreatedPlatformTokenView,
  PlatformTokenPageView,
  PlatformTokenView,
} from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { generateToken, PLATFORM_TOKEN_PREFIX } from '../auth/token-hash.js';
import { decodeCursor, isRowId, pageOf } from '../core/page-cursor.js';
import type { PlatformTokenRow } from '../users/users.repository.js';
import { UsersRepository } from '../users/users.repository.js';

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
  constructor(
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
  ) {}

  async create(
    context: AuditContext,
    input: { name: string; projects?: string[] },
  ): Promise<CreatedPlatformTokenView> {
    const { token, tokenHash } = generateToken(PLATFORM_TOKEN_PREFIX);
    const projectPaths = input.projects ? [...new Set(input.projects)] : null;
    return this.audit.transaction(async (tx) => {
      const row = await this.users.createPlatformToken({ name: input.name, tokenHash, projectPaths }, tx);
      await this.audit.record(tx, context, {
        action: 'platform_token.create',
        target: { type: 'platform_token', id: row.id, name: row.name },
        details: { projects: projectPaths },
      });
      return { ...toView(row), token };
    });
  }

  async list(query: { limit?: number; cursor?: string }): Promise<PlatformTokenPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.users.listPlatformTokens({
      afterId:
        query.cursor === undefined ? undefined : decodeCursor('platform-tokens', query.cursor, isRowId),
      limit: limit + 1,
    });
    const page = pageOf('platform-tokens', rows, limit, (row) => row.id);
    return { platform_tokens: page.items.map(toView), next_cursor: page.next_cursor };
  }

  async revoke(context: AuditContext, id: string): Promise<void> {
    await this.audit.transaction(async (tx) => {
      const row = isRowId(id) ? await this.users.revokePlatformToken(id, tx) : undefined;
      if (!row) {
        throw new DomainError(ErrorCode.TOKEN_NOT_FOUND, `There is no platform token ${id}`);
      }
      await this.audit.record(tx, context, {
        action: 'platform_token.revoke',
        target: { type: 'platform_token', id: row.id, name: row.name },
      });
    });
  }
}
