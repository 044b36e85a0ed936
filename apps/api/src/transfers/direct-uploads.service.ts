import { Inject, Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, quotaExceededError } from '@lfs-depot/contracts';
import type { DirectTransfers, ObjectStorage } from '@lfs-depot/storage';
import { fromStorage, objectKey } from '@lfs-depot/storage';

import { ApiSecrets } from '../core/api-secrets.js';
import { DIRECT_TRANSFERS, OBJECT_STORAGE } from '../core/api-runtime.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import { openStagedUploadTicket } from '../objects/staged-upload-ticket.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { UploadLinker } from './upload-linker.js';

/**
 * The verify action of a direct upload (DIRECT_TRANSFERS=all): the client PUT its bytes to a staging key with a
 * presigned URL, and only here do they become an object, once proven, exactly as the proxy's finalize links bytes it
 * verified, through the same UploadLinker: the object row, then the link with its quota check and the bytes confirmed
 * under the row's lock, a damage mark cleared when the bytes were written.
 */
@Injectable()
export class DirectUploadsService {
  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(DIRECT_TRANSFERS) private readonly direct: DirectTransfers | null,
    private readonly secrets: ApiSecrets,
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
    private readonly linker: UploadLinker,
  ) {}

  /**
   * Links the staged upload `staged` names to the project once its size and SHA-256 are proven, and removes it
   * whatever the outcome: 422 OBJECT_MISMATCH (nothing linked) for other bytes, 404 when nothing was uploaded, 507
   * when the quota has no room left, 503 while the object's bytes are being purged or the bucket fails (StorageFailure,
   * answered by the exception filter). The caller has checked that the
   * requester may write to `project`.
   */
  async verifyStagedUpload(project: Project, oid: string, size: number, staged: string): Promise<void> {
    const ticket = openStagedUploadTicket(this.secrets.uploadTicketKey, staged);
    if (!ticket || ticket.p !== project.id || ticket.o !== oid || ticket.s !== size) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'Invalid or expired upload ticket');
    }
    const direct = this.direct;
    if (direct === null) {
      throw new DomainError(
        ErrorCode.SERVICE_UNAVAILABLE,
        'Direct uploads were turned off on this server; upload the object again',
        { retry_after_seconds: 2 },
      );
    }
    const stagingKey = ticket.k;
    try {
      // One statement: the object's row (linked or not, damaged or not) and whether this project links it.
      const { object: known, linked } = await this.objects.findUploadTarget(project.id, oid, size);
      // As the proxy's authorize decides it: bytes already stored are proven against, not copied over, unless scrub
      // marked them damaged (then they are written again, and the link clears the mark).
      const alreadyStored =
        known !== undefined &&
        !known.damaged &&
        (await fromStorage('store', undefined, () => this.storage.stat(known.storageKey)))?.size === size;
      if (linked && alreadyStored) {
        // Linked meanwhile (the same object in two batches, or a retry whose first answer was lost): nothing to do.
        return;
      }
      if (!linked) {
        // A damaged object the project links already counts in its statistics: healing it adds nothing.
        await this.assertQuotaRoom(project, size);
      }
      if (known?.state === 'purging') {
        throw new DomainError(
          ErrorCode.SERVICE_UNAVAILABLE,
          `Object ${oid} is being removed from storage; upload it again in a moment`,
          { retry_after_seconds: 2 },
        );
      }
      const object = { oid, size, storageKey: known?.storageKey ?? objectKey(oid) };
      // A bucket that fails or times out (not a verdict on the bytes) is a 503 to come back after, never a 500.
      await fromStorage('store', undefined, () =>
        direct.commitStaged(stagingKey, object.storageKey, { oid, size }, { replace: !alreadyStored }),
      );
      // Recorded first, so that bytes a crash between the copy and the link leaves behind are known to GC.
      await this.objects.recordObject(object);
      // From here on exactly as the proxy's finalize.
      await this.linker.linkVerifiedUpload(project.id, object, !alreadyStored);
    } finally {
      // commitStaged removes it too; a refusal before it must not leave it for the sweep.
      await fromStorage('store', undefined, () => direct.discardStaged(stagingKey));
    }
  }

  /** The fast refusal, before any copy; the link checks again, atomically. */
  private async assertQuotaRoom(project: Project, size: number): Promise<void> {
    if (project.quotaBytes === null) {
      return;
    }
    const { lfsObjectsSize: used } = await this.projects.getStatistics(project.id);
    if (used + size > project.quotaBytes) {
      throw quotaExceededError({
        project: project.path,
        usedBytes: used,
        quotaBytes: project.quotaBytes,
        requestedBytes: size,
      });
    }
  }
}
