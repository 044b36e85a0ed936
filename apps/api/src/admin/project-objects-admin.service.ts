import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_LIMIT, DomainError, ErrorCode, isValidOid } from '@lfs-depot/contracts';
import type { ProjectObjectsPageView } from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { decodeCursor, encodeCursor } from '../core/page-cursor.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

/** Which objects a project links, for a platform's UI and clean-up jobs; unlinking leaves the bytes to GC. */
@Injectable()
export class ProjectObjectsAdminService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
    private readonly audit: AuditService,
  ) {}

  async listProjectObjects(
    path: string,
    page: { limit?: number; cursor?: string },
  ): Promise<ProjectObjectsPageView> {
    const project = await this.requireProject(path);
    const { objects, nextCursor } = await this.objects.listProjectObjects(
      project.id,
      page.limit ?? DEFAULT_PAGE_LIMIT,
      page.cursor === undefined ? undefined : this.afterOid(page.cursor),
    );
    return {
      objects: objects.map((object) => ({
        oid: object.oid,
        size: object.size,
        created_at: object.linkedAt.toISOString(),
      })),
      next_cursor: nextCursor === null ? null : encodeCursor('objects', nextCursor),
    };
  }

  /** Removes the project's link (and its share of the statistics); the stored bytes stay for other projects. */
  async unlinkProjectObject(context: AuditContext, path: string, oid: string): Promise<void> {
    if (!isValidOid(oid)) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'Invalid oid: expected 64 lowercase hexadecimal characters',
      );
    }
    const project = await this.requireProject(path);
    await this.audit.transaction(async (tx) => {
      if (!(await this.objects.unlinkObjectFromProject(project.id, oid, tx))) {
        throw new DomainError(ErrorCode.OBJECT_NOT_FOUND, `Project '${path}' does not link object ${oid}`);
      }
      await this.audit.record(tx, context, {
        action: 'object.unlink',
        target: { type: 'object', id: null, name: oid },
        project: project.path,
      });
    });
  }

  /** The oid a cursor stands for; a bare oid is still taken, as next_cursor was one before cursors were opaque. */
  private afterOid(cursor: string): string {
    return isValidOid(cursor) ? cursor : decodeCursor('objects', cursor, isValidOid);
  }

  private async requireProject(path: string): Promise<Project> {
    const project = await this.projects.findProjectByPath(path);
    if (!project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    return project;
  }
}
