import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ProjectArchiveManifest, ProjectExportReport } from '@lfs-depot/contracts';
import {
  archiveObjectMember,
  DomainError,
  ErrorCode,
  MANIFEST_MEMBER,
  PROJECT_ARCHIVE_FORMAT,
  PROJECT_ARCHIVE_VERSION,
} from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import { ObjectMissingError, VerifyingStream } from '@lfs-depot/storage';
import tar from 'tar-stream';

import { OBJECT_STORAGE } from '../core/api-runtime.js';
import type { RequestJob } from '../jobs/request-jobs.js';
import { RequestJobs } from '../jobs/request-jobs.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

/** Objects listed per query while exporting. */
const EXPORT_PAGE = 500;

/** What the export route answers with: a file name for the download, and the tar as it is produced. */
export interface ProjectArchiveDownload {
  filename: string;
  archive: Readable;
  jobId: string;
}

/**
 * `GET /api/v1/projects/{path}/export`: the project as a tar (README "Moving a project to another server"), produced
 * while it is sent. The manifest first, then one member per object in oid order, each streamed from storage: a
 * member at a time, so memory stays the same whatever the project holds. The request is its job (project-export).
 */
@Injectable()
export class ProjectExportService {
  private readonly logger = new Logger(ProjectExportService.name);

  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
    private readonly requestJobs: RequestJobs,
  ) {}

  async exportProject(path: string): Promise<ProjectArchiveDownload> {
    const project = await this.projects.findProjectByPath(path);
    if (!project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    const totals = await this.objects.countProjectObjects(project.id);
    const manifest: ProjectArchiveManifest = {
      format: PROJECT_ARCHIVE_FORMAT,
      version: PROJECT_ARCHIVE_VERSION,
      exported_at: totals.at.toISOString(),
      project: { path: project.path, visibility: project.visibility, quota_bytes: project.quotaBytes },
      objects: { count: totals.count, size: totals.size },
    };
    const job = await this.requestJobs.start('project-export', { project: project.path });
    const pack = tar.pack();
    // A Node stream over the pack, pulled as the response drains: destroying it (the client went away, a cancel)
    // destroys the pack, which fails the member being written.
    const archive = Readable.from(pack, { objectMode: false });
    job.signal.addEventListener('abort', () => archive.destroy(new Error('Export cancelled')), {
      once: true,
    });
    void this.writeArchive(pack, project, manifest, totals.at, job)
      .then(async (report) => {
        // Succeeded once the response has taken the last byte, not when the last member was queued.
        await finished(archive);
        return report;
      })
      .then(
        (report) => job.succeed(report),
        async (error: unknown) => {
          this.logger.warn(`Export of ${project.path} (job ${job.id}) stopped: ${String(error)}`);
          archive.destroy(error instanceof Error ? error : new Error(String(error)));
          await job.fail(error);
        },
      );
    return { filename: `${project.path.replaceAll('/', '-')}.tar`, archive, jobId: job.id };
  }

  private async writeArchive(
    pack: tar.Pack,
    project: Project,
    manifest: ProjectArchiveManifest,
    linkedBefore: Date,
    job: RequestJob,
  ): Promise<ProjectExportReport> {
    const mtime = linkedBefore;
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        { name: MANIFEST_MEMBER, mtime },
        Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
        (error) => (error ? reject(error) : resolve()),
      );
    });
    let done = 0;
    let size = 0;
    let cursor: string | undefined;
    job.progress({ phase: 'objects', done, total: manifest.objects.count });
    do {
      const page = await this.objects.listProjectObjects(project.id, EXPORT_PAGE, cursor, linkedBefore);
      for (const object of page.objects) {
        if (job.signal.aborted) {
          throw new Error('Export cancelled');
        }
        let source: Readable;
        try {
          source = await this.storage.open(object.storageKey);
        } catch (error) {
          if (error instanceof ObjectMissingError) {
            // The archive cannot say "absent" for one member: better no archive than one that passes for whole.
            throw new Error(`Object ${object.oid} is linked to ${project.path} but missing from storage`, {
              cause: error,
            });
          }
          throw error;
        }
        const member = pack.entry({ name: archiveObjectMember(object.oid), size: object.size, mtime });
        // Hashed on the way out too: bytes that went bad in storage fail the export instead of travelling.
        await pipeline(source, new VerifyingStream({ oid: object.oid, size: object.size }), member);
        done += 1;
        size += object.size;
        job.progress({ phase: 'objects', done, total: manifest.objects.count });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    pack.finalize();
    return { project: project.path, objects: done, size };
  }
}
