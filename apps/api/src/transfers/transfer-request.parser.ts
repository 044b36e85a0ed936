import type { TransferAuthorizeRequest } from '@lfs-depot/contracts';
import { DomainError, ErrorCode, isRecord } from '@lfs-depot/contracts';

/**
 * Refuses (VALIDATION_FAILED) an authorize call whose fields have the wrong types, which would otherwise fail later
 * as a TypeError and a 500: the proxy signs what it sends, but the body's shape is still checked, not trusted. Oid and
 * size are the service's own checks.
 */
export function assertTransferAuthorizeRequest(
  body: unknown,
): asserts body is Omit<TransferAuthorizeRequest, 'size'> & { size?: unknown } {
  if (!isRecord(body) || typeof body.project !== 'string') {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'Invalid project: expected a project path');
  }
  for (const field of ['authorization', 'grant', 'client'] as const) {
    if (body[field] !== undefined && typeof body[field] !== 'string') {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `Invalid ${field}: expected a string`);
    }
  }
}
