import type { PushCheckChange, PushCheckPointer, PushCheckResponse } from '@lfs-depot/contracts';
import { MAX_PUSH_CHECK_PATHS, MAX_PUSH_CHECK_POINTERS } from '@lfs-depot/contracts';

import type { RefChange } from './push-changes.js';

/**
 * Splits ref changes into requests that each name at most `maxPaths` paths and `maxPointers` pointers (the server's
 * per-call limits by default), cutting a ref's change in pieces when it alone is too big. Refs with nothing to check
 * are left out.
 */
export function splitIntoCalls(
  changes: readonly RefChange[],
  maxPaths = MAX_PUSH_CHECK_PATHS,
  maxPointers = MAX_PUSH_CHECK_POINTERS,
): PushCheckChange[][] {
  const calls: PushCheckChange[][] = [];
  let current: PushCheckChange[] = [];
  let paths = 0;
  let pointers = 0;
  for (const change of changes) {
    let pathIndex = 0;
    let pointerIndex = 0;
    while (pathIndex < change.paths.length || pointerIndex < change.pointers.length) {
      if (paths === maxPaths || pointers === maxPointers) {
        calls.push(current);
        current = [];
        paths = 0;
        pointers = 0;
      }
      const takePaths = Math.min(maxPaths - paths, change.paths.length - pathIndex);
      const takePointers = Math.min(maxPointers - pointers, change.pointers.length - pointerIndex);
      current.push({
        ref: change.ref,
        paths: change.paths.slice(pathIndex, pathIndex + takePaths),
        pointers: change.pointers.slice(pointerIndex, pointerIndex + takePointers),
      });
      pathIndex += takePaths;
      pointerIndex += takePointers;
      paths += takePaths;
      pointers += takePointers;
    }
  }
  if (current.length > 0) {
    calls.push(current);
  }
  return calls;
}

/** Combines the answers of several calls into one, merging the paths of an object reported more than once. */
export function mergeAnswers(answers: readonly PushCheckResponse[]): PushCheckResponse {
  return {
    allowed: answers.every((answer) => answer.allowed),
    locked: answers.flatMap((answer) => answer.locked),
    missing: mergePointers(answers.flatMap((answer) => answer.missing)),
    // A server older than the damaged list sends none.
    damaged: mergePointers(answers.flatMap((answer) => (answer as Partial<PushCheckResponse>).damaged ?? [])),
  };
}

function mergePointers(entries: readonly PushCheckPointer[]): PushCheckPointer[] {
  const merged = new Map<string, { oid: string; size: number; paths: Set<string> }>();
  for (const entry of entries) {
    const key = `${entry.oid}:${entry.size}`;
    const found = merged.get(key) ?? { oid: entry.oid, size: entry.size, paths: new Set<string>() };
    entry.paths?.forEach((path) => found.paths.add(path));
    merged.set(key, found);
  }
  return [...merged.values()].map(({ oid, size, paths }) => ({ oid, size, paths: [...paths] }));
}
