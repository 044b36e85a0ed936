import { describe, expect, it } from '@jest/globals';

import { LinkCache } from './link-cache.js';
import { MemoryCache } from './memory.cache.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

/** A loader over a fixed set of links that records which oids it was asked for. */
function database(links: Record<string, number>): {
  asked: string[][];
  load: (oids: readonly string[]) => Promise<Map<string, number>>;
} {
  const asked: string[][] = [];
  return {
    asked,
    load: (oids) => {
      asked.push([...oids]);
      return Promise.resolve(new Map(oids.filter((oid) => oid in links).map((oid) => [oid, links[oid]])));
    },
  };
}

describe(LinkCache.name, () => {
  it('asks the database only for the oids it does not remember, and answers all of them', async () => {
    const cache = new LinkCache(new MemoryCache());
    const db = database({ [A]: 1, [B]: 2 });
    expect(await cache.linkedSizes('7', [A], db.load)).toEqual(new Map([[A, 1]]));
    expect(await cache.linkedSizes('7', [A, B, C], db.load)).toEqual(
      new Map([
        [A, 1],
        [B, 2],
      ]),
    );
    expect(db.asked).toEqual([[A], [B, C]]);
  });

  it('makes no lookup at all when every oid is remembered', async () => {
    const cache = new LinkCache(new MemoryCache());
    const db = database({ [A]: 1, [B]: 2 });
    await cache.linkedSizes('7', [A, B], db.load);
    expect(await cache.linkedSizes('7', [B, A], db.load)).toEqual(
      new Map([
        [B, 2],
        [A, 1],
      ]),
    );
    expect(db.asked).toHaveLength(1);
  });

  it('never remembers a missing link, so a new upload shows at once', async () => {
    const cache = new LinkCache(new MemoryCache());
    const links: Record<string, number> = {};
    const db = database(links);
    expect(await cache.linkedSizes('7', [A], db.load)).toEqual(new Map());
    links[A] = 5;
    expect(await cache.linkedSizes('7', [A], db.load)).toEqual(new Map([[A, 5]]));
  });

  it("keeps each project's links apart: another project's link proves nothing", async () => {
    const cache = new LinkCache(new MemoryCache());
    await cache.linkedSizes('7', [A], database({ [A]: 1 }).load);
    const other = database({});
    expect(await cache.linkedSizes('8', [A], other.load)).toEqual(new Map());
    expect(other.asked).toEqual([[A]]);
  });

  it('forgets every link on invalidate, here and in other instances on the same bus', async () => {
    const bus = new MemoryCache();
    const [here, there] = [new LinkCache(bus), new LinkCache(bus)];
    const links: Record<string, number> = { [A]: 1 };
    const db = database(links);
    await here.linkedSizes('7', [A], db.load);
    await there.linkedSizes('7', [A], db.load);
    delete links[A];
    await here.invalidate();
    expect(await there.linkedSizes('7', [A], db.load)).toEqual(new Map());
    expect(await here.linkedSizes('7', [A], db.load)).toEqual(new Map());
  });

  it('does not remember links read before an invalidation that came while they were read', async () => {
    const cache = new LinkCache(new MemoryCache());
    let finish: () => void = () => undefined;
    const pending = cache.linkedSizes(
      '7',
      [A],
      () => new Promise((resolve) => (finish = () => resolve(new Map([[A, 1]])))),
    );
    await cache.invalidate(); // e.g. the object was unlinked while the old link was being read
    finish();
    await pending;
    expect(cache.size).toBe(0);
  });

  it('forgets everything once it would hold more than maxLinks links', async () => {
    const cache = new LinkCache(new MemoryCache(), { maxLinks: 2 });
    const db = database({ [A]: 1, [B]: 2, [C]: 3 });
    await cache.linkedSizes('7', [A, B], db.load);
    await cache.linkedSizes('8', [C], db.load);
    expect(cache.size).toBe(0);
    expect(await cache.linkedSizes('7', [A], db.load)).toEqual(new Map([[A, 1]]));
    expect(db.asked).toEqual([[A, B], [C], [A]]);
  });

  it('counts links afresh after an invalidation emptied it', async () => {
    const cache = new LinkCache(new MemoryCache(), { maxLinks: 2 });
    const db = database({ [A]: 1, [B]: 2, [C]: 3 });
    await cache.linkedSizes('7', [A, B], db.load);
    await cache.invalidate();
    await cache.linkedSizes('8', [C], db.load);
    expect(cache.size).toBe(1);
    await cache.linkedSizes('8', [C], db.load);
    expect(db.asked).toEqual([[A, B], [C]]);
  });
});
