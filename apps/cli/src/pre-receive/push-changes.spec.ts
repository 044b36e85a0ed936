import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { GitFixture, lfsPointer, NULL_ID } from '../../test/git-fixture.js';
import { collectRefChanges } from './push-changes.js';

describe(collectRefChanges.name, () => {
  let repo: GitFixture;

  beforeEach(async () => {
    repo = await GitFixture.create();
  });
  afterEach(async () => {
    await repo.remove();
  });

  const collect = (updates: { oldId: string; newId: string; ref: string }[]) =>
    collectRefChanges({ cwd: repo.bare, env: repo.env }, updates);

  const sorted = (paths: string[]) => [...paths].sort();

  it('lists every path and pointer of a first push', async () => {
    const art = lfsPointer('art bytes');
    const tip = await repo.commit({
      'README.md': 'hello\n',
      'art/hero.psd': art.text,
      'dir with space/é.txt': 'x',
    });
    await repo.receive('main');

    const [change] = await collect([{ oldId: NULL_ID, newId: tip, ref: 'refs/heads/main' }]);

    expect(change?.ref).toBe('refs/heads/main');
    expect(sorted(change?.paths ?? [])).toEqual(['README.md', 'art/hero.psd', 'dir with space/é.txt']);
    expect(change?.pointers).toEqual([{ oid: art.oid, size: art.size, paths: ['art/hero.psd'] }]);
  });

  it('lists only what the new commits of an update change and add', async () => {
    const old = lfsPointer('old');
    const base = await repo.commit({ 'a.txt': 'a', 'old.bin': old.text, 'keep.txt': 'k' });
    await repo.accept('main');
    const added = lfsPointer('added');
    await repo.commit({ 'a.txt': 'a2' });
    const tip = await repo.commit({ 'new.bin': added.text, 'gone.txt': 'tmp' });
    await repo.commit({ 'gone.txt': null });
    const finalTip = await repo.head();
    await repo.receive('main');

    const [change] = await collect([{ oldId: base, newId: finalTip, ref: 'refs/heads/main' }]);

    expect(tip).not.toBe(finalTip);
    expect(sorted(change?.paths ?? [])).toEqual(['a.txt', 'gone.txt', 'new.bin']);
    expect(change?.pointers).toEqual([{ oid: added.oid, size: added.size, paths: ['new.bin'] }]);
  });

  it('compares a new branch against what the other refs already have', async () => {
    await repo.commit({ 'a.txt': 'a', 'b.txt': 'b' });
    await repo.accept('main');
    await repo.git(repo.work, 'checkout', '-q', '-b', 'topic');
    const tip = await repo.commit({ 'b.txt': 'b2' });
    await repo.receive('topic');

    const [change] = await collect([{ oldId: NULL_ID, newId: tip, ref: 'refs/heads/topic' }]);

    expect(change?.paths).toEqual(['b.txt']);
    expect(change?.pointers).toEqual([]);
  });

  it('checks nothing for a deleted ref or for a ref moved onto commits the server has', async () => {
    const tip = await repo.commit({ 'a.txt': 'a' });
    await repo.accept('main');

    expect(await collect([{ oldId: tip, newId: NULL_ID, ref: 'refs/heads/main' }])).toEqual([]);
    expect(await collect([{ oldId: NULL_ID, newId: tip, ref: 'refs/heads/copy' }])).toEqual([
      { ref: 'refs/heads/copy', paths: [], pointers: [] },
    ]);
  });

  it('does not count paths that a merge takes unchanged from one side, but counts a resolved conflict', async () => {
    await repo.commit({ 'shared.txt': 'base\n', 'locked.psd': 'v1' });
    await repo.accept('main');
    await repo.git(repo.work, 'checkout', '-q', '-b', 'theirs');
    await repo.commit({ 'locked.psd': 'v2 by the lock owner', 'shared.txt': 'theirs\n' });
    await repo.accept('theirs');
    await repo.git(repo.work, 'checkout', '-q', 'main');
    const base = await repo.commit({ 'mine.txt': 'm', 'shared.txt': 'mine\n' });
    await repo.accept('main');
    // Conflict on shared.txt only; resolve it with new content.
    await expect(repo.git(repo.work, 'merge', '-q', 'theirs')).rejects.toMatchObject({
      stdout: expect.stringContaining('CONFLICT (content): Merge conflict in shared.txt'),
    });
    await repo.commit({ 'shared.txt': 'resolved\n' }, 'merge theirs');
    const merge = await repo.head();
    await repo.receive('main');

    const [change] = await collect([{ oldId: base, newId: merge, ref: 'refs/heads/main' }]);

    expect(change?.paths).toEqual(['shared.txt']);
  });

  it('counts the paths a force push takes back from the ref', async () => {
    await repo.commit({ 'locked.psd': 'v1', 'other.txt': 'o' });
    await repo.accept('main');
    const mergeBase = await repo.head();
    const old = await repo.commit({ 'locked.psd': 'v2 by the lock owner', 'untouched.txt': 'u' });
    await repo.accept('main');
    await repo.git(repo.work, 'reset', '-q', '--hard', mergeBase);
    const rewritten = await repo.commit({ 'other.txt': 'o2', 'untouched.txt': 'u' });
    await repo.receive('main');

    const [change] = await collect([{ oldId: old, newId: rewritten, ref: 'refs/heads/main' }]);

    // other.txt and untouched.txt come from the new commit; locked.psd goes back to v1.
    expect(sorted(change?.paths ?? [])).toEqual(['locked.psd', 'other.txt', 'untouched.txt']);
    // Resetting to an accepted commit adds no commit but still takes locked.psd back and removes untouched.txt.
    const [reset] = await collect([{ oldId: old, newId: mergeBase, ref: 'refs/heads/main' }]);
    expect(sorted(reset?.paths ?? [])).toEqual(['locked.psd', 'untouched.txt']);
  });

  it('finds pointers in tags and ignores small files that are not pointers and empty-file pointers', async () => {
    const big = lfsPointer('big');
    const empty = lfsPointer('');
    await repo.commit({
      'x.bin': big.text,
      'notes.txt': 'version 1 of my notes\n',
      'empty.bin': empty.text,
      'large.txt': 'z'.repeat(5000),
    });
    await repo.git(repo.work, 'tag', '-a', '-m', 'release', 'v1');
    await repo.git(repo.bare, 'fetch', '-q', repo.work, 'refs/tags/v1');
    const tag = await repo.git(repo.work, 'rev-parse', 'refs/tags/v1');

    const [change] = await collect([{ oldId: NULL_ID, newId: tag, ref: 'refs/tags/v1' }]);

    expect(change?.pointers).toEqual([{ oid: big.oid, size: big.size, paths: ['x.bin'] }]);
  });

  it('handles several refs in one push', async () => {
    const p1 = lfsPointer('one');
    await repo.commit({ 'one.bin': p1.text });
    const main = await repo.head();
    await repo.git(repo.work, 'checkout', '-q', '-b', 'side');
    const p2 = lfsPointer('two');
    const side = await repo.commit({ 'two.bin': p2.text });
    await repo.receive('main');
    await repo.receive('side');

    const changes = await collect([
      { oldId: NULL_ID, newId: main, ref: 'refs/heads/main' },
      { oldId: NULL_ID, newId: side, ref: 'refs/heads/side' },
    ]);

    // Neither ref exists yet, so both own the first commit.
    expect(changes.map((c) => [c.ref, sorted(c.paths), sorted(c.pointers.flatMap((p) => p.paths))])).toEqual([
      ['refs/heads/main', ['one.bin'], ['one.bin']],
      ['refs/heads/side', ['one.bin', 'two.bin'], ['one.bin', 'two.bin']],
    ]);
  });
});
