import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AccessToken } from './access-token.entity.js';
import { User } from './user.entity.js';

export interface TokenWithUser {
  token: AccessToken;
  user: User;
}

@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts a user; returns undefined when the username is taken. */
  async createUser(fields: {
    username: string;
    passwordHash: string | null;
    admin: boolean;
  }): Promise<User | undefined> {
    const inserted = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO users (username, password_hash, admin) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO NOTHING RETURNING id`,
      [fields.username, fields.passwordHash, fields.admin],
    );
    const id = inserted[0]?.id;
    return id ? ((await this.findUserById(id)) ?? undefined) : undefined;
  }

  findUserByUsername(username: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ username });
  }

  findUserById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ id });
  }

  async deleteUser(id: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(User).delete({ id });
    return (result.affected ?? 0) > 0;
  }

  createToken(fields: {
    userId: string;
    name: string;
    tokenHash: string;
    expiresAt: Date | null;
    projectId?: string | null;
  }): Promise<AccessToken> {
    const repository = this.dataSource.getRepository(AccessToken);
    return repository.save(repository.create({ ...fields, projectId: fields.projectId ?? null }));
  }

  /** The token with that hash and its owner, in one query. */
  async findTokenByHash(tokenHash: string): Promise<TokenWithUser | undefined> {
    const token = await this.dataSource.getRepository(AccessToken).findOneBy({ tokenHash });
    if (!token) {
      return undefined;
    }
    const user = await this.findUserById(token.userId);
    return user ? { token, user } : undefined;
  }

  listTokens(userId: string): Promise<AccessToken[]> {
    return this.dataSource.getRepository(AccessToken).find({ where: { userId }, order: { id: 'ASC' } });
  }

  async revokeToken(userId: string, tokenId: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(AccessToken)
      .update({ id: tokenId, userId }, { revokedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  async touchToken(tokenId: string): Promise<void> {
    // Coarse on purpose: one write per token per minute, not per request.
    await this.dataSource.query(
      `UPDATE access_tokens SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [tokenId],
    );
  }
}
