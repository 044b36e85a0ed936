import type { Operation } from '@lfs-depot/contracts';
import { DomainError, ErrorCode, isRecord } from '@lfs-depot/contracts';

export interface ParsedBatchRequest {
  operation: Operation;
  /**
   * Every object as sent, valid or not (invalid ones get a per-object 422 in the answer), with a field of the wrong
   * type read as absent: nothing downstream ever converts a client's object or array to a string.
   */
  objects: { oid: string | undefined; size: number | undefined }[];
}

/**
 * Validates the shape of a batch request (batch.md). Problems with the request as a whole throw (422, or 409 for
 * an unsupported hash algorithm, 413 for too many objects); problems with single objects are left for the
 * per-object errors, as the spec prefers.
 */
export function parseBatchRequest(body: unknown, maxObjects: number): ParsedBatchRequest {
  if (!isRecord(body)) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'The batch request must be a JSON object');
  }
  const { operation, objects, hash_algo: hashAlgo, transfers, ref } = body;
  if (operation !== 'upload' && operation !== 'download') {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'operation must be "upload" or "download"');
  }
  if (!Array.isArray(objects)) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'objects must be an array of {oid, size}');
  }
  if (objects.length > maxObjects) {
    throw new DomainError(
      ErrorCode.TOO_MANY_OBJECTS,
      `A batch may name at most ${maxObjects} objects (got ${objects.length}); split it into smaller batches`,
    );
  }
  if (hashAlgo !== undefined && hashAlgo !== 'sha256') {
    throw new DomainError(
      ErrorCode.HASH_ALGO_UNSUPPORTED,
      `Unsupported hash algorithm ${JSON.stringify(hashAlgo)}; only sha256 is`,
    );
  }
  if (
    transfers !== undefined &&
    (!Array.isArray(transfers) || !transfers.every((t) => typeof t === 'string'))
  ) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'transfers must be an array of strings');
  }
  // batch.md: the answer's transfer must be one the client offered, and basic is the only one we speak.
  if (Array.isArray(transfers) && transfers.length > 0 && !transfers.includes('basic')) {
    throw new DomainError(
      ErrorCode.VALIDATION_FAILED,
      `None of the offered transfer adapters (${transfers.join(', ')}) is supported; this server speaks "basic"`,
    );
  }
  // batch.md allows an optional `ref: {name}` naming the server ref the objects belong to. Access here is per project,
  // not per ref, so nothing reads it; its shape is still checked, as for every field the spec defines.
  if (ref !== undefined && ref !== null && !(isRecord(ref) && typeof ref.name === 'string')) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'ref must be an object with a string name');
  }
  return {
    operation,
    objects: objects.map((entry: unknown) =>
      isRecord(entry)
        ? {
            oid: typeof entry.oid === 'string' ? entry.oid : undefined,
            size: typeof entry.size === 'number' ? entry.size : undefined,
          }
        : { oid: undefined, size: undefined },
    ),
  };
}
