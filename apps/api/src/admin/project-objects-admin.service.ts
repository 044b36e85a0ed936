import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_LIMIT, DomainError, ErrorCode, isValidOid } from '@lfs-depot/contracts';
import type { ProjectObjectsPageView } from '@lfs-depot/contracts';

import { decodeCursor, encodeCursor } from '../core/page-cursor.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

/** Which objects a project links, for a platform's UI and clean-up jobs (deleting them: ObjectDeletionService). */
@Injectable()
export class ProjectObjectsAdminService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
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
