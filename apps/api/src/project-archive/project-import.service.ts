import type { IncomingMessage } from 'node:http';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import type { ImportFailureView, ProjectArchiveManifest, ProjectImportReport } from '@lfs-depot/contracts';
import {
  DomainError,
  ErrorCode,
  formatBytes,
  MANIFEST_MEMBER,
  MAX_MANIFEST_BYTES,
  MAX_REPORTED_IMPORT_FAILURES,
  oidOfArchiveMember,
  PROJECT_PATH_PATTERN,
  quotaExceededError,
} from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import { ObjectMissingError, objectKey, StorageVerificationError } from '@lfs-depot/storage';
import tar from 'tar-stream';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { CONFIG, OBJECT_STORAGE } from '../core/api-runtime.js';
import { BodyAbortedError } from '../http/json-body.js';
import { tarBody } from '../http/tar-body.js';
import type { RequestJob } from '../jobs/request-jobs.js';
import { RequestJobs } from '../jobs/request-jobs.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { parseArchiveManifest } from './archive-manifest.js';

type Member = tar.Extract extends AsyncIterable<infer M> ? M : never;

/** What became of one object member. */
type ObjectOutcome = { linked: boolean } | { refused: string };

/** The archive itself is broken (not a tar, cut short): nothing more can be read from it. */
class ArchiveError extends Error {}

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, callback) => callback() });

async function drain(member: Member): Promise<void> {
  await pipeline(Readable.from(member), discard());
}

async function readSmallMember(member: Member, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of member as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) {
      throw new DomainError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        `${MANIFEST_MEMBER} is larger than ${formatBytes(limit)}`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * `PUT /api/v1/projects/{path}/import`: reads a project archive as it arrives (README "Moving a project to another
 * server") and links each object to the project exactly as an upload would: its bytes are hashed while they are
 * stored (storage.put, or storage.verify for bytes already stored), and only verified bytes are linked, with the
 * statistics and the quota check in the link's transaction. Knowing an oid is worth as little here as anywhere: a
 * manifest names no object, only members carrying the bytes count. A refused object (wrong bytes, over the quota)
 * is named in the report and the import goes on; importing the same archive again links nothing more.
 */
@Injectable()
export class ProjectImportService {
  private readonly logger = new Logger(ProjectImportService.name);

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
    private readonly audit: AuditService,
    private readonly requestJobs: RequestJobs,
  ) {}

  async importProject(
    path: string,
    req: IncomingMessage,
    options: { ignoreQuota: boolean },
    context: AuditContext,
  ): Promise<ProjectImportReport> {
    if (!PROJECT_PATH_PATTERN.test(path)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `'${path}' is not a project path`);
    }
    const body = tarBody(req);
    const job = await this.requestJobs.start('project-import', {
      project: path,
      ignore_quota: options.ignoreQuota,
    });
    const extract = tar.extract();
    let aborted = false;
    const onClose = (): void => {
      if (!body.complete) {
        aborted = true;
        extract.destroy(new BodyAbortedError());
      }
    };
    body.once('close', onClose);
    const onCancel = (): void => {
      extract.destroy(new Error('Import cancelled'));
    };
    job.signal.addEventListener('abort', onCancel, { once: true });
    body.pipe(extract);
    try {
      const report = await this.readArchive(extract, path, options, context, job);
      await job.succeed(report);
      return report;
    } catch (error) {
      await job.fail(error);
      // The rest of the body is read and dropped, so that the answer still goes out on this connection.
      body.unpipe(extract);
      body.resume();
      extract.destroy();
      if (aborted) {
        throw new BodyAbortedError();
      }
      if (job.signal.aborted) {
        throw new DomainError(ErrorCode.JOB_CANCELLED, `Import cancelled (job ${job.id})`);
      }
      if (error instanceof ArchiveError) {
        throw new DomainError(ErrorCode.VALIDATION_FAILED, error.message);
      }
      throw error;
    } finally {
      body.off('close', onClose);
      job.signal.removeEventListener('abort', onCancel);
    }
  }

  private async readArchive(
    extract: tar.Extract,
    path: string,
    options: { ignoreQuota: boolean },
    context: AuditContext,
    job: RequestJob,
  ): Promise<ProjectImportReport> {
    const members = extract[Symbol.asyncIterator]();
    const next = async (): Promise<Member | undefined> => {
      try {
        const step = await members.next();
        return step.done ? undefined : step.value;
      } catch (error) {
        throw this.archiveError(extract, error);
      }
    };
    const first = await next();
    if (first?.header.name !== MANIFEST_MEMBER || first.header.type !== 'file') {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        `The archive's first member must be ${MANIFEST_MEMBER} (is it an lfs-depot project export?)`,
      );
    }
    if (first.header.size > MAX_MANIFEST_BYTES) {
      throw new DomainError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        `${MANIFEST_MEMBER} is larger than ${formatBytes(MAX_MANIFEST_BYTES)}`,
      );
    }
    const manifest = parseArchiveManifest(await readSmallMember(first, MAX_MANIFEST_BYTES));
    const { project, created } = await this.findOrCreateProject(path, manifest, context);
    const quota = options.ignoreQuota ? null : project.quotaBytes;
    if (quota !== null && manifest.objects.size > quota) {
      // Refused before a byte is stored: the archive's objects could never all fit.
      throw quotaExceededError({
        project: project.path,
        usedBytes: 0,
        quotaBytes: quota,
        requestedBytes: manifest.objects.size,
      });
    }
    const report: ProjectImportReport = {
      project: project.path,
      job_id: job.id,
      created,
      listed: manifest.objects.count,
      listed_size: manifest.objects.size,
      received: 0,
      linked: 0,
      linked_size: 0,
      already_linked: 0,
      failed: 0,
      missing: 0,
      failures: [],
      statistics: { lfs_objects_count: 0, lfs_objects_size: 0, quota_bytes: project.quotaBytes },
    };
    const refuse = (failure: ImportFailureView): void => {
      report.failed += 1;
      if (report.failures.length < MAX_REPORTED_IMPORT_FAILURES) {
        report.failures.push(failure);
      }
    };
    job.progress({ phase: 'objects', done: 0, total: manifest.objects.count });
    for (let member = await next(); member !== undefined; member = await next()) {
      if (job.signal.aborted) {
        throw new Error('Import cancelled');
      }
      if (member.header.type === 'directory') {
        await this.drainMember(extract, member);
        continue;
      }
      const oid = oidOfArchiveMember(member.header.name);
      if (member.header.type !== 'file' || oid === undefined) {
        await this.drainMember(extract, member);
        refuse({ oid: member.header.name, reason: 'not an object member (objects/<ab>/<cd>/<oid>)' });
        continue;
      }
      report.received += 1;
      const size = member.header.size;
      let outcome: ObjectOutcome;
      if (size > this.config.limits.maxObjectSize) {
        await this.drainMember(extract, member);
        outcome = {
          refused: `${formatBytes(size)} is more than this server's MAX_OBJECT_SIZE (${formatBytes(this.config.limits.maxObjectSize)})`,
        };
      } else {
        outcome = await this.importObject(extract, project, oid, size, member, quota);
      }
      if ('refused' in outcome) {
        refuse({ oid, reason: outcome.refused });
      } else if (outcome.linked) {
        report.linked += 1;
        report.linked_size += size;
      } else {
        report.already_linked += 1;
      }
      job.progress({ phase: 'objects', done: report.received, total: manifest.objects.count });
    }
    report.missing = Math.max(0, manifest.objects.count - report.received);
    const statistics = await this.projects.getStatistics(project.id);
    report.statistics = {
      lfs_objects_count: statistics.lfsObjectsCount,
      lfs_objects_size: statistics.lfsObjectsSize,
      quota_bytes: project.quotaBytes,
    };
    await this.audit.transaction((tx) =>
      this.audit.record(tx, context, {
        action: 'project.import',
        target: { type: 'project', id: project.id, name: project.path },
        project: project.path,
        details: {
          job_id: job.id,
          exported_at: manifest.exported_at,
          from: manifest.project.path,
          linked: report.linked,
          linked_size: report.linked_size,
          already_linked: report.already_linked,
          failed: report.failed,
          missing: report.missing,
          ignore_quota: options.ignoreQuota,
        },
      }),
    );
    return report;
  }

  /** One object member, as an upload of it: bytes verified while stored, then linked under the row's lock. */
  private async importObject(
    extract: tar.Extract,
    project: Project,
    oid: string,
    size: number,
    member: Member,
    quotaBytes: number | null,
  ): Promise<ObjectOutcome> {
    const expected = { oid, size };
    const known = await this.objects.findObject(oid, size);
    if (known?.state === 'purging') {
      await this.drainMember(extract, member);
      return { refused: 'its stored copy is being removed by garbage collection; import again in a moment' };
    }
    const storageKey = known?.storageKey ?? objectKey(oid);
    // As an upload's authorize decides: bytes recorded and still stored at that size are verified, not rewritten,
    // unless scrub marked them damaged (then they are written, and the link clears the mark).
    const alreadyStored =
      known !== undefined && !known.damaged && (await this.storage.stat(storageKey))?.size === size;
    try {
      if (alreadyStored) {
        await this.storage.verify(storageKey, Readable.from(member), expected);
      } else {
        await this.storage.put(storageKey, Readable.from(member), expected);
      }
    } catch (error) {
      if (error instanceof StorageVerificationError) {
        return { refused: `${error.message}; nothing was stored for it` };
      }
      if (error instanceof ObjectMissingError) {
        return { refused: 'its stored copy was removed while it was checked; import again' };
      }
      throw this.archiveError(extract, error);
    }
    const object = { oid, size, storageKey };
    // As finalize does: recorded first, so bytes that end up linked nowhere (quota) are found by garbage collection.
    await this.objects.recordObject(object);
    try {
      return await this.objects.linkObjectToProject(project.id, object, quotaBytes, {
        confirmStored: async (key) => (await this.storage.stat(key))?.size === size,
        wroteBytes: !alreadyStored,
      });
    } catch (error) {
      if (
        error instanceof DomainError &&
        (error.code === ErrorCode.QUOTA_EXCEEDED || error.code === ErrorCode.SERVICE_UNAVAILABLE)
      ) {
        return { refused: error.message };
      }
      throw error;
    }
  }

  private async drainMember(extract: tar.Extract, member: Member): Promise<void> {
    try {
      await drain(member);
    } catch (error) {
      throw this.archiveError(extract, error);
    }
  }

  /**
   * A failure while reading: the archive's fault (not a tar, cut short) when the extractor itself failed, else
   * the error as it is (storage, the client going away).
   */
  private archiveError(extract: tar.Extract, error: unknown): unknown {
    if (error instanceof DomainError || error instanceof BodyAbortedError) {
      return error;
    }
    if (extract.destroyed || extract.destroying) {
      const message = error instanceof Error ? error.message : String(error);
      if (message === 'Import cancelled' || error instanceof BodyAbortedError) {
        return error;
      }
      return new ArchiveError(`The archive is not a valid tar or ends early: ${message}`);
    }
    return error;
  }

  private async findOrCreateProject(
    path: string,
    manifest: ProjectArchiveManifest,
    context: AuditContext,
  ): Promise<{ project: Project; created: boolean }> {
    const existing = await this.projects.findProjectByPath(path);
    if (existing) {
      return { project: existing, created: false };
    }
    const created = await this.audit.transaction(async (tx) => {
      const project = await this.projects.createProject(
        { path, visibility: manifest.project.visibility, quotaBytes: manifest.project.quota_bytes },
        tx,
      );
      if (project) {
        await this.audit.record(tx, context, {
          action: 'project.create',
          target: { type: 'project', id: project.id, name: project.path },
          project: project.path,
          details: {
            visibility: project.visibility,
            quota_bytes: project.quotaBytes,
            imported_from: manifest.project.path,
          },
        });
      }
      return project;
    });
    if (created) {
      this.logger.log(`Project ${path} created by an import`);
      return { project: created, created: true };
    }
    // Created by someone else meanwhile.
    const raced = await this.projects.findProjectByPath(path);
    if (!raced) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    return { project: raced, created: false };
  }
}
