import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, isValidOid } from '@lfs-depot/contracts';
import type { ProjectObjectsPageView } from '@lfs-depot/contracts';

import { ObjectsRepository } from '../objects/objects.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

/** Page size of the object listing when the caller gives none. */
export const DEFAULT_OBJECTS_PAGE_SIZE = 100;

/** Which objects a project links, for a platform's UI and clean-up jobs; unlinking leaves the bytes to GC. */
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
      page.limit ?? DEFAULT_OBJECTS_PAGE_SIZE,
      page.cursor,
    );
    return {
      objects: objects.map((object) => ({
        oid: object.oid,
        size: object.size,
        created_at: object.linkedAt.toISOString(),
      })),
      next_cursor: nextCursor,
    };
  }

  /** Removes the project's link (and its share of the statistics); the stored bytes stay for other projects. */
  async unlinkProjectObject(path: string, oid: string): Promise<void> {
    if (!isValidOid(oid)) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'Invalid oid: expected 64 lowercase hexadecimal characters',
      );
    }
    const project = await this.requireProject(path);
    if (!(await this.objects.unlinkObjectFromProject(project.id, oid))) {
      throw new DomainError(ErrorCode.OBJECT_NOT_FOUND, `Project '${path}' does not link object ${oid}`);
    }
  }

  private async requireProject(path: string): Promise<Project> {
    const project = await this.projects.findProjectByPath(path);
    if (!project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    return project;
  }
}
