import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import type { CreatedTokenView, TokenView, UserView } from '@lfs-depot/contracts';

import { hashPassword } from '../auth/password-hasher.js';
import { generateToken } from '../auth/token-hash.js';
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

@Injectable()
export class UsersAdminService {
  constructor(private readonly users: UsersRepository) {}

  async createUser(input: { username: string; password?: string; admin?: boolean }): Promise<UserView> {
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const user = await this.users.createUser({
      username: input.username,
      passwordHash,
      admin: input.admin ?? false,
    });
    if (!user) {
      throw new DomainError(ErrorCode.ALREADY_EXISTS, `User '${input.username}' already exists`);
    }
    return toUserView(user);
  }

  async getUser(username: string): Promise<UserView> {
    return toUserView(await this.requireUser(username));
  }

  async deleteUser(username: string): Promise<void> {
    const user = await this.requireUser(username);
    await this.users.deleteUser(user.id);
  }

  async createToken(
    username: string,
    input: { name: string; expires_at?: string },
  ): Promise<CreatedTokenView> {
    const user = await this.requireUser(username);
    const expiresAt = input.expires_at === undefined ? null : new Date(input.expires_at);
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'expires_at must be in the future');
    }
    const { token, tokenHash } = generateToken();
    const row = await this.users.createToken({ userId: user.id, name: input.name, tokenHash, expiresAt });
    return { ...toTokenView(row), token };
  }

  async listTokens(username: string): Promise<TokenView[]> {
    const user = await this.requireUser(username);
    return (await this.users.listTokens(user.id)).map(toTokenView);
  }

  async revokeToken(username: string, tokenId: string): Promise<void> {
    const user = await this.requireUser(username);
    if (!/^\d{1,18}$/.test(tokenId) || !(await this.users.revokeToken(user.id, tokenId))) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `User '${username}' has no token ${tokenId}`);
    }
  }

  private async requireUser(username: string): Promise<User> {
    const user = await this.users.findUserByUsername(username);
    if (!user) {
      throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${username}' not found`);
    }
    return user;
  }
}
