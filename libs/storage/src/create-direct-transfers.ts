import type { DirectTransfersConfig, StorageConfig } from '@lfs-depot/config';

import type { DirectTransfers } from './direct-transfers.js';

/**
 * The presigned transfers DIRECT_TRANSFERS asks for, on the bucket of the S3 storage; undefined when off (the config
 * refuses it on other storage). Loaded on demand, as S3Storage is, for the size of the AWS SDK.
 */
export async function createDirectTransfers(
  storage: StorageConfig,
  direct: DirectTransfersConfig,
): Promise<DirectTransfers | undefined> {
  if (direct.mode === 'off' || storage.kind !== 's3') {
    return undefined;
  }
  const { S3DirectTransfers } = await import('./s3-direct-transfers.js');
  return new S3DirectTransfers({ ...storage, trustChecksums: direct.uploadVerify === 'checksum' });
}
