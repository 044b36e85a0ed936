/** Git LFS pointers are small by definition (spec.md): anything larger is file content, not a pointer. */
export const MAX_POINTER_SIZE = 1024;

export interface LfsPointer {
  oid: string;
  size: number;
}

const VERSIONS = new Set([
  'https://git-lfs.github.com/spec/v1',
  // Pointers written by pre-1.0 clients, which git-lfs still reads.
  'https://hawser.github.com/spec/v1',
]);

/**
 * Parses blob content as a Git LFS pointer (docs/spec.md): `version …` first, then `key value` lines among which
 * `oid sha256:<64 hex>` and `size <n>`, each line ending in a newline. Returns undefined for anything else,
 * including pointers with unknown keys or a malformed oid, which git-lfs would not smudge either.
 */
export function parseLfsPointer(content: Buffer | string): LfsPointer | undefined {
  if (content.length === 0 || content.length > MAX_POINTER_SIZE) {
    return undefined;
  }
  const text = typeof content === 'string' ? content : content.toString('utf8');
  if (!text.endsWith('\n')) {
    return undefined;
  }
  const lines = text.slice(0, -1).split('\n');
  const [first, ...rest] = lines;
  const version = /^version (\S+)$/.exec(first ?? '');
  if (!version?.[1] || !VERSIONS.has(version[1])) {
    return undefined;
  }
  let oid: string | undefined;
  let size: number | undefined;
  for (const line of rest) {
    const match = /^([a-z0-9.-]+) (\S.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) {
      return undefined;
    }
    const [, key, value] = match;
    if (key === 'oid') {
      const hash = /^sha256:([0-9a-f]{64})$/.exec(value);
      if (!hash?.[1] || oid !== undefined) {
        return undefined;
      }
      oid = hash[1];
    } else if (key === 'size') {
      if (!/^(0|[1-9][0-9]*)$/.test(value) || size !== undefined) {
        return undefined;
      }
      size = Number(value);
      if (!Number.isSafeInteger(size)) {
        return undefined;
      }
    } else if (!key.startsWith('ext-')) {
      return undefined;
    }
  }
  return oid === undefined || size === undefined ? undefined : { oid, size };
}
