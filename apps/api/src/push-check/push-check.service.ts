import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import type { LockedPathView, PushCheckPointer, PushCheckResponse } from '@lfs-depot/contracts';

import { LocksRepository } from '../locks/locks.repository.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { parsePushCheckRequest } from './push-check-request.parser.js';

/** How a pointer is identified in sets and maps: by oid and size, as a pointer names its object. */
function pointerKey(oid: string, size: number): string {
  return `${oid}:${size}`;
}

/**
 * The server side of lock enforcement: a pre-receive hook asks whether a push may land. It may not when it changes
 * a path locked by someone else (on any ref: locks are project-wide, as in GitLab) or adds an LFS pointer whose
 * object the project does not link (the object was never uploaded, or only to another project) or links damaged.
 */
@Injectable()
export class PushCheckService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly users: UsersRepository,
    private readonly locks: LocksRepository,
    private readonly objects: ObjectsRepository,
  ) {}

  async checkPush(projectPath: string, body: unknown): Promise<PushCheckResponse> {
    const request = parsePushCheckRequest(body);
    const [project, user] = await Promise.all([
      this.projects.findProjectByPath(projectPath),
      this.users.findUserByUsername(request.username),
    ]);
    if (project === null) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${projectPath}' not found`);
    }
    if (user === null) {
      throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${request.username}' not found`);
    }

    const allPaths = new Set(request.changes.flatMap((change) => change.paths));
    const allOids = new Set(request.changes.flatMap((change) => change.pointers.map((p) => p.oid)));
    const locks = await this.locks.findLocksHeldByOthers(project.id, user.id, [...allPaths]);
    const linked = await this.objects.findLinkedObjects(project.id, [...allOids], { healthy: true });

    const lockByPath = new Map(locks.map((lock) => [lock.path, lock]));
    const locked: LockedPathView[] = [];
    for (const change of request.changes) {
      for (const path of new Set(change.paths)) {
        const lock = lockByPath.get(path);
        if (lock) {
          locked.push({
            path,
            ref: change.ref,
            owner: lock.ownerName,
            lock_id: lock.id,
            locked_at: lock.lockedAt.toISOString(),
          });
        }
      }
    }

    const missing = new Map<string, { oid: string; size: number; paths: Set<string> }>();
    for (const { oid, size, paths } of request.changes.flatMap((change) => change.pointers)) {
      // The stated size must match too: a pointer naming a linked oid with another size points at no object.
      if (linked.get(oid)?.size === size) {
        continue;
      }
      const key = pointerKey(oid, size);
      const entry = missing.get(key) ?? { oid, size, paths: new Set<string>() };
      paths.forEach((path) => entry.paths.add(path));
      missing.set(key, entry);
    }
    // Linked but damaged (scrub's repair found the bytes missing or corrupt): a clone would fail on them just the
    // same, but the cure differs (the project has them; someone must upload the bytes again), so they are named apart.
    // Asked only when something is not linked healthily.
    const damagedSizes =
      missing.size === 0
        ? new Map<string, number>()
        : await this.objects.findDamagedLinkedSizes(project.id, [
            ...new Set([...missing.values()].map(({ oid }) => oid)),
          ]);
    const damaged: typeof missing = new Map();
    for (const [key, entry] of missing) {
      if (damagedSizes.get(entry.oid) === entry.size) {
        damaged.set(key, entry);
        missing.delete(key);
      }
    }
    const pointers = (found: typeof missing): PushCheckPointer[] =>
      [...found.values()].map(({ oid, size, paths }) =>
        paths.size > 0 ? { oid, size, paths: [...paths] } : { oid, size },
      );

    return {
      allowed: locked.length === 0 && missing.size === 0 && damaged.size === 0,
      locked,
      missing: pointers(missing),
      damaged: pointers(damaged),
    };
  }
}
