import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import type { LockListResponse, LockResponse, LockVerifyResponse, LockView } from '@lfs-depot/contracts';

import { originAuditContext } from '../audit/audit-context.js';
import type { RequestOriginInfo } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../core/principal.js';
import { CONFIG } from '../core/api-runtime.js';
import { ProjectAccessService } from '../projects/project-access.service.js';
import type { ProjectAccess } from '../projects/project-access.service.js';

import {
  parseCreateLockRequest,
  parseListLocksQuery,
  parseLockId,
  parseUnlockRequest,
  parseVerifyLocksRequest,
} from './locks-request.parser.js';
import { toLockView } from './lock-view.js';
import type { LockFilter, LockRecord } from './locks.repository.js';
import { LocksRepository } from './locks.repository.js';

/** The Git LFS file locking API (locking.md). Every call costs a constant number of queries. */
@Injectable()
export class LocksService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly access: ProjectAccessService,
    private readonly locks: LocksRepository,
    private readonly audit: AuditService,
  ) {}

  /** Locks a path for the caller (push access needed); LOCK_EXISTS carries the lock that holds it. */
  async createLock(
    principal: Principal | undefined,
    projectPath: string,
    body: unknown,
  ): Promise<LockResponse> {
    const { project, user } = await this.requireUser(principal, projectPath, 'write');
    const request = parseCreateLockRequest(body);
    // Two rounds at most: the lock that beat our insert may itself be unlocked before we read it.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const maxLocks = this.config.limits.maxLocksPerProject;
      const created = await this.locks.createLock(
        project.id,
        request.path,
        user.userId,
        request.refName,
        maxLocks,
      );
      if (created) {
        return { lock: toLockView(created) };
      }
      const existing = await this.locks.findLockByPath(project.id, request.path);
      if (existing) {
        throw new DomainError(
          ErrorCode.LOCK_EXISTS,
          `'${existing.path}' is already locked by ${existing.ownerName}`,
          { lock: toLockView(existing) },
        );
      }
      if ((await this.locks.countLocks(project.id)) >= maxLocks) {
        throw new DomainError(
          ErrorCode.TOO_MANY_LOCKS,
          `This project holds ${maxLocks} locks, the most it may (MAX_LOCKS_PER_PROJECT); unlock some first`,
        );
      }
    }
    // Nothing inserted and nothing in the way: the account behind the credentials is gone.
    throw new DomainError(ErrorCode.UNAUTHENTICATED, 'The account behind these credentials no longer exists');
  }

  /**
   * Lists the project's locks (pull access needed), ids ascending. Locks are per project, not per ref, so
   * `refspec` is accepted and ignored, as GitLab does: a lock holds on every branch.
   */
  async listLocks(
    principal: Principal | undefined,
    projectPath: string,
    query: Record<string, unknown>,
  ): Promise<LockListResponse> {
    const { project } = await this.access.requireAccess(principal, projectPath, 'read');
    const request = parseListLocksQuery(query);
    if (request.id === null) {
      return { locks: [] };
    }
    const page = await this.findPage(project.id, {
      path: request.path,
      id: request.id ?? null,
      afterId: request.afterId,
      limit: request.limit,
    });
    return { locks: page.locks.map(toLockView), ...page.next };
  }

  /** The locks a push must respect, split into the caller's and everyone else's (push access needed). */
  async verifyLocks(
    principal: Principal | undefined,
    projectPath: string,
    body: unknown,
  ): Promise<LockVerifyResponse> {
    const { project, user } = await this.requireUser(principal, projectPath, 'write');
    const request = parseVerifyLocksRequest(body);
    const page = await this.findPage(project.id, { path: null, id: null, ...request });
    const ours: LockView[] = [];
    const theirs: LockView[] = [];
    for (const lock of page.locks) {
      (lock.ownerId === user.userId ? ours : theirs).push(toLockView(lock));
    }
    return { ours, theirs, ...page.next };
  }

  /**
   * Deletes a lock (push access needed). The owner may always; anyone else needs `force` and the maintainer role,
   * and a forced unlock is recorded in the audit trail.
   */
  async unlock(
    principal: Principal | undefined,
    projectPath: string,
    lockId: string,
    body: unknown,
    origin: RequestOriginInfo,
  ): Promise<LockResponse> {
    const { project, role, user } = await this.requireUser(principal, projectPath, 'write');
    const request = parseUnlockRequest(body);
    const id = parseLockId(lockId);
    const lock = id === undefined ? undefined : await this.locks.findLock(project.id, id);
    if (!lock) {
      throw new DomainError(ErrorCode.LOCK_NOT_FOUND, `Lock ${lockId} not found`);
    }
    const owned = lock.ownerId === user.userId;
    if (!owned && !request.force) {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        `'${lock.path}' is locked by ${lock.ownerName}; only they can unlock it, or a maintainer with force`,
      );
    }
    if (!owned && role !== 'maintainer') {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        `Forcing the unlock of another user's lock needs the maintainer role on '${project.path}'; you have ${role}`,
      );
    }
    // Owners delete only while they still own it; a maintainer's forced unlock takes whatever holds that id.
    const deleted = owned
      ? await this.locks.deleteLock(project.id, lock.id, user.userId)
      : await this.audit.transaction(async (tx) => {
          const forced = await this.locks.deleteLock(project.id, lock.id, null, tx);
          if (forced) {
            await this.audit.record(tx, originAuditContext(user, origin), {
              action: 'lock.force_unlock',
              target: { type: 'lock', id: forced.id, name: forced.path },
              project: project.path,
              details: { owner: forced.ownerName },
            });
          }
          return forced;
        });
    if (!deleted) {
      throw new DomainError(ErrorCode.LOCK_NOT_FOUND, `Lock ${lockId} not found`);
    }
    return { lock: toLockView(deleted) };
  }

  /** Reads one row more than asked, to know whether a next page exists without a count query. */
  private async findPage(
    projectId: string,
    filter: LockFilter,
  ): Promise<{ locks: LockRecord[]; next: { next_cursor?: string } }> {
    const rows = await this.locks.findLocks(projectId, { ...filter, limit: filter.limit + 1 });
    if (rows.length <= filter.limit) {
      return { locks: rows, next: {} };
    }
    const locks = rows.slice(0, filter.limit);
    return { locks, next: { next_cursor: locks[locks.length - 1]?.id } };
  }

  /** Routes that need push access always have a signed-in user; requireAccess refuses anonymous callers. */
  private async requireUser(
    principal: Principal | undefined,
    projectPath: string,
    needed: 'write',
  ): Promise<ProjectAccess & { user: Principal }> {
    const access = await this.access.requireAccess(principal, projectPath, needed);
    if (!principal) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Credentials needed');
    }
    return { ...access, user: principal };
  }
}
