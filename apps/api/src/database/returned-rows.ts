/**
 * The rows of an UPDATE or DELETE … RETURNING sent through TypeORM's query(): the pg driver answers those as
 * `[rows, affectedCount]` rather than the rows alone (INSERT and SELECT answer the rows).
 */
export function returnedRows<T>(result: T[] | [T[], number]): T[] {
  return Array.isArray(result[0]) ? result[0] : (result as T[]);
}
