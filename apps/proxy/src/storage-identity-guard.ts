import type { TransferKeyAnswer } from '@lfs-depot/contracts';
import type { Logger } from '@lfs-depot/observability';
import { type ObjectStorage, parseStorageMarker, STORAGE_MARKER_KEY } from '@lfs-depot/storage';

/** After a mismatch, or an answer that could not be had, how long until the next transfer asks again. */
const RECHECK_MS = 5_000;

/**
 * Checks that the proxy's STORAGE is the API's (README "One storage, one database"): the storage id the API tells
 * (TransferKeyAnswer.storage_id) against the marker in the proxy's own STORAGE. Asked by transfers, not at start, so
 * that a proxy started before the API (npm start, or a fresh install whose marker the API has yet to write) is
 * judged once the API answers: the API listens only after its marker is written, and the answer is asked before the
 * marker is read. A match holds for good (STORAGE changes only with a restart); a mismatch refuses transfers and is
 * checked again a few seconds later; an API that cannot answer, or an older one that tells no id, refuses nothing.
 */
export class StorageIdentityGuard {
  private verdict: 'match' | { problem: string; at: number } | { unknownAt: number } | undefined;
  private checking?: Promise<string | undefined>;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly askApi: () => Promise<TransferKeyAnswer | undefined>,
    private readonly logger: Logger,
  ) {}

  /** Whether the check has passed; then transfers need not wait for `problem`. */
  get matched(): boolean {
    return this.verdict === 'match';
  }

  /** Why transfers must be refused (the proxy's STORAGE is not the API's), or undefined. */
  problem(now = Date.now()): Promise<string | undefined> {
    const verdict = this.verdict;
    if (verdict === 'match') {
      return Promise.resolve(undefined);
    }
    if (verdict && 'problem' in verdict && now - verdict.at < RECHECK_MS) {
      return Promise.resolve(verdict.problem);
    }
    if (verdict && 'unknownAt' in verdict && now - verdict.unknownAt < RECHECK_MS) {
      return Promise.resolve(undefined);
    }
    this.checking ??= this.check(now).finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async check(now: number): Promise<string | undefined> {
    const answer = await this.askApi().catch(() => undefined);
    const expected = answer?.storage_id;
    if (expected === undefined) {
      this.verdict = { unknownAt: now };
      return undefined;
    }
    let found;
    try {
      found = parseStorageMarker(await this.storage.readMarker());
    } catch (error) {
      // Unreadable storage fails the transfer on its own, with the storage's error.
      this.logger.warn({ err: error }, `Could not read ${STORAGE_MARKER_KEY} from STORAGE: ${String(error)}`);
      this.verdict = { unknownAt: now };
      return undefined;
    }
    if (found.kind === 'id' && found.id === expected) {
      this.verdict = 'match';
      return undefined;
    }
    const problem =
      `The proxy's STORAGE is not the API's: the API's storage id is ${expected}, and the proxy's STORAGE ` +
      `${found.kind === 'id' ? `has a ${STORAGE_MARKER_KEY} naming ${found.id}` : `has no ${STORAGE_MARKER_KEY} naming a storage id`}. ` +
      'Set STORAGE (and STORAGE_FALLBACK) on the proxy to what the API has (README "One storage, one database").';
    const previous = this.verdict;
    if (!(typeof previous === 'object' && 'problem' in previous)) {
      this.logger.error(`${problem} Transfers are refused with 503 until it is fixed.`);
    }
    this.verdict = { problem, at: now };
    return problem;
  }
}
