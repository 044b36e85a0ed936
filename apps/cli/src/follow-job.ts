import { setTimeout as sleep } from 'node:timers/promises';

import type { JobView } from '@lfs-depot/contracts';

/** How often a followed job is asked for its progress. */
const FOLLOW_MS = 500;

/**
 * Asks for `job` every half second until it has ended, calling `onUpdate` with each answer; the job as it ended.
 * Every long operation's front end (gc, scrub, storage migrate) follows its job this way.
 */
export async function followJobUntilEnded(
  getJob: (id: string) => Promise<JobView>,
  job: JobView,
  onUpdate: (job: JobView) => void = () => undefined,
): Promise<JobView> {
  let current = job;
  while (current.state === 'queued' || current.state === 'running') {
    await sleep(FOLLOW_MS);
    current = await getJob(current.id);
    onUpdate(current);
  }
  return current;
}
