import { randomBytes } from 'node:crypto';

import type { Role, Visibility } from '@lfs-depot/contracts';
import { objectKey } from '@lfs-depot/storage';
import type { DataSource } from 'typeorm';

import { hashPassword } from '../../apps/api/src/auth/password-hasher.js';
import { AccessCache } from '../../apps/api/src/cache/access-cache.js';
import { LinkCache } from '../../apps/api/src/cache/link-cache.js';
import { MemoryCache } from '../../apps/api/src/cache/memory.cache.js';
import type { LockRecord } from '../../apps/api/src/locks/locks.repository.js';
import { LocksRepository } from '../../apps/api/src/locks/locks.repository.js';
import { ObjectsRepository, type StoredObject } from '../../apps/api/src/objects/objects.repository.js';
import type { Project } from '../../apps/api/src/projects/project.entity.js';
import { ProjectsRepository } from '../../apps/api/src/projects/projects.repository.js';
import type { User } from '../../apps/api/src/users/user.entity.js';
import { UsersRepository } from '../../apps/api/src/users/users.repository.js';
import type { ApiHarness } from './api-harness.js';

// Test data in one place (Immich's test/factories): specs state only what differs from these defaults.

/** A random well-formed oid. */
export function randomOid(): string {
  return randomBytes(32).toString('hex');
}

/** An lfs_objects row as the repositories take it: a fresh oid, 100 bytes, stored where the storage lib keys it. */
export function objectRow(overrides: Partial<StoredObject> = {}): StoredObject {
  const oid = overrides.oid ?? randomOid();
  return { oid, size: overrides.size ?? 100, storageKey: overrides.storageKey ?? objectKey(oid) };
}

export interface ProjectOverrides {
  path?: string;
  visibility?: Visibility;
  quotaBytes?: number | null;
  /** Existing users, by username, and their role in the new project. */
  members?: Record<string, Role>;
}

export interface UserOverrides {
  username?: string;
  /** Hashed as the admin API does; no password (token sign-in only) when absent. */
  password?: string;
  admin?: boolean;
}

/** Writes users, projects and object links through the API's repositories, with defaults for what a spec omits. */
export class TestFactory {
  private sequence = 0;
  private readonly tag = randomBytes(3).toString('hex');

  private constructor(
    private readonly projects: ProjectsRepository,
    private readonly users: UsersRepository,
    private readonly objects: ObjectsRepository,
    private readonly locks: LocksRepository,
  ) {}

  /** Repositories of their own on `dataSource`, with in-memory caches: for specs that run no API. */
  static forDataSource(dataSource: DataSource): TestFactory {
    return new TestFactory(
      new ProjectsRepository(dataSource, new AccessCache(new MemoryCache())),
      new UsersRepository(dataSource, new AccessCache(new MemoryCache())),
      new ObjectsRepository(dataSource, new LinkCache(new MemoryCache())),
      new LocksRepository(dataSource),
    );
  }

  /** The running API's own repositories, so that its caches see every write as they see the admin API's. */
  static forApi(api: ApiHarness): TestFactory {
    return new TestFactory(
      api.app.get(ProjectsRepository, { strict: false }),
      api.app.get(UsersRepository, { strict: false }),
      api.app.get(ObjectsRepository, { strict: false }),
      api.app.get(LocksRepository, { strict: false }),
    );
  }

  /** A private project without quota at a path no other call of this factory gives, unless overridden. */
  async project(overrides: ProjectOverrides = {}): Promise<Project> {
    const path = overrides.path ?? `factory-${this.tag}/project-${this.next()}`;
    const project = await this.projects.createProject({
      path,
      visibility: overrides.visibility ?? 'private',
      quotaBytes: overrides.quotaBytes ?? null,
    });
    if (!project) {
      throw new Error(`project ${path} exists already`);
    }
    for (const [username, role] of Object.entries(overrides.members ?? {})) {
      const user = await this.users.findUserByUsername(username);
      if (!user) {
        throw new Error(`no user ${username} to make a member of ${path}`);
      }
      await this.projects.setMember(project.id, user.id, role);
    }
    return project;
  }

  /** A user who is not an admin and has no password, with a fresh username, unless overridden. */
  async user(overrides: UserOverrides = {}): Promise<User> {
    const username = overrides.username ?? `user-${this.tag}-${this.next()}`;
    const user = await this.users.createUser({
      username,
      passwordHash: overrides.password === undefined ? null : await hashPassword(overrides.password),
      admin: overrides.admin ?? false,
    });
    if (!user) {
      throw new Error(`user ${username} exists already`);
    }
    return user;
  }

  /** Records `objectRow(overrides)` and links it to the project as a verified upload does; returns the row. */
  async linkedObject(projectId: string, overrides: Partial<StoredObject> = {}): Promise<StoredObject> {
    const object = objectRow(overrides);
    await this.objects.linkObjectToProject(projectId, object, null);
    return object;
  }

  /** A lock on `path` (a fresh one unless given) in the project, held by the user. */
  async lock(projectId: string, userId: string, path?: string): Promise<LockRecord> {
    const lockPath = path ?? `art/file-${this.next()}.psd`;
    const lock = await this.locks.createLock(projectId, lockPath, userId, null, Number.MAX_SAFE_INTEGER);
    if (!lock) {
      throw new Error(`${lockPath} is locked already`);
    }
    return lock;
  }

  private next(): number {
    this.sequence += 1;
    return this.sequence;
  }
}
