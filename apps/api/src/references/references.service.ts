import type { IncomingMessage } from 'node:http';

import { Injectable } from '@nestjs/common';
import type { ReferencesView } from '@lfs-depot/contracts';
import {
  DomainError,
  ErrorCode,
  isValidOid,
  isValidSize,
  MAX_REFERENCE_LINE_BYTES,
  MAX_REFERENCE_LINES,
} from '@lfs-depot/contracts';

import { readNdjsonBody } from '../http/ndjson-body.js';
import type { ReferencedObject, ReferencesSummary } from '../objects/references.repository.js';
import { ReferencesRepository } from '../objects/references.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

function toView(summary: ReferencesSummary): ReferencesView {
  return {
    taken_at: summary.takenAt.toISOString(),
    referenced: summary.referenced,
    linked_unreferenced: summary.linkedUnreferenced,
    linked_unreferenced_size: summary.linkedUnreferencedSize,
    referenced_missing: summary.referencedMissing,
  };
}

/** Reads NDJSON `{oid, size}` lines, refusing (422, naming the line) any that is not a pointer. */
async function* referenceLines(req: IncomingMessage): AsyncGenerator<ReferencedObject> {
  for await (const { value, line } of readNdjsonBody(req, {
    maxLineBytes: MAX_REFERENCE_LINE_BYTES,
    maxLines: MAX_REFERENCE_LINES,
  })) {
    const { oid, size } = (typeof value === 'object' && value !== null ? value : {}) as Record<
      string,
      unknown
    >;
    if (!isValidOid(oid)) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        `Line ${line}: oid must be 64 lowercase hexadecimal characters`,
      );
    }
    if (!isValidSize(size)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `Line ${line}: size must be a non-negative integer`);
    }
    yield { oid, size };
  }
}

/** A project's reference snapshot: what its repository's refs reach, which garbage collection keeps. */
@Injectable()
export class ReferencesService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly references: ReferencesRepository,
  ) {}

  /** Replaces the snapshot with the body's lines (read only now, after authentication) and compares it. */
  async replaceReferences(path: string, req: IncomingMessage): Promise<ReferencesView> {
    const takenAt = new Date();
    const project = await this.requireProject(path);
    return toView(await this.references.replaceSnapshot(project.id, takenAt, referenceLines(req)));
  }

  async getReferences(path: string): Promise<ReferencesView> {
    const project = await this.requireProject(path);
    const summary = await this.references.summarize(project.id);
    if (!summary) {
      throw new DomainError(
        ErrorCode.OBJECT_NOT_FOUND,
        `Project '${path}' has no reference snapshot yet (PUT one, e.g. with lfs-depot references sync)`,
      );
    }
    return toView(summary);
  }

  private async requireProject(path: string): Promise<Project> {
    const project = await this.projects.findProjectByPath(path);
    if (!project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    return project;
  }
}
