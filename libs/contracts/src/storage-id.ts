/**
 * A storage id: 32 lowercase hex digits (128 random bits), written both into the storage marker and into the
 * database, so that one storage serves one lfs-depot database (README "One storage, one database").
 */
const STORAGE_ID_PATTERN = /^[0-9a-f]{32}$/;

/** Whether `value` is spelt as a storage id. */
export function isValidStorageId(value: unknown): value is string {
  return typeof value === 'string' && STORAGE_ID_PATTERN.test(value);
}
