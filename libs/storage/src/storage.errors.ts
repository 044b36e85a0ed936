import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import type { ExpectedObject } from './object-storage.js';

/** Which check an upload failed: the byte count or the SHA-256 digest. */
export type VerificationFailure = 'hash_mismatch' | 'size_mismatch';

/** What a verifying stream actually saw; `oid` is absent when reading stopped early (too many bytes). */
export interface ObservedObject {
  size: number;
  oid?: string;
}

/**
 * The uploaded bytes do not match the oid or size they were announced with. A DomainError with OBJECT_MISMATCH, so
 * the API's filter answers 422 if it ever reaches it; expected and actual stay out of the error body.
 */
export class StorageVerificationError extends DomainError {
  constructor(
    readonly reason: VerificationFailure,
    readonly expected: ExpectedObject,
    readonly actual: ObservedObject,
  ) {
    super(ErrorCode.OBJECT_MISMATCH, describeFailure(reason, expected, actual));
    this.name = 'StorageVerificationError';
  }
}

/** The stored object's size is not the one recorded for it: its bytes are damaged (truncated, or written past). */
export class StoredSizeMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly recordedSize: number,
    readonly storedSize: number,
  ) {
    super(`Object ${key} is stored with ${storedSize} bytes, not the ${recordedSize} recorded for it`);
    this.name = 'StoredSizeMismatchError';
  }
}

/** The storage backend has no object under the key (a DomainError with OBJECT_NOT_FOUND, hence a 404). */
export class ObjectMissingError extends DomainError {
  constructor(readonly key: string) {
    super(ErrorCode.OBJECT_NOT_FOUND, `Object ${key} is not in storage`);
    this.name = 'ObjectMissingError';
  }
}

function describeFailure(
  reason: VerificationFailure,
  expected: ExpectedObject,
  actual: ObservedObject,
): string {
  if (reason === 'hash_mismatch') {
    return `Uploaded content hashes to ${actual.oid ?? 'an unknown oid'}, not to the announced oid ${expected.oid}`;
  }
  if (actual.size > expected.size) {
    return `Upload of ${expected.oid} sent more than the announced ${expected.size} bytes`;
  }
  return `Upload of ${expected.oid} ended after ${actual.size} of the announced ${expected.size} bytes`;
}
