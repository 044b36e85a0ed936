import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_LIMIT, DomainError, ErrorCode } from '@lfs-depot/contracts';
import type {
  CreatedTokenView,
  TokenPageView,
  TokenView,
  UserPageView,
  UserView,
} from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { hashPassword } from '../auth/password-hasher.js';
import { generateToken } from '../auth/token-hash.js';
import { decodeCursor, isRowId, pageOf } from '../core/page-cursor.js';
import type { AccessToken } from '../users/access-token.entity.js';
import type { User } from '../users/user.entity.js';
import { UsersRepository } from '../users/users.repository.js';

function toUserView(user: User): UserView {
  return {
    id: user.id,
    username: user.username,
    admin: user.admin,
    created_at: user.createdAt.toISOString(),
  };
}

function toTokenView(token: AccessToken): TokenView {
  return {
    id: token.id,
    name: token.name,
    expires_at: token.expiresAt?.toISOString() ?? null,
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
    created_at: token.createdAt.toISOString(),
  };
}

/** Users and their access tokens; every change is recorded in the audit trail in its own transaction. */
@Injectable()
export class UsersAdminService {
  constructor(
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
  ) {}

  async createUser(
    context: AuditContext,
    input: { username: string; password?: string; admin?: boolean },
  ): Promise<UserView> {
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const admin = input.admin ?? false;
    return this.audit.transaction(async (tx) => {
      const user = await this.users.createUser({ username: input.username, passwordHash, admin }, tx);
      if (!user) {
        throw new DomainError(ErrorCode.ALREADY_EXISTS, `User '${input.username}' already exists`);
      }
      await this.audit.record(tx, context, {
        action: 'user.create',
        target: { type: 'user', id: user.id, name: user.username },
        details: { admin, password: passwordHash !== null },
      });
      return toUserView(user);
    });
  }

  async listUsers(query: {
    prefix?: string;
    admin?: boolean;
    limit?: number;
    cursor?: string;
  }): Promise<UserPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.users.listUsers({
      prefix: query.prefix,
      admin: query.admin,
      afterUsername: query.cursor === undefined ? undefined : decodeCursor('users', query.cursor),
      limit: limit + 1,
    });
    const page = pageOf('users', rows, limit, (user) => user.username);
    return { users: page.items.map(toUserView), next_cursor: page.next_cursor };
  }

  async getUser(username: string): Promise<UserView> {
    return toUserView(await this.requireUser(username));
  }

  /** Sets a new password (sign-ins with the old one stop at once), or none for a token-only account. */
  async setPassword(context: AuditContext, username: string, password: string | null): Promise<void> {
    const user = await this.requireUser(username);
    const passwordHash = password === null ? null : await hashPassword(password);
    await this.audit.transaction(async (tx) => {
      if (!(await this.users.setPasswordHash(user.id, passwordHash, tx))) {
        throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${username}' not found`);
      }
      await this.audit.record(tx, context, {
        action: 'user.password_change',
        target: { type: 'user', id: user.id, name: user.username },
        details: { password: passwordHash !== null },
      });
    });
  }

  async deleteUser(context: AuditContext, username: string): Promise<void> {
    const user = await this.requireUser(username);
    await this.audit.transaction(async (tx) => {
      if (!(await this.users.deleteUser(user.id, tx))) {
        throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${username}' not found`);
      }
      await this.audit.record(tx, context, {
        action: 'user.delete',
        target: { type: 'user', id: user.id, name: user.username },
      });
    });
  }

  async createToken(
    context: AuditContext,
    username: string,
    input: { name: string; expires_at?: string },
  ): Promise<CreatedTokenView> {
    const user = await this.requireUser(username);
    const expiresAt = input.expires_at === undefined ? null : new Date(input.expires_at);
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'expires_at must be in the future');
    }
    const { token, tokenHash } = generateToken();
    return this.audit.transaction(async (tx) => {
      const row = await this.users.createToken(
        { userId: user.id, name: input.name, tokenHash, expiresAt },
        tx,
      );
      await this.audit.record(tx, context, {
        action: 'token.create',
        target: { type: 'token', id: row.id, name: row.name },
        details: { user: user.username, expires_at: expiresAt?.toISOString() ?? null },
      });
      return { ...toTokenView(row), token };
    });
  }

  async listTokens(username: string, query: { limit?: number; cursor?: string }): Promise<TokenPageView> {
    const user = await this.requireUser(username);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.users.listTokens(user.id, {
      afterId: query.cursor === undefined ? undefined : decodeCursor('tokens', query.cursor, isRowId),
      limit: limit + 1,
    });
    const page = pageOf('tokens', rows, limit, (token) => token.id);
    return { tokens: page.items.map(toTokenView), next_cursor: page.next_cursor };
  }

  /** Revokes the token (sign-ins with it, and transfer tokens minted from it, stop); 404 when the user has no such token. */
  async revokeToken(context: AuditContext, username: string, tokenId: string): Promise<void> {
    const user = await this.requireUser(username);
    const token = isRowId(tokenId) ? await this.users.findTokenById(tokenId) : null;
    if (token?.userId !== user.id) {
      throw new DomainError(ErrorCode.TOKEN_NOT_FOUND, `User '${username}' has no token ${tokenId}`);
    }
    await this.audit.transaction(async (tx) => {
      if (!(await this.users.revokeToken(user.id, token.id, tx))) {
        throw new DomainError(ErrorCode.TOKEN_NOT_FOUND, `User '${username}' has no token ${tokenId}`);
      }
      await this.audit.record(tx, context, {
        action: 'token.revoke',
        target: { type: 'token', id: token.id, name: token.name },
        details: { user: user.username },
      });
    });
  }

  private async requireUser(username: string): Promise<User> {
    const user = await this.users.findUserByUsername(username);
    if (!user) {
      throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${username}' not found`);
    }
    return user;
  }
}
