import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `text` as a named prepared statement, which PostgreSQL parses and plans once per connection instead of on
 * every call: for a lookup as hot as the batch's, planning is a large share of the database's time (bench/README.md).
 *
 * TypeORM's `query()` hands its first argument to node-postgres unchanged, and node-postgres takes a `{name, text}`
 * config wherever it takes SQL text; TypeORM still logs, counts and wraps errors as for any query. The integration
 * tests run every statement that goes through here, so a TypeORM upgrade that stopped passing it through would fail
 * them. A statement name must always go with the same text.
 *
 * Write such statements so their generic plan (PostgreSQL switches to one after five executions) is as good as a
 * custom one: join with `unnest($n)` rather than filter with `= ANY($n)`, which a generic plan scans linearly.
 */
export function preparedQuery<T>(
  source: DataSource | EntityManager,
  name: string,
  text: string,
  parameters: readonly unknown[],
): Promise<T> {
  return source.query<T>({ name, text } as unknown as string, [...parameters]);
}
