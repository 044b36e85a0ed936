import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_LIMIT, DomainError, ErrorCode } from '@lfs-depot/contracts';
import type { AdminLockPageView, AdminUnlockView } from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { decodeCursor, isRowId, pageOf } from '../core/page-cursor.js';
import { toLockView } from '../locks/lock-view.js';
import { parseLockId } from '../locks/locks-request.parser.js';
import { LocksRepository } from '../locks/locks.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

/** A project's locks for its administrators: every lock whoever holds it, and force-unlock (audited). */
@Injectable()
export class ProjectLocksAdminService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly locks: LocksRepository,
    private readonly audit: AuditService,
  ) {}

  async listLocks(
    path: string,
    query: { path?: string; owner?: string; limit?: number; cursor?: string },
  ): Promise<AdminLockPageView> {
    const project = await this.requireProject(path);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.locks.findLocks(project.id, {
      path: query.path ?? null,
      id: null,
      ownerName: query.owner ?? null,
      afterId: query.cursor === undefined ? null : decodeCursor('locks', query.cursor, isRowId),
      limit: limit + 1,
    });
    const page = pageOf('locks', rows, limit, (lock) => lock.id);
    return { locks: page.items.map(toLockView), next_cursor: page.next_cursor };
  }

  /** Removes the lock whoever holds it, as a maintainer's `git lfs unlock --force` does, and records it. */
  async forceUnlock(context: AuditContext, path: string, lockId: string): Promise<AdminUnlockView> {
    const project = await this.requireProject(path);
    const id = parseLockId(lockId);
    return this.audit.transaction(async (tx) => {
      const deleted = id === undefined ? undefined : await this.locks.deleteLock(project.id, id, null, tx);
      if (!deleted) {
        throw new DomainError(ErrorCode.LOCK_NOT_FOUND, `Project '${path}' has no lock ${lockId}`);
      }
      await this.audit.record(tx, context, {
        action: 'lock.force_unlock',
        target: { type: 'lock', id: deleted.id, name: deleted.path },
        project: project.path,
        details: { owner: deleted.ownerName },
      });
      return { lock: toLockView(deleted) };
    });
  }

  private async requireProject(path: string): Promise<Project> {
    const project = await this.projects.findProjectByPath(path);
    if (!project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    return project;
  }
}
