import type { DataSource, EntityManager } from 'typeorm';

/** A database transaction in progress: the manager its statements go through, and work to do once it commits. */
export interface Transaction {
  readonly manager: EntityManager;
  /**
   * Runs `task` after the commit, once however often it is registered (cache invalidations: run before the commit,
   * another request could look the old state up again and remember it).
   */
  afterCommit(task: () => Promise<void>): void;
}

/** Runs `work` in one transaction (rolled back when it throws), then the tasks it registered with afterCommit. */
export async function runInTransaction<T>(
  dataSource: DataSource,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const tasks = new Set<() => Promise<void>>();
  const result = await dataSource.transaction((manager) =>
    work({ manager, afterCommit: (task) => tasks.add(task) }),
  );
  for (const task of tasks) {
    await task();
  }
  return result;
}

/** `work` inside `tx` when the caller has one open, else in a transaction of its own. */
export function inTransaction<T>(
  dataSource: DataSource,
  tx: Transaction | undefined,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return tx ? work(tx) : runInTransaction(dataSource, work);
}
