import { Injectable } from '@nestjs/common';
import { MoreThan } from 'typeorm';

import { AccessChangingRepository } from '../database/access-changing-repository.js';
import { likePrefix } from '../database/like-prefix.js';
import { returnedRows } from '../database/returned-rows.js';
import { isStorableText } from '../database/storable-text.js';
import type { Transaction } from '../database/transaction.js';
import { AccessToken } from './access-token.entity.js';
import { User } from './user.entity.js';

/** A platform token's row: a credential for a git host's hooks, not for any user. */
export interface PlatformTokenRow {
  id: string;
  name: string;
  projectPaths: string[] | null;
  createdAt: Date;
  revokedAt: Date | null;
}

interface PlatformTokenDbRow {
  id: string;
  name: string;
  project_paths: string[] | null;
  created_at: Date;
  revoked_at: Date | null;
}

function platformToken(row: PlatformTokenDbRow): PlatformTokenRow {
  return {
    id: row.id,
    name: row.name,
    projectPaths: row.project_paths,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

const PLATFORM_COLUMNS = 'id, name, project_paths, created_at, revoked_at';

export interface TokenWithUser {
  token: AccessToken;
  user: User;
}

interface TokenWithUserRow {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  project_id: string | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
  username: string;
  password_hash: string | null;
  admin: boolean;
  user_created_at: Date;
}

/**
 * Users and their access tokens. Changes that could make a remembered sign-in wrong (a deletion, a revocation) empty
 * the AccessCache; inserts need not, as nothing absent is remembered.
 */
@Injectable()
export class UsersRepository extends AccessChangingRepository {
  /** Inserts a user; returns undefined when the username is taken. */
  async createUser(
    fields: { username: string; passwordHash: string | null; admin: boolean },
    tx?: Transaction,
  ): Promise<User | undefined> {
    const inserted = await this.db(tx).query<{ id: string }[]>(
      `INSERT INTO users (username, password_hash, admin) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO NOTHING RETURNING id`,
      [fields.username, fields.passwordHash, fields.admin],
    );
    const id = inserted[0]?.id;
    return id ? ((await this.db(tx).getRepository(User).findOneBy({ id })) ?? undefined) : undefined;
  }

  findUserByUsername(username: string): Promise<User | null> {
    if (!isStorableText(username)) {
      return Promise.resolve(null);
    }
    return this.dataSource.getRepository(User).findOneBy({ username });
  }

  findUserById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ id });
  }

  /** Users in username order after `afterUsername`, at most `limit`, optionally by username prefix and admin flag. */
  async listUsers(filter: {
    prefix?: string;
    admin?: boolean;
    afterUsername?: string;
    limit: number;
  }): Promise<User[]> {
    const rows = await this.dataSource.query<
      { id: string; username: string; admin: boolean; created_at: Date }[]
    >(
      `SELECT id, username, admin, created_at FROM users
        WHERE ($1::text IS NULL OR username LIKE $1::text ESCAPE '\\')
          AND ($2::boolean IS NULL OR admin = $2::boolean)
          AND ($3::text IS NULL OR username COLLATE "C" > $3::text COLLATE "C")
        ORDER BY username COLLATE "C"
        LIMIT $4`,
      [
        filter.prefix === undefined ? null : likePrefix(filter.prefix),
        filter.admin ?? null,
        filter.afterUsername ?? null,
        filter.limit,
      ],
    );
    return rows.map((row) =>
      Object.assign(new User(), {
        id: row.id,
        username: row.username,
        passwordHash: null,
        admin: row.admin,
        createdAt: row.created_at,
      }),
    );
  }

  async deleteUser(id: string, tx?: Transaction): Promise<boolean> {
    const result = await this.db(tx).getRepository(User).delete({ id });
    await this.changed(tx);
    return (result.affected ?? 0) > 0;
  }

  /** Replaces the user's password hash (null: token sign-in only); false when the user is gone. */
  async setPasswordHash(id: string, passwordHash: string | null, tx?: Transaction): Promise<boolean> {
    const result = await this.db(tx).getRepository(User).update({ id }, { passwordHash });
    await this.changed(tx);
    return (result.affected ?? 0) > 0;
  }

  /**
   * Replaces a password hash made with older costs by `fresh`, only while the user still has `stale` (a password set
   * meanwhile stays as it is); returns whether it did.
   */
  async rehashPassword(id: string, stale: string, fresh: string): Promise<boolean> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2 RETURNING id`,
      [id, stale, fresh],
    );
    if (rows.length === 0) {
      return false;
    }
    // Remembered users still hold the stale hash: forgotten, so that none of them is rehashed again.
    await this.changed(undefined);
    return true;
  }

  createToken(
    fields: {
      userId: string;
      name: string;
      tokenHash: string;
      expiresAt: Date | null;
      projectId?: string | null;
    },
    tx?: Transaction,
  ): Promise<AccessToken> {
    const repository = this.db(tx).getRepository(AccessToken);
    return repository.save(repository.create({ ...fields, projectId: fields.projectId ?? null }));
  }

  /** The token with that hash and its owner, in one query. */
  async findTokenByHash(tokenHash: string): Promise<TokenWithUser | undefined> {
    // One round trip: this runs on every request made with a token.
    const rows = await this.dataSource.query<TokenWithUserRow[]>(
      `SELECT t.id, t.user_id, t.name, t.token_hash, t.project_id, t.expires_at, t.last_used_at, t.revoked_at,
              t.created_at, u.username, u.password_hash, u.admin, u.created_at AS user_created_at
         FROM access_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) {
      return undefined;
    }
    const token = Object.assign(new AccessToken(), {
      id: row.id,
      userId: row.user_id,
      name: row.name,
      tokenHash: row.token_hash,
      projectId: row.project_id,
      expiresAt: row.expires_at,
      lastUsedAt: row.last_used_at,
      revokedAt: row.revoked_at,
      createdAt: row.created_at,
    });
    const user = Object.assign(new User(), {
      id: row.user_id,
      username: row.username,
      passwordHash: row.password_hash,
      admin: row.admin,
      createdAt: row.user_created_at,
    });
    return { token, user };
  }

  findTokenById(id: string): Promise<AccessToken | null> {
    return this.dataSource.getRepository(AccessToken).findOneBy({ id });
  }

  /** The user's tokens in id order after `afterId`, at most `limit`. */
  listTokens(userId: string, page: { afterId?: string; limit: number }): Promise<AccessToken[]> {
    return this.dataSource.getRepository(AccessToken).find({
      where: { userId, ...(page.afterId !== undefined && { id: MoreThan(page.afterId) }) },
      order: { id: 'ASC' },
      take: page.limit,
    });
  }

  async revokeToken(userId: string, tokenId: string, tx?: Transaction): Promise<boolean> {
    const result = await this.db(tx)
      .getRepository(AccessToken)
      .update({ id: tokenId, userId }, { revokedAt: () => 'now()' });
    await this.changed(tx);
    return (result.affected ?? 0) > 0;
  }

  async createPlatformToken(
    fields: { name: string; tokenHash: string; projectPaths: string[] | null },
    tx?: Transaction,
  ): Promise<PlatformTokenRow> {
    const rows = await this.db(tx).query<PlatformTokenDbRow[]>(
      `INSERT INTO platform_tokens (name, token_hash, project_paths) VALUES ($1, $2, $3)
       RETURNING ${PLATFORM_COLUMNS}`,
      [fields.name, fields.tokenHash, fields.projectPaths],
    );
    const row = rows[0];
    if (!row) {
      throw new Error('INSERT … RETURNING returned no row');
    }
    return platformToken(row);
  }

  async findPlatformTokenById(id: string): Promise<PlatformTokenRow | undefined> {
    if (!/^\d{1,19}$/.test(id)) {
      return undefined;
    }
    const rows = await this.dataSource.query<PlatformTokenDbRow[]>(
      `SELECT ${PLATFORM_COLUMNS} FROM platform_tokens WHERE id = $1`,
      [id],
    );
    return rows[0] ? platformToken(rows[0]) : undefined;
  }

  async findPlatformTokenByHash(tokenHash: string): Promise<PlatformTokenRow | undefined> {
    const rows = await this.dataSource.query<PlatformTokenDbRow[]>(
      `SELECT ${PLATFORM_COLUMNS} FROM platform_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ? platformToken(rows[0]) : undefined;
  }

  /** Platform tokens in id order after `afterId`, at most `limit`. */
  async listPlatformTokens(page: { afterId?: string; limit: number }): Promise<PlatformTokenRow[]> {
    const rows = await this.dataSource.query<PlatformTokenDbRow[]>(
      `SELECT ${PLATFORM_COLUMNS} FROM platform_tokens
        WHERE ($1::bigint IS NULL OR id > $1::bigint) ORDER BY id LIMIT $2`,
      [page.afterId ?? null, page.limit],
    );
    return rows.map(platformToken);
  }

  async revokePlatformToken(id: string, tx?: Transaction): Promise<PlatformTokenRow | undefined> {
    const rows = returnedRows(
      await this.db(tx).query<PlatformTokenDbRow[] | [PlatformTokenDbRow[], number]>(
        `UPDATE platform_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
         RETURNING ${PLATFORM_COLUMNS}`,
        [id],
      ),
    );
    await this.changed(tx);
    return rows[0] ? platformToken(rows[0]) : undefined;
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
