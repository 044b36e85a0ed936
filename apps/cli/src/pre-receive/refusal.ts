import type { PushCheckResponse } from '@lfs-depot/contracts';

/**
 * The message a refused pusher reads (git prefixes each line with `remote: `): every locked path with its lock's
 * owner, every missing or damaged object with its oid and paths, and what to do about each.
 */
export function formatRefusal(answer: PushCheckResponse): string {
  const lines: string[] = ['lfs-depot: push refused.'];
  if (answer.locked.length > 0) {
    lines.push('', 'These paths are locked by someone else:');
    for (const lock of answer.locked) {
      lines.push(
        `  ${lock.path}  locked by ${lock.owner} (on ${lock.ref}, lock ${lock.lock_id}, since ${lock.locked_at})`,
      );
    }
    lines.push(
      'Ask the lock owner to push their change and unlock (git lfs unlock <path>), or a maintainer to force-unlock;',
      'then rebase your change on theirs and push again.',
    );
  }
  if (answer.missing.length > 0) {
    lines.push('', 'These LFS objects are not on the LFS server for this project:');
    for (const object of answer.missing) {
      const where = object.paths && object.paths.length > 0 ? `  ${object.paths.join(', ')}` : '';
      lines.push(`  ${object.oid} (${object.size} bytes)${where}`);
    }
    lines.push(
      "Upload them first with 'git lfs push --all <remote>' (git-lfs's pre-push hook does this unless it is",
      'skipped, e.g. by --no-verify), then push again.',
    );
  }
  const { damaged } = answer;
  if (damaged.length > 0) {
    lines.push(
      '',
      'These LFS objects are damaged on the LFS server (their stored bytes were found missing or corrupt):',
    );
    for (const object of damaged) {
      const where = object.paths && object.paths.length > 0 ? `  ${object.paths.join(', ')}` : '';
      lines.push(`  ${object.oid} (${object.size} bytes)${where}`);
    }
    lines.push(
      "Upload them again with 'git lfs push --all <remote>' from a clone that has them (the server asks for their",
      'bytes again, and the upload repairs them), then push again.',
    );
  }
  return `${lines.join('\n')}\n`;
}
