import type { LockView } from '@lfs-depot/contracts';

import type { LockRecord } from './locks.repository.js';

/** A lock as the locking API and the admin API answer it. */
export function toLockView(lock: LockRecord): LockView {
  return {
    id: lock.id,
    path: lock.path,
    locked_at: lock.lockedAt.toISOString(),
    owner: { name: lock.ownerName },
  };
}
