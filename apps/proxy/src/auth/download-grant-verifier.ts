import { downloadGrantRoot, hasValidDownloadGrantSignature, parseDownloadGrant } from '@lfs-depot/auth';
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

/** What to do with a download: serve it on its grant, authorize it with the API as before, or refuse it. */
export type GrantDecision =
  { kind: 'granted'; size: number; user: string } | { kind: 'ask' } | { kind: 'refused'; reason: string };

export interface GrantedDownload {
  project: string;
  oid: string;
  /** The DOWNLOAD_GRANT_HEADER value of the GET (undefined: none). */
  grant: string | undefined;
  authorization: string | undefined;
  client: string | undefined;
}

interface Check {
  checkedAt: number;
  linksChangedAt: number;
}

const ASK: GrantDecision = { kind: 'ask' };

/**
 * Lets a download GET in on its grant (see @lfs-depot/auth download-grant) with no call to the API: the transfer token
 * beside it verifies here (TransferTokenVerifier), the grant's path leads from the object to a root the API signed for
 * this project, this token's user and the token's lifetime, and the API, asked at most every DOWNLOAD_RECHECK_MS per
 * token, still accepts the token and has seen no link removed since the grant was made. A download without a grant,
 * or whose grant is stale or cannot be checked here, is authorized by the API as before; a grant that does not prove
 * the object is refused.
 */
export class DownloadGrantVerifier {
  /** Signature → what it was verified for, so that a batch's signature is checked once. */
  private readonly signatures = new Map<string, string>();
  private readonly checks = new Map<string, Check>();
  private readonly checking = new Map<string, Promise<Check>>();

  constructor(
    private readonly tokens: TransferTokenVerifier,
    /** The API's re-check; throws (ApiDenial) when the API refuses the credentials. */
    private readonly check: (request: DownloadCheckRequest) => Promise<DownloadCheckAnswer>,
    private readonly options: { recheckMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {}

  async decide(download: GrantedDownload): Promise<GrantDecision> {
    if (download.grant === undefined) {
      return ASK;
    }
    const now = (this.options.now ?? Date.now)();
    const token = await this.tokens.grant(download.authorization, download.project, 'read', now);
    const key = this.tokens.verifyingKey;
    if (!token || !key) {
      return ASK;
    }
    const parsed = parseDownloadGrant(download.grant);
    if (!parsed) {
      return { kind: 'refused', reason: 'malformed download grant' };
    }
    if (parsed.expiresAt * 1000 <= now || now - parsed.issuedAt >= GRANT_BELIEVED_MS) {
      return ASK;
    }
    const root = downloadGrantRoot(parsed, download.oid);
    if (!root) {
      return { kind: 'refused', reason: 'download grant path of the wrong shape' };
    }
    const claims = {
      projectPath: download.project,
      userId: token.userId,
      issuedAt: parsed.issuedAt,
      expiresAt: parsed.expiresAt,
    };
    const signed = `${claims.projectPath}\n${claims.userId}\n${claims.issuedAt}\n${claims.expiresAt}\n${parsed.count}\n${root.toString('hex')}`;
    if (this.signatures.get(parsed.signature) !== signed) {
      if (!hasValidDownloadGrantSignature(claims, parsed.count, root, parsed.signature, key)) {
        return { kind: 'refused', reason: 'download grant not signed for this object, project and user' };
      }
      this.remember(this.signatures, parsed.signature, signed);
    }
    const { linksChangedAt } = await this.recheck(download, now);
    // A link removed (or an object marked damaged) since the grant was made may be this one: the API decides.
    return parsed.issuedAt > linksChangedAt
      ? { kind: 'granted', size: parsed.size, user: token.username }
      : ASK;
  }

  private recheck(download: GrantedDownload, now: number): Promise<Check> {
    const key = `${download.project}\n${download.authorization ?? ''}`;
    const known = this.checks.get(key);
    if (known && now - known.checkedAt < (this.options.recheckMs ?? DOWNLOAD_RECHECK_MS)) {
      return Promise.resolve(known);
    }
    let pending = this.checking.get(key);
    if (!pending) {
      // Every download of the token waiting for the answer shares one call; a refusal is not remembered.
      pending = this.check({
        project: download.project,
        authorization: download.authorization,
        client: download.client,
      })
        .then((answer) => {
          const check = { checkedAt: now, linksChangedAt: answer.links_changed_at };
          this.remember(this.checks, key, check);
          return check;
        })
        .finally(() => this.checking.delete(key));
      this.checking.set(key, pending);
    }
    return pending;
  }

  private remember<T>(map: Map<string, T>, key: string, value: T): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > (this.options.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) {
        map.delete(oldest);
      }
    }
  }
}
