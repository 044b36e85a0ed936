import { formatBytes } from './format-bytes.js';
import { DomainError, ErrorCode } from './lfs-errors.js';

export interface QuotaShortfall {
  /** The project's path. */
  project: string;
  usedBytes: number;
  quotaBytes: number;
  /** What the refused batch or upload would add. */
  requestedBytes: number;
}

/** QUOTA_EXCEEDED, said alike by the batch, an upload's authorize and its finalize. */
export function quotaExceededError(shortfall: QuotaShortfall): DomainError {
  const { project, usedBytes, quotaBytes, requestedBytes } = shortfall;
  const left = Math.max(0, quotaBytes - usedBytes);
  return new DomainError(
    ErrorCode.QUOTA_EXCEEDED,
    `This needs ${formatBytes(requestedBytes)} but project '${project}' has ${formatBytes(left)} of its ` +
      `${formatBytes(quotaBytes)} quota left (${formatBytes(usedBytes)} used)`,
    { used_bytes: usedBytes, quota_bytes: quotaBytes, requested_bytes: requestedBytes },
  );
}
