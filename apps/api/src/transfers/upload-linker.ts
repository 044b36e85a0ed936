import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ObjectStorage } from '@lfs-depot/storage';

import { OBJECT_STORAGE } from '../core/api-runtime.js';
import type { LinkResult, StoredObject } from '../objects/objects.repository.js';
import { ObjectsRepository } from '../objects/objects.repository.js';

/**
 * The one way verified upload bytes become a project's object, whichever way they came (the proxy's finalize, a direct
 * upload's verify): so a damage mark, the quota and the statistics are decided alike for both.
 */
@Injectable()
export class UploadLinker {
  private readonly logger = new Logger(UploadLinker.name);

  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly objects: ObjectsRepository,
  ) {}

  /**
   * Links `object` to the project with its own quota, read under the statistics row's lock. The bytes are checked
   * again under the object row's lock: whatever a purge did meanwhile, a link is only ever made to bytes storage
   * holds. `wroteBytes`: this upload wrote them (no deduplicated verify), which clears a damage mark scrub left.
   */
  async linkVerifiedUpload(
    projectId: string,
    object: StoredObject,
    wroteBytes: boolean,
  ): Promise<LinkResult> {
    try {
      return await this.objects.linkUploadedObject(projectId, object, {
        confirmStored: async (storageKey) => (await this.storage.stat(storageKey))?.size === object.size,
        wroteBytes,
      });
    } catch (error) {
      // Verified bytes that end up linked nowhere (quota refused, project deleted) are still recorded, so garbage
      // collection can find them. Only when the link failed: a link records the object in its own transaction.
      await this.recordUnlinked(object);
      throw error;
    }
  }

  /**
   * Records verified bytes that no project links (recordObject), if storage still holds them: a purge may have
   * deleted them after they were written, and a `present` row without its bytes is what scrub reports missing. No
   * purge can delete them between the check and the record: a purge deletes only the bytes of a row it holds, and
   * then recordObject records a leftover instead. A failure is logged: the bytes are then scrub's to report.
   */
  async recordUnlinked(object: StoredObject): Promise<void> {
    try {
      if ((await this.storage.stat(object.storageKey))?.size !== object.size) {
        return;
      }
      await this.objects.recordObject(object);
    } catch (recordError) {
      this.logger.warn(`Could not record the verified object ${object.oid}: ${String(recordError)}`);
    }
  }
}
