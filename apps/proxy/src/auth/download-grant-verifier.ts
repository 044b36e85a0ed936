import { DownloadGrantChecker } from '@lfs-depot/auth';
import type { DownloadCheckAnswer, DownloadCheckRequest } from '@lfs-depot/contracts';

import type { TransferTokenVerifier } from './transfer-token-verifier.js';

/**
 * How long the API's word on a token's credentials is believed before a grant download asks again: what a revocation,
 * a removed membership, an unlink or a damage mark takes longer to reach grant downloads than it takes the API.
 */
export const DOWNLOAD_RECHECK_MS = 1_000;
/**
 * How long after its links were looked up a grant is believed at all; older ones are authorized by the API one by
 * one. The re-check's cut-off comes from whichever API instance answers it, and the grant's lookup from another,
 * which may have heard of an unlink late (or read a link memo up to its own bound old): this caps what such a gap can
 * let through at this long, as without Redis, instead of the token's lifetime.
 */
export const GRANT_BELIEVED_MS = 10_000;
/** Signatures and re-checks remembered: a few short strings each; the oldest go first. */
const DEFAULT_MAX_ENTRIES = 4096;
/** Version 1 grants, which came with a transfer token in Authorization. */
const OLDER_GRANT_PREFIX = '1.';

/** What to do with a download: serve it on its grant, authorize it with the API as before, or refuse it. */
export type GrantDecision =
  { kind: 'granted'; size: number; user: string } | { kind: 'ask' } | { kind: 'refused'; reason: string };

export interface GrantedDownload {
  project: string;
  oid: string;
  /** The DOWNLOAD_GRANT_HEADER value of the GET (undefined: none). */
  grant: string | undefined;
  client: string | undefined;
}

interface Check {
  checkedAt: number;
  linksChangedAt: number;
  /** Who the API says the credential is, for the access line. */
  user: string;
}

const ASK: GrantDecision = { kind: 'ask' };

const REFUSALS = {
  path: 'download grant path of the wrong shape',
  signature: 'download grant not signed for this object and project',
  malformed: 'malformed download grant',
} as const;

/**
 * Lets a download GET in on its grant (see @lfs-depot/auth download-grant) with no call to the API: the grant's path
 * leads from the object to a root the API signed for this project and the credential the grant carries, neither has
 * expired, and the API, asked at most every DOWNLOAD_RECHECK_MS per credential, still accepts the credential and has
 * seen no link removed since the grant was made. A download without a grant, or whose grant is stale, of an older
 * format or cannot be checked here, is authorized by the API (which also takes the grant as the credential); a
 * grant that does not prove the object is refused.
 */
export class DownloadGrantVerifier {
  private readonly grants: DownloadGrantChecker;
  private readonly checks = new Map<string, Check>();
  private readonly checking = new Map<string, Promise<Check>>();

  constructor(
    private readonly tokens: TransferTokenVerifier,
    /** The API's re-check; throws (ApiDenial) when the API refuses the credential. */
    private readonly check: (
      request: DownloadCheckRequest,
    ) => Promise<DownloadCheckAnswer & { user?: string }>,
    private readonly options: { recheckMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {
    this.grants = new DownloadGrantChecker(options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  }

  async decide(download: GrantedDownload): Promise<GrantDecision> {
    const { grant } = download;
    if (grant === undefined) {
      return ASK;
    }
    // Made by an API older than this proxy, with the transfer token beside it: the API authorizes it by the token.
    if (grant.startsWith(OLDER_GRANT_PREFIX)) {
      return ASK;
    }
    const now = (this.options.now ?? Date.now)();
    const key = await this.tokens.verifyingKey(now);
    if (!key) {
      return ASK;
    }
    const checked = this.grants.check(grant, download.oid, download.project, key, now);
    if (!checked.valid) {
      // A signature that an old key does not verify may be a new key's (API_SECRET changed): the API decides, and the
      // key is asked for again.
      if (
        checked.reason === 'expired' ||
        (checked.reason === 'signature' && this.tokens.signatureFailed(now))
      ) {
        return ASK;
      }
      return { kind: 'refused', reason: REFUSALS[checked.reason] };
    }
    if (now - checked.grant.issuedAt >= GRANT_BELIEVED_MS) {
      return ASK;
    }
    const { linksChangedAt, user } = await this.recheck(download, grant, checked, now);
    // A link removed (or an object marked damaged) since the grant was made may be this one: the API decides.
    return checked.grant.issuedAt > linksChangedAt
      ? { kind: 'granted', size: checked.grant.size, user }
      : ASK;
  }

  private recheck(
    download: GrantedDownload,
    grant: string,
    checked: { grant: { credential: string }; claims: { userId: string } },
    now: number,
  ): Promise<Check> {
    const key = `${download.project}\n${checked.grant.credential}`;
    const { userId } = checked.claims;
    const known = this.checks.get(key);
    if (known && now - known.checkedAt < (this.options.recheckMs ?? DOWNLOAD_RECHECK_MS)) {
      return Promise.resolve(known);
    }
    let pending = this.checking.get(key);
    if (!pending) {
      // Every download of the credential waiting for the answer shares one call; a refusal is not remembered.
      pending = this.check({ project: download.project, oid: download.oid, grant, client: download.client })
        .then((answer) => {
          // The API names the user; should it not, the credential's user id keeps each reader's downloads apart.
          const check = {
            checkedAt: now,
            linksChangedAt: answer.links_changed_at,
            user: answer.user ?? userId,
          };
          this.remember(key, check);
          return check;
        })
        .finally(() => this.checking.delete(key));
      this.checking.set(key, pending);
    }
    return pending;
  }

  private remember(key: string, value: Check): void {
    const { checks } = this;
    checks.delete(key);
    checks.set(key, value);
    if (checks.size > (this.options.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
      const oldest = checks.keys().next().value;
      if (oldest !== undefined) {
        checks.delete(oldest);
      }
    }
  }
}
