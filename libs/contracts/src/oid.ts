/** A Git LFS object id: a SHA-256 digest in lowercase hex. */
export const OID_PATTERN = /^[0-9a-f]{64}$/;

/** Returns whether the value is a well-formed sha256 oid. */
export function isValidOid(value: unknown): value is string {
  return typeof value === 'string' && OID_PATTERN.test(value);
}

/** Returns whether the value is an object size the server can represent exactly. */
export function isValidSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
