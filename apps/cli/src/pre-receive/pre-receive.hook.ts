import type { PushCheckResponse } from '@lfs-depot/contracts';

import { ApiError, ConnectionError } from '../admin.client.js';
import { CliError, ExitCode } from '../cli.errors.js';
import type { TextSink } from '../cli.types.js';
import type { PlatformClient } from '../platform.client.js';
import type { GitContext } from './git.runner.js';
import { collectRefChanges } from './push-changes.js';
import { mergeAnswers, splitIntoCalls } from './push-check-batches.js';
import { formatRefusal } from './refusal.js';
import { parseRefUpdates } from './ref-updates.js';

export interface PreReceiveInput {
  /** The hook's standard input: `<old> <new> <ref>` lines. */
  readonly updates: string;
  readonly project: string;
  readonly username: string;
  readonly git: GitContext;
  readonly client: PlatformClient;
  /** LFS_DEPOT_FAIL_OPEN=1: let pushes through when the server cannot answer. */
  readonly failOpen: boolean;
  readonly stderr: TextSink;
}

/** True when the failure means the server could not give an answer at all (rather than refusing the request). */
function isUnavailable(err: unknown): err is ConnectionError | ApiError {
  return err instanceof ConnectionError || (err instanceof ApiError && err.status >= 500);
}

/**
 * Runs the pre-receive check and resolves to the hook's exit code: 0 lets the push land, 1 refuses it with a
 * message on stderr. Fails closed: when the server cannot be reached the push is refused, unless `failOpen`.
 */
export async function runPreReceive(input: PreReceiveInput): Promise<number> {
  const changes = await collectRefChanges(input.git, parseRefUpdates(input.updates));
  const calls = splitIntoCalls(changes);
  if (calls.length === 0) {
    return ExitCode.OK;
  }
  const answers: PushCheckResponse[] = [];
  try {
    for (const call of calls) {
      answers.push(await input.client.checkPush(input.project, { username: input.username, changes: call }));
    }
  } catch (err) {
    if (!isUnavailable(err)) {
      throw err;
    }
    const reason =
      err instanceof ConnectionError ? err.message : `the server failed: ${err.message} (HTTP ${err.status})`;
    if (input.failOpen) {
      input.stderr.write(
        `lfs-depot: warning: ${reason}; LFS_DEPOT_FAIL_OPEN=1, so the push is accepted without checking LFS locks and objects.\n`,
      );
      return ExitCode.OK;
    }
    throw new CliError(
      `push refused: LFS locks and objects could not be checked: ${reason}. Try again later; ` +
        'if the LFS server is down for long, an administrator can set LFS_DEPOT_FAIL_OPEN=1 on the hook.',
    );
  }
  const answer = mergeAnswers(answers);
  if (answer.allowed) {
    return ExitCode.OK;
  }
  input.stderr.write(formatRefusal(answer));
  return ExitCode.FAILED;
}
