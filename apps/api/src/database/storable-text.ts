/**
 * Whether PostgreSQL can hold `value` as text: no NUL byte (the driver's query fails, a 500) and no lone UTF-16
 * surrogate (silently replaced). A name that fails this can match no row, so lookups answer "not found" without a
 * query.
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\0') && !/\p{Cs}/u.test(value);
}
