import { openSealedPayload, sealPayload } from '@lfs-depot/auth';

/**
 * What the batch API signs into a direct upload's verify href (DIRECT_TRANSFERS=all): which project, object and
 * staging key the upload action it handed out writes to. Verify believes only this, never the client's word, about
 * where the bytes are; sealed with the upload ticket key under its own kind tag, so neither passes for the other.
 */
export interface StagedUploadTicket {
  t: 'staged';
  /** Project id. */
  p: string;
  o: string;
  s: number;
  /** Staging key. */
  k: string;
  /** Expiry, in seconds since the epoch. */
  e: number;
}

/**
 * How long after the batch a verify is accepted beyond the upload URL's own lifetime: time for a 5 GiB PUT that
 * started just before the URL expired. A staged upload older than that can never be verified (the sweep's age).
 */
export const STAGED_VERIFY_GRACE_SECONDS = 24 * 3600;

export function sealStagedUploadTicket(
  key: Buffer,
  ticket: { projectId: string; oid: string; size: number; stagingKey: string; expiresIn: number },
): string {
  const sealed: StagedUploadTicket = {
    t: 'staged',
    p: ticket.projectId,
    o: ticket.oid,
    s: ticket.size,
    k: ticket.stagingKey,
    e: Math.floor(Date.now() / 1000) + ticket.expiresIn + STAGED_VERIFY_GRACE_SECONDS,
  };
  return sealPayload(key, sealed);
}

/** The ticket, when `sealed` is one this API issued and it has not expired; undefined otherwise. */
export function openStagedUploadTicket(key: Buffer, sealed: unknown): StagedUploadTicket | undefined {
  const ticket = typeof sealed === 'string' ? openSealedPayload<StagedUploadTicket>(key, sealed) : undefined;
  if (
    !ticket ||
    ticket.t !== 'staged' ||
    typeof ticket.k !== 'string' ||
    typeof ticket.e !== 'number' ||
    ticket.e * 1000 <= Date.now()
  ) {
    return undefined;
  }
  return ticket;
}
