import { Injectable } from '@nestjs/common';
import type { ObjectDeletionView } from '@lfs-depot/contracts';
import { DomainError, ErrorCode, isValidOid } from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { ObjectPurger } from '../objects/object-purger.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

function assertOid(oid: string): void {
  if (!isValidOid(oid)) {
    throw new DomainError(
      ErrorCode.VALIDATION_FAILED,
      'Invalid oid: expected 64 lowercase hexadecimal characters',
    );
  }
}

/**
 * Deletion on purpose (a leaked secret, a mistake): unlinks at once, records the removal (the batch then answers
 * 410 for that oid in that project until it is uploaded again), and purges the bytes when no project links them.
 */
@Injectable()
export class ObjectDeletionService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
    private readonly purger: ObjectPurger,
    private readonly audit: AuditService,
  ) {}

  /** `DELETE /api/v1/projects/{path}/objects/{oid}`: 404 when the project does not link it. */
  async deleteFromProject(path: string, oid: string, context: AuditContext): Promise<ObjectDeletionView> {
    assertOid(oid);
    const project = await this.projects.findProjectByPath(path);
    if (!project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    if (!(await this.unlinkFrom(project, oid, context))) {
      throw new DomainError(ErrorCode.OBJECT_NOT_FOUND, `Project '${path}' does not link object ${oid}`);
    }
    return { oid, unlinked_from: [project.path], ...(await this.purgeUnlinked(oid, context)) };
  }

  /** `DELETE /api/v1/objects/{oid}`: from every project that links it; 404 when none does and nothing is stored. */
  async deleteEverywhere(oid: string, context: AuditContext): Promise<ObjectDeletionView> {
    assertOid(oid);
    const unlinkedFrom: string[] = [];
    for (const projectId of await this.objects.findProjectsLinkingOid(oid)) {
      const project = await this.projects.findProjectById(projectId);
      if (project && (await this.unlinkFrom(project, oid, context))) {
        unlinkedFrom.push(project.path);
      }
    }
    const purge = await this.purgeUnlinked(oid, context);
    if (unlinkedFrom.length === 0 && !purge.purged) {
      throw new DomainError(ErrorCode.OBJECT_NOT_FOUND, `No object ${oid} is stored`);
    }
    return { oid, unlinked_from: unlinkedFrom, ...purge };
  }

  private unlinkFrom(project: Project, oid: string, context: AuditContext): Promise<boolean> {
    return this.audit.transaction(async (tx) => {
      const result = await this.objects.unlinkObjects(project.id, { oids: [oid] }, { removed: true, tx });
      if (result.count > 0) {
        await this.audit.record(tx, context, {
          action: 'object.delete',
          target: { type: 'object', id: null, name: oid },
          project: project.path,
          details: { oid, size: result.size, unlinked: true },
        });
      }
      return result.count > 0;
    });
  }

  /** Purges every stored copy of the oid that no project links any more (whenever it was unlinked). */
  private async purgeUnlinked(
    oid: string,
    context: AuditContext,
  ): Promise<{ purged: boolean; purged_size: number }> {
    let purgedSize = 0;
    let purged = false;
    for (const object of await this.objects.findUnlinkedObjectsByOid(oid)) {
      const done = await this.purger.purge(object.id, new Date(), { context, action: 'object.delete' });
      if (done) {
        purged = true;
        purgedSize += done.size;
      }
    }
    return { purged, purged_size: purgedSize };
  }
}
