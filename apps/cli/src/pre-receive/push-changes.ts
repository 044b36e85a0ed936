import type { GitContext } from './git.runner.js';
import { readBlobs, readObjectInfo, runGit } from './git.runner.js';
import { MAX_POINTER_SIZE, parseLfsPointer } from './lfs-pointer.js';
import type { RefUpdate } from './ref-updates.js';
import { isNullId } from './ref-updates.js';

/** An LFS pointer a push adds, with the paths it was found at. */
export interface AddedPointer {
  oid: string;
  size: number;
  paths: string[];
}

/** What a push does to one ref, as the push check wants it. */
export interface RefChange {
  ref: string;
  /** Paths whose content the push changes on this ref. */
  paths: string[];
  /** LFS pointers in objects the push adds. */
  pointers: AddedPointer[];
}

/** Splits `git … -z --name-only` output into paths, dropping the commit markers our --format put in. */
function parseNameList(output: Buffer): string[] {
  return output
    .toString('utf8')
    .split('\0')
    .map((token) => (token.startsWith('\n') ? token.slice(1) : token))
    .filter((token) => token !== '' && token !== '\u0001');
}

/**
 * Paths changed by the commits this update adds, i.e. those reachable from the new tip but from no existing ref
 * (new branches are compared against everything the repository already has). A merge changes only the paths
 * whose result differs from every parent (`-c`), so merging already accepted work changes nothing.
 */
async function pathsOfNewCommits(git: GitContext, tip: string): Promise<string[]> {
  const { stdout } = await runGit(git, [
    'log',
    '--format=%x01',
    '-z',
    '--name-only',
    '--no-renames',
    '-c',
    '--root',
    tip,
    '--not',
    '--all',
  ]);
  return parseNameList(stdout);
}

/**
 * For a forced update, the paths whose content on the ref changes because commits are dropped from it: those the
 * dropped commits touched (since the merge base) that still differ between the old and the new tip.
 */
async function pathsRewrittenByForcePush(git: GitContext, oldTip: string, newTip: string): Promise<string[]> {
  const base = await runGit(git, ['merge-base', oldTip, newTip], { okCodes: [1] });
  const mergeBase = base.stdout.toString('utf8').trim();
  if (mergeBase === oldTip) {
    return [];
  }
  const diff = (from: string, to: string) =>
    runGit(git, ['diff', '--name-only', '-z', '--no-renames', from, to]).then((r) => parseNameList(r.stdout));
  // Unrelated histories have no merge base: everything the old tip has was dropped.
  const dropped = new Set(
    mergeBase === ''
      ? parseNameList((await runGit(git, ['ls-tree', '-r', '-z', '--name-only', oldTip])).stdout)
      : await diff(mergeBase, oldTip),
  );
  return (await diff(oldTip, newTip)).filter((path) => dropped.has(path));
}

/** Blob ids (with a path) among the objects reachable from `tip` that no existing ref reaches. */
async function newObjects(git: GitContext, tip: string): Promise<Map<string, string>> {
  const { stdout } = await runGit(git, ['rev-list', '--objects', tip, '--not', '--all']);
  const objects = new Map<string, string>();
  for (const line of stdout.toString('utf8').split('\n')) {
    const space = line.indexOf(' ');
    // Commits come without a path; the root tree with an empty one. Neither can be a pointer.
    if (space > 0 && space < line.length - 1) {
      const id = line.slice(0, space);
      if (!objects.has(id)) {
        objects.set(id, line.slice(space + 1));
      }
    }
  }
  return objects;
}

/**
 * Works out, with git itself, what each ref update of a push changes: the paths (for locks) and the LFS pointers
 * it adds (for missing objects). Deleted refs change nothing; refs that point at something other than a commit
 * (a tag of a tree or blob) are not inspected.
 */
export async function collectRefChanges(
  git: GitContext,
  updates: readonly RefUpdate[],
): Promise<RefChange[]> {
  const live = updates.filter((update) => !isNullId(update.newId));
  const peeled = await readObjectInfo(
    git,
    live.map((update) => `${update.newId}^{commit}`),
  );

  const perRef: { ref: string; paths: Set<string>; blobs: Map<string, string> }[] = [];
  for (const update of live) {
    const commit = peeled.get(`${update.newId}^{commit}`);
    if (!commit) {
      continue;
    }
    const paths = new Set(await pathsOfNewCommits(git, commit.id));
    if (!isNullId(update.oldId)) {
      const oldCommit = (await readObjectInfo(git, [`${update.oldId}^{commit}`])).get(
        `${update.oldId}^{commit}`,
      );
      if (oldCommit) {
        for (const path of await pathsRewrittenByForcePush(git, oldCommit.id, commit.id)) {
          paths.add(path);
        }
      }
    }
    perRef.push({ ref: update.ref, paths, blobs: await newObjects(git, commit.id) });
  }

  // One batch-check for every candidate of every ref, then one batch for the small blobs among them.
  const candidates = [...new Set(perRef.flatMap(({ blobs }) => [...blobs.keys()]))];
  const info = await readObjectInfo(git, candidates);
  const small = candidates.filter((id) => {
    const object = info.get(id);
    return object?.type === 'blob' && object.size > 0 && object.size <= MAX_POINTER_SIZE;
  });
  const contents = await readBlobs(git, small);
  const pointerOf = new Map<string, { oid: string; size: number }>();
  for (const [id, content] of contents) {
    const pointer = parseLfsPointer(content);
    // A size-0 pointer stands for an empty file, which git-lfs never stores or downloads.
    if (pointer && pointer.size > 0) {
      pointerOf.set(id, pointer);
    }
  }

  return perRef.map(({ ref, paths, blobs }) => {
    const pointers = new Map<string, AddedPointer>();
    for (const [id, path] of blobs) {
      const pointer = pointerOf.get(id);
      if (!pointer) {
        continue;
      }
      const key = `${pointer.oid}:${pointer.size}`;
      const entry = pointers.get(key) ?? { ...pointer, paths: [] };
      entry.paths.push(path);
      pointers.set(key, entry);
    }
    return { ref, paths: [...paths], pointers: [...pointers.values()] };
  });
}
