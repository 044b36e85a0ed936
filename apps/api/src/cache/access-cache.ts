import { BroadcastMemo, type BroadcastMemoOptions } from './broadcast-memo.js';
import { SharedCache } from './shared-cache.js';

/** The channel on which any instance announces that users, tokens, projects or memberships changed. */
export const ACCESS_CHANGED_CHANNEL = 'access-changed';

/**
 * The lookups every LFS request makes before it can do anything: token → user and (project, user) → role. Without
 * it each batch paid two extra database round trips for answers that change rarely. Any change to users, tokens,
 * projects or memberships invalidates it.
 */
export class AccessCache extends BroadcastMemo {
  constructor(bus: SharedCache, options: BroadcastMemoOptions = {}) {
    super(bus, ACCESS_CHANGED_CHANNEL, options);
  }
}
