import { ErrorCode, STORAGE_UNAVAILABLE_RETRY_AFTER_SECONDS } from '@lfs-depot/contracts';
import { ObjectMissingError, StorageVerificationError, StoredSizeMismatchError } from './storage.errors.js';

/** Error codes that say a disk or quota is full (Linux and macOS alike). */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The storage backend itself failed (a disk error, S3 timing out, refusing or answering 5xx), as opposed to its
 * verdicts on the bytes (a mismatch, a missing object): the client is told to come back (503) or that the server is
 * full (507), never a 500, which git-lfs does not retry and which says "bug" to an operator.
 */
export class StorageFailure extends Error {
  readonly code: typeof ErrorCode.STORAGE_UNAVAILABLE | typeof ErrorCode.INSUFFICIENT_STORAGE;

  constructor(
    readonly operation: 'store' | 'read',
    cause: unknown,
  ) {
    super(`object storage failed to ${operation} (${reasonOf(cause)})`, { cause });
    this.name = 'StorageFailure';
    this.code = isFull(cause) ? ErrorCode.INSUFFICIENT_STORAGE : ErrorCode.STORAGE_UNAVAILABLE;
  }

  /** The JSON error of this failure: its message for people, and Retry-After when it is worth retrying. */
  answer(): { code: StorageFailure['code']; message: string; details?: Record<string, unknown> } {
    if (this.code === ErrorCode.INSUFFICIENT_STORAGE) {
      return {
        code: this.code,
        message: 'The server has no storage space left for this object; nothing was stored',
      };
    }
    return {
      code: this.code,
      message: `Object storage is not available right now (${reasonOf(this.cause)}); nothing was ${this.operation === 'store' ? 'stored' : 'sent'}, try again shortly`,
      details: { retry_after_seconds: STORAGE_UNAVAILABLE_RETRY_AFTER_SECONDS },
    };
  }
}

/**
 * Runs a storage call, turning what the backend threw into a StorageFailure, except its verdicts (mismatch, missing
 * object, stored bytes of another size than recorded, a range past the end) and what an abort of `signal` (the client went away) caused, which callers answer
 * themselves.
 */
export async function fromStorage<T>(
  operation: StorageFailure['operation'],
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (
      signal?.aborted ||
      error instanceof StorageVerificationError ||
      error instanceof ObjectMissingError ||
      error instanceof StoredSizeMismatchError ||
      error instanceof RangeError
    ) {
      throw error;
    }
    throw new StorageFailure(operation, error);
  }
}

function isFull(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const { code } = current as NodeJS.ErrnoException;
    if (code !== undefined && FULL_CODES.has(code)) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/** A short, credential-free name for what went wrong: an errno code or the error's class (TimeoutError, ...). */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) {
    return 'unknown error';
  }
  const { code } = error as NodeJS.ErrnoException;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : error.name;
}
