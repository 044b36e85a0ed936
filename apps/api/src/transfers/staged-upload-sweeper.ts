import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import type { DirectTransfers } from '@lfs-depot/storage';

import { CONFIG, DIRECT_TRANSFERS } from '../core/api-runtime.js';
import { STAGED_VERIFY_GRACE_SECONDS } from '../objects/staged-upload-ticket.js';

const SWEEP_INTERVAL_MS = 3600 * 1000;

/**
 * Removes direct uploads that were never verified (the client gave up, or the API died between PUT and verify), at
 * start and every hour, as the proxy sweeps its temp files. Only those no ticket can verify any more: older than
 * the longest upload URL plus the verify grace, and an hour for clocks that disagree. Several instances may sweep at
 * once; deleting twice is harmless. The bucket lifecycle rule in README does the same without us.
 */
@Injectable()
export class StagedUploadSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StagedUploadSweeper.name);
  private schedule: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(DIRECT_TRANSFERS) private readonly direct: DirectTransfers | null,
  ) {}

  /** Age past which a staged upload can no longer be verified. */
  get maxAgeMs(): number {
    return (this.config.limits.actionTtlSeconds + STAGED_VERIFY_GRACE_SECONDS + 3600) * 1000;
  }

  onApplicationBootstrap(): void {
    if (this.direct === null || this.config.directTransfers.mode !== 'all') {
      return;
    }
    void this.sweep();
    this.schedule = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.schedule.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.schedule);
  }

  /** Sweeps once; returns how many staged uploads went (0 when the sweep failed, which is logged). */
  async sweep(now: number = Date.now()): Promise<number> {
    if (this.direct === null) {
      return 0;
    }
    try {
      const removed = await this.direct.sweepStaged(this.maxAgeMs, now);
      if (removed > 0) {
        this.logger.log(`Removed ${removed} direct uploads that were never verified`);
      }
      return removed;
    } catch (error) {
      this.logger.warn(`Could not sweep unverified direct uploads: ${String(error)}`);
      return 0;
    }
  }
}
