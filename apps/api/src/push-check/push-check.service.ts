import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import type { LockedPathView, PushCheckResponse } from '@lfs-depot/contracts';

import { parsePushCheckRequest } from './push-check-request.parser.js';
import { pointerKey, PushCheckRepository } from './push-check.repository.js';

/**
 * The server side of lock enforcement: a pre-receive hook asks whether a push may land. It may not when it changes
 * a path locked by someone else (on any ref: locks are project-wide, as in GitLab) or adds an LFS pointer whose
 * object the project does not link (the object was never uploaded, or only to another project).
 */
@Injectable()
export class PushCheckService {
  constructor(private readonly repository: PushCheckRepository) {}

  async checkPush(projectPath: string, body: unknown): Promise<PushCheckResponse> {
    const request = parsePushCheckRequest(body);
    const { projectId, userId } = await this.repository.findSubjects(projectPath, request.username);
    if (projectId === null) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${projectPath}' not found`);
    }
    if (userId === null) {
      throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${request.username}' not found`);
    }

    const allPaths = new Set(request.changes.flatMap((change) => change.paths));
    const allOids = new Set(request.changes.flatMap((change) => change.pointers.map((p) => p.oid)));
    const locks = await this.repository.findLocksHeldByOthers(projectId, userId, [...allPaths]);
    const linked = await this.repository.findLinkedPointerKeys(projectId, [...allOids]);

    const lockByPath = new Map(locks.map((lock) => [lock.path, lock]));
    const locked: LockedPathView[] = [];
    for (const change of request.changes) {
      for (const path of new Set(change.paths)) {
        const lock = lockByPath.get(path);
        if (lock) {
          locked.push({
            path,
            ref: change.ref,
            owner: lock.owner,
            lock_id: lock.id,
            locked_at: lock.lockedAt.toISOString(),
          });
        }
      }
    }

    const missing = new Map<string, { oid: string; size: number; paths: Set<string> }>();
    for (const { oid, size, paths } of request.changes.flatMap((change) => change.pointers)) {
      const key = pointerKey(oid, size);
      if (linked.has(key)) {
        continue;
      }
      const entry = missing.get(key) ?? { oid, size, paths: new Set<string>() };
      paths.forEach((path) => entry.paths.add(path));
      missing.set(key, entry);
    }

    return {
      allowed: locked.length === 0 && missing.size === 0,
      locked,
      missing: [...missing.values()].map(({ oid, size, paths }) =>
        paths.size > 0 ? { oid, size, paths: [...paths] } : { oid, size },
      ),
    };
  }
}
