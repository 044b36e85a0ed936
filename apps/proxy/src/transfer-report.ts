import type { RequestRecord, TransferDirection, TransferOutcome } from '@lfs-depot/observability';
import { flatLineLogger } from '@lfs-depot/observability';

import type { ApiAnswer } from './api-client/api.client.js';
import type { TransferDeps } from './transfer-deps.js';

/** What a denial says, from the API's error body (code and message; our own text, no credential in it). */
export function denialReason(answer: ApiAnswer): string {
  try {
    const body = JSON.parse(answer.body) as { code?: unknown; message?: unknown };
    const text = (value: unknown): string => (typeof value === 'string' ? value : '');
    return `${answer.status} ${text(body.code)}: ${text(body.message)}`;
  } catch {
    return `${answer.status}`;
  }
}

/**
 * One object transfer, from the moment the proxy takes it on to its end: counted as in flight meanwhile, then once
 * in the transfer metrics and in one log line (oid, size, outcome, bytes, MB/s; the reason when it was refused).
 */
export class TransferReport {
  private readonly started = process.hrtime.bigint();
  private finished = false;

  constructor(
    private readonly deps: TransferDeps,
    private readonly direction: TransferDirection,
    private readonly transfer: { project: string; oid: string; size?: number },
    private readonly requestId: string,
    private readonly record: RequestRecord | undefined,
  ) {
    deps.transfers.inFlight.inc({ direction });
  }

  /** The user the API authorized, for this line and the request's access line. */
  set user(user: string | undefined) {
    if (this.record) {
      this.record.user = user;
    }
  }

  /** Ends the transfer (once; later calls are ignored): `bytes` of object content moved, `reason` for a refusal. */
  finish(outcome: TransferOutcome, bytes: number, details: { reason?: string; error?: unknown } = {}): void {
    if (this.finished) {
      return;
    }
    this.finished = true;
    const { direction } = this;
    const { transfers } = this.deps;
    const logger = flatLineLogger(this.deps.logger);
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    transfers.inFlight.dec({ direction });
    transfers.transfers.inc({ direction, outcome });
    transfers.bytes.inc({ direction }, bytes);
    transfers.duration.observe({ direction, outcome }, seconds);
    if (this.record) {
      if (direction === 'upload') {
        this.record.bytesIn = bytes;
      } else {
        this.record.bytesOut = bytes;
      }
    }
    const level = outcome === 'storage_error' ? 'error' : 'info';
    if (!logger.isLevelEnabled(level)) {
      return;
    }
    const megabytesPerSecond = seconds > 0 ? Math.round((bytes / 1e6 / seconds) * 100) / 100 : 0;
    logger[level](
      {
        request_id: this.requestId,
        transfer: direction,
        oid: this.transfer.oid,
        size: this.transfer.size ?? null,
        outcome,
        bytes,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
        mb_per_s: megabytesPerSecond,
        project: this.transfer.project,
        user: this.record?.user ?? null,
        ...(details.reason !== undefined && { reason: details.reason }),
        ...(details.error !== undefined && { err: details.error }),
      },
      `${direction} ${this.transfer.oid} ${outcome}` +
        (outcome === 'ok' ? ` (${bytes} bytes, ${megabytesPerSecond} MB/s)` : '') +
        (details.reason === undefined ? '' : `: ${details.reason}`),
    );
  }
}
