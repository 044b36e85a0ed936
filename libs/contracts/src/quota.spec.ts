import { describe, expect, it } from '@jest/globals';

import { ErrorCode } from './lfs-errors.js';
import { quotaExceededError } from './quota.js';

describe(quotaExceededError.name, () => {
  it('says what is needed, what is left of the quota and what is used', () => {
    const error = quotaExceededError({
      project: 'games/engine',
      usedBytes: 900,
      quotaBytes: 1000,
      requestedBytes: 1200,
    });
    expect(error.code).toBe(ErrorCode.QUOTA_EXCEEDED);
    expect(error.message).toBe(
      "This needs 1.17 KiB but project 'games/engine' has 100 bytes of its 1000 bytes quota left (900 bytes used)",
    );
    expect(error.details).toEqual({ used_bytes: 900, quota_bytes: 1000, requested_bytes: 1200 });
  });

  it('says nothing is left, never a negative amount, when the project is already over its quota', () => {
    const error = quotaExceededError({ project: 'p', usedBytes: 2048, quotaBytes: 1024, requestedBytes: 1 });
    expect(error.message).toContain('has 0 bytes of its 1 KiB quota left (2 KiB used)');
  });
});
