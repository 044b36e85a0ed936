import { Inject, Injectable } from '@nestjs/common';
import type { ObjectStorage } from '@lfs-depot/storage';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { OBJECT_STORAGE } from '../core/api-runtime.js';
import { ObjectsRepository } from './objects.repository.js';
import type { PurgingObject } from './objects.repository.js';

/**
 * Deletes the bytes of objects no project links, in the one order that can never leave a link to deleted bytes:
 * commit `purging` under the row's lock (after checking, under it, that nothing links the row), delete the bytes,
 * then remove the row. A link takes the same row lock and refuses a `purging` row, and a new row for the same oid
 * can only be made once the old one is removed, which is after its bytes were deleted; finalize checks the bytes
 * under the lock of a `present` row, when no purge of that key can be under way. README "Storage lifecycle".
 */
@Injectable()
export class ObjectPurger {
  constructor(
    private readonly objects: ObjectsRepository,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly audit: AuditService,
  ) {}

  /**
   * Turns the leftovers of purge races into unlinked rows, those whose bytes are still stored (recordLeftovers);
   * returns how many were settled.
   */
  recordLeftovers(): Promise<number> {
    return this.objects.recordLeftovers(async (key) => (await this.storage.stat(key)) !== undefined);
  }

  /**
   * Purges the object when nothing links it and it was unlinked at or before `unlinkedBefore`, by the unlink of
   * `unlinkedFrom` when given (or an earlier purge of it was interrupted); returns the purged object, or undefined
   * when it was left alone.
   */
  async purge(
    id: string,
    unlinkedBefore: Date,
    audit?: { context: AuditContext; action: 'gc.purge' | 'object.delete' },
    unlinkedFrom?: string,
  ): Promise<PurgingObject | undefined> {
    const object = await this.objects.markPurging(id, unlinkedBefore, unlinkedFrom);
    if (!object) {
      return undefined;
    }
    await this.storage.delete(object.storageKey);
    await this.audit.transaction(async (tx) => {
      await this.objects.removePurgedObject(object.id, tx);
      if (audit) {
        await this.audit.record(tx, audit.context, {
          action: audit.action,
          target: { type: 'object', id: object.id, name: object.oid },
          details: { oid: object.oid, size: object.size, purged: true },
        });
      }
    });
    return object;
  }
}
