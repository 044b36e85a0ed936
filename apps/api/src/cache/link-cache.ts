import { BroadcastMemo, type BroadcastMemoOptions } from './broadcast-memo.js';
import { SharedCache } from './shared-cache.js';

/** The channel on which any instance announces that a project stopped linking an object. */
export const LINKS_CHANGED_CHANNEL = 'links-changed';

/** About 20 MB of oids and sizes; past it everything is forgotten and learned again. */
const DEFAULT_MAX_LINKS = 200_000;

export interface LinkCacheOptions extends BroadcastMemoOptions {
  /** How many links all projects' entries may hold together. */
  maxLinks?: number;
}

/**
 * Which objects a project links, and their sizes: the batch API's one database lookup, asked again for the same
 * objects on every clone, fetch and pull of a repository. Only links are remembered, never their absence, so a new
 * upload shows at once; removing a link invalidates it.
 *
 * One entry per project holds that project's known links (oid → size), so a batch of 100 makes one memo lookup and
 * 100 Map lookups by oid; links learned later join the entry and expire with it.
 */
export class LinkCache extends BroadcastMemo {
  private readonly maxLinks: number;
  /** Links added since the memo was last emptied, here or by an invalidation (an overcount once entries expire). */
  private linksAdded = 0;

  constructor(bus: SharedCache, options: LinkCacheOptions = {}) {
    super(bus, LINKS_CHANGED_CHANNEL, options);
    this.maxLinks = options.maxLinks ?? DEFAULT_MAX_LINKS;
  }

  /**
   * The sizes of those `oids` the project links: remembered ones from here, the others from one call of `loader`
   * (with only the oids not remembered), whose answers are then remembered.
   */
  async linkedSizes(
    projectId: string,
    oids: readonly string[],
    loader: (oids: readonly string[]) => Promise<Map<string, number>>,
  ): Promise<Map<string, number>> {
    const known = this.recall<Map<string, number>>(projectId);
    const sizes = new Map<string, number>();
    const missing: string[] = [];
    for (const oid of oids) {
      const size = known?.get(oid);
      if (size === undefined) {
        missing.push(oid);
      } else {
        sizes.set(oid, size);
      }
    }
    if (missing.length === 0) {
      return sizes;
    }
    const mark = this.mark();
    const found = await loader(missing);
    for (const [oid, size] of found) {
      sizes.set(oid, size);
    }
    this.linksAdded += found.size;
    if (this.linksAdded > this.maxLinks) {
      this.forget();
      return sizes;
    }
    if (known && mark === this.mark()) {
      // Still the live entry (no invalidation came while the loader ran): the new links join it.
      for (const [oid, size] of found) {
        known.set(oid, size);
      }
    } else if (found.size > 0) {
      this.remember(projectId, new Map(found), mark);
    }
    return sizes;
  }

  /** Every way the memo is emptied (full here, an invalidation from any instance) restarts the count. */
  protected override forget(): void {
    super.forget();
    this.linksAdded = 0;
  }
}
